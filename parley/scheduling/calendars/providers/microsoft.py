"""Microsoft 365 and Outlook.com through the identity platform v2 (`common` endpoint) and Microsoft Graph.

Busy time comes from `GET /me/calendarView` with `$select=start,end,showAs,isAllDay,isCancelled` (not `getSchedule`,
which fails for personal accounts and returns subjects): Graph expands recurrences; `id` and `@odata.etag` are dropped
unread. Busy = not cancelled and `showAs` not `free`/`workingElsewhere` (tentative blocks). Times are parsed with the
returned `timeZone`; all-day events become the expert's local dates.

Error mapping (integrations notes §2.1, §2.2): token endpoint `invalid_grant` (AADSTS700082/70008/50173/65001) →
ReconnectNeeded; Graph 401 → refresh once (AccessTokenRejected); 403 → ReconnectNeeded; 429 (and 503) with
Retry-After → Throttled / ServerUnavailable; network errors → NetworkFailure; other 4xx → RequestRejected. There is no
revocation endpoint: unlink deletes the tokens on Parley's side.
"""

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from django.conf import settings

from parley.scheduling.calendars.providers.base import (
    AccessTokenRejected,
    Interval,
    NetworkFailure,
    ReconnectNeeded,
    RequestRejected,
    ServerUnavailable,
    Throttled,
    Tokens,
    http_client,
    json_of,
    merged,
    post_token,
    retry_after_of,
)

if TYPE_CHECKING:
    from parley.scheduling.models import CalendarConnection

SCOPE_READ = "Calendars.ReadBasic"
SCOPE_WRITE = "Calendars.ReadWrite"  # only with write-back
READ_SCOPES = {"calendars.readbasic", "calendars.read", "calendars.readwrite"}
NOT_BUSY = {"free", "workingElsewhere"}
MAX_PAGES = 40
# A Parley-owned extended property marks written-back events, so they can be found again without storing Graph's id.
MARKER = "String {7b1c3f0e-2a5d-4e8f-9c61-5d2b8a4e0f13} Name parleyAppointment"
_UTC_NAMES = {"utc", "etc/utc", "tzone://microsoft/utc", "coordinated universal time"}


def _scopes(write_back: bool) -> str:
    return " ".join(["offline_access", SCOPE_READ, *([SCOPE_WRITE] if write_back else [])])


def _short(scope: str) -> str:
    return scope.rsplit("/", 1)[-1].lower()


def _raise_for(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    if status == 401:
        raise AccessTokenRejected()
    if status == 403:
        raise ReconnectNeeded()
    if status == 429:
        raise Throttled(retry_after_of(response))
    if status >= 500:
        raise ServerUnavailable(retry_after_of(response))
    raise RequestRejected()


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or name.lower() in _UTC_NAMES:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ServerUnavailable() from None


def _wall(value: object) -> datetime:
    """Graph's `{"dateTime": "2026-03-23T09:00:00.0000000", "timeZone": "UTC"}` as an aware instant."""
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        raise ServerUnavailable()
    text = value["dateTime"][:26]  # up to microseconds; Graph sends seven fractional digits
    try:
        wall = datetime.fromisoformat(text)
    except ValueError:
        raise ServerUnavailable() from None
    if wall.tzinfo is not None:
        return wall.astimezone(UTC)
    return wall.replace(tzinfo=_zone(value.get("timeZone"))).astimezone(UTC)


def _local_day(value: object, zone: ZoneInfo) -> datetime:
    """All-day events arrive as midnight UTC although they are dates: take the date, start it in the expert's zone."""
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        raise ServerUnavailable()
    try:
        day = date.fromisoformat(value["dateTime"][:10])
    except ValueError:
        raise ServerUnavailable() from None
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _expert_zone(connection: "CalendarConnection") -> ZoneInfo:
    from parley.scheduling.selectors import zone_of

    return zone_of(connection.expert.timezone)


class MicrosoftCalendar:
    name = "microsoft"
    oauth = True

    def configured(self) -> bool:
        return bool(settings.PARLEY_MICROSOFT_CLIENT_ID and settings.PARLEY_MICROSOFT_CLIENT_SECRET)

    def authorization_url(
        self, state: str, code_challenge: str, redirect_uri: str, *, write_back: bool = False, login_hint: str = ""
    ) -> str:
        params = {
            "client_id": settings.PARLEY_MICROSOFT_CLIENT_ID,
            "response_type": "code",
            "response_mode": "query",
            "redirect_uri": redirect_uri,
            "scope": _scopes(write_back),
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
            "prompt": "select_account",
        }
        if login_hint:
            params["login_hint"] = login_hint
        return f"{settings.PARLEY_MICROSOFT_AUTH_URL}?{urlencode(params, quote_via=quote)}"

    def exchange_code(self, code: str, verifier: str, redirect_uri: str, *, write_back: bool = False) -> Tokens:
        return post_token(
            settings.PARLEY_MICROSOFT_TOKEN_URL,
            {
                "client_id": settings.PARLEY_MICROSOFT_CLIENT_ID,
                "client_secret": settings.PARLEY_MICROSOFT_CLIENT_SECRET,
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
                "scope": _scopes(write_back),
            },
        )

    def refresh(self, refresh_token: str, *, write_back: bool = False) -> Tokens:
        # Every refresh returns a new refresh token; the caller stores it and drops the old one.
        return post_token(
            settings.PARLEY_MICROSOFT_TOKEN_URL,
            {
                "client_id": settings.PARLEY_MICROSOFT_CLIENT_ID,
                "client_secret": settings.PARLEY_MICROSOFT_CLIENT_SECRET,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "scope": _scopes(write_back),
            },
        )

    def can_read(self, tokens: Tokens) -> bool:
        return not tokens.scopes or bool({_short(s) for s in tokens.scopes} & READ_SCOPES)

    def can_write(self, tokens: Tokens) -> bool:
        return SCOPE_WRITE.lower() in {_short(s) for s in tokens.scopes}

    def _call(self, method: str, url: str, token: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Prefer": 'outlook.timezone="UTC"', **kwargs.pop("headers", {})}
        try:
            with http_client() as client:
                return client.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError:
            raise NetworkFailure() from None

    def busy(self, connection: "CalendarConnection", start: datetime, end: datetime) -> list[Interval]:
        api = settings.PARLEY_MICROSOFT_API_URL
        zone = _expert_zone(connection)
        query = {
            "startDateTime": _utc(start),
            "endDateTime": _utc(end),
            "$select": "start,end,showAs,isAllDay,isCancelled",
            "$top": "500",
        }
        url: str | None = f"{api}/me/calendarView?{urlencode(query, quote_via=quote, safe='$,:')}"
        found: list[Interval] = []
        pages = 0
        while url:
            pages += 1
            if pages > MAX_PAGES or not url.startswith(api + "/"):  # never send the token elsewhere
                raise ServerUnavailable()
            response = self._call("GET", url, connection.access_token or "")
            _raise_for(response)
            data = json_of(response)
            items = data.get("value")
            if not isinstance(items, list):
                raise ServerUnavailable()
            for item in items:
                if not isinstance(item, dict) or item.get("isCancelled") is True or item.get("showAs") in NOT_BUSY:
                    continue
                if item.get("isAllDay") is True:
                    found.append((_local_day(item.get("start"), zone), _local_day(item.get("end"), zone)))
                else:
                    found.append((_wall(item.get("start")), _wall(item.get("end"))))
            link = data.get("@odata.nextLink")
            url = link if isinstance(link, str) else None
        return merged(found, start, end)

    def revoke(self, token: str) -> None:
        """No revocation endpoint on the v2 platform; `revokeSignInSessions` would sign the user out everywhere."""

    def _find(self, connection: "CalendarConnection", key: str) -> list[str]:
        api = settings.PARLEY_MICROSOFT_API_URL
        flt = f"singleValueExtendedProperties/Any(ep: ep/id eq '{MARKER}' and ep/value eq '{key}')"
        response = self._call("GET", f"{api}/me/events", connection.access_token or "", params={"$filter": flt, "$select": "id"})
        _raise_for(response)
        items = json_of(response).get("value")
        return [i["id"] for i in items or [] if isinstance(i, dict) and isinstance(i.get("id"), str)]

    def write_event(self, connection: "CalendarConnection", key: str, start: datetime, end: datetime, title: str) -> None:
        self.delete_event(connection, key)
        body = {
            "subject": title,
            "start": {"dateTime": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {"dateTime": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "showAs": "busy",
            "sensitivity": "private",
            "isReminderOn": False,
            "singleValueExtendedProperties": [{"id": MARKER, "value": key}],
        }
        response = self._call("POST", f"{settings.PARLEY_MICROSOFT_API_URL}/me/events", connection.access_token or "", json=body)
        _raise_for(response)

    def delete_event(self, connection: "CalendarConnection", key: str) -> None:
        api = settings.PARLEY_MICROSOFT_API_URL
        for event_id in self._find(connection, key):
            response = self._call("DELETE", f"{api}/me/events/{quote(event_id, safe='')}", connection.access_token or "")
            if response.status_code != 404:
                _raise_for(response)
