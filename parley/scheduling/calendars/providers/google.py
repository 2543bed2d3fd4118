"""Google Calendar API v3: OAuth 2.0 web-server flow with PKCE, busy time from `freeBusy.query` (merged busy intervals,
no event data at all), revocation at unlink, optional write-back with a client-chosen event id.

Error mapping (integrations notes §1.1, §1.5): token endpoint `invalid_grant` → ReconnectNeeded; API 401 → refresh
once (AccessTokenRejected); 403 with a rate reason or 429 → Throttled with Retry-After; other 403 (scope unticked,
insufficientPermissions) → ReconnectNeeded; 5xx → ServerUnavailable; a per-calendar error inside a 200 →
ServerUnavailable ("unknown availability", never free); network errors → NetworkFailure; other 4xx → RequestRejected.
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

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
    parse_instant,
    post_token,
    retry_after_of,
)

if TYPE_CHECKING:
    from parley.scheduling.models import CalendarConnection

SCOPE_READ = "https://www.googleapis.com/auth/calendar.freebusy"
# Only asked for when the expert turns on write-back. Parley never reads events with it (busy time still comes from
# freeBusy), but Google has no narrower documented scope that allows inserting an event into the primary calendar.
SCOPE_WRITE = "https://www.googleapis.com/auth/calendar.events"
RATE_REASONS = {"usageLimits", "userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded"}


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reason(response: httpx.Response) -> str:
    """The first `reason` of Google's error envelope; only this enumerated code is read."""
    try:
        errors = response.json()["error"]["errors"]
        reason = errors[0]["reason"]
    except (ValueError, KeyError, IndexError, TypeError):
        return ""
    return reason if isinstance(reason, str) else ""


def _raise_for(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    if status == 401:
        raise AccessTokenRejected()
    reason = _reason(response)
    if status == 429 or (status == 403 and reason in RATE_REASONS):
        raise Throttled(retry_after_of(response))
    if status == 403:
        raise ReconnectNeeded()
    if status >= 500:
        raise ServerUnavailable(retry_after_of(response))
    raise RequestRejected()


class GoogleCalendar:
    name = "google"
    oauth = True

    def configured(self) -> bool:
        return bool(settings.PARLEY_GOOGLE_CLIENT_ID and settings.PARLEY_GOOGLE_CLIENT_SECRET)

    def authorization_url(
        self, state: str, code_challenge: str, redirect_uri: str, *, write_back: bool = False, login_hint: str = ""
    ) -> str:
        params = {
            "client_id": settings.PARLEY_GOOGLE_CLIENT_ID,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": " ".join([SCOPE_READ, SCOPE_WRITE] if write_back else [SCOPE_READ]),
            "access_type": "offline",  # a refresh token
            "prompt": "consent",  # a new refresh token on re-link
            "include_granted_scopes": "true",
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        if login_hint:
            params["login_hint"] = login_hint
        return f"{settings.PARLEY_GOOGLE_AUTH_URL}?{urlencode(params, quote_via=quote)}"

    def exchange_code(self, code: str, verifier: str, redirect_uri: str, *, write_back: bool = False) -> Tokens:
        # A "Web application" client must send its secret even with PKCE.
        return post_token(
            settings.PARLEY_GOOGLE_TOKEN_URL,
            {
                "code": code,
                "client_id": settings.PARLEY_GOOGLE_CLIENT_ID,
                "client_secret": settings.PARLEY_GOOGLE_CLIENT_SECRET,
                "redirect_uri": redirect_uri,
                "grant_type": "authorization_code",
                "code_verifier": verifier,
            },
        )

    def refresh(self, refresh_token: str, *, write_back: bool = False) -> Tokens:
        # Google normally returns no new refresh token: post_token keeps the old one.
        return post_token(
            settings.PARLEY_GOOGLE_TOKEN_URL,
            {
                "client_id": settings.PARLEY_GOOGLE_CLIENT_ID,
                "client_secret": settings.PARLEY_GOOGLE_CLIENT_SECRET,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            },
        )

    def can_read(self, tokens: Tokens) -> bool:
        return not tokens.scopes or bool(tokens.scopes & {SCOPE_READ, SCOPE_WRITE})

    def can_write(self, tokens: Tokens) -> bool:
        return SCOPE_WRITE in tokens.scopes

    def _call(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        try:
            with http_client() as client:
                return client.request(
                    method, settings.PARLEY_GOOGLE_API_URL + path, headers={"Authorization": f"Bearer {token}"}, **kwargs
                )
        except httpx.HTTPError:
            raise NetworkFailure() from None

    def busy(self, connection: "CalendarConnection", start: datetime, end: datetime) -> list[Interval]:
        body = {"timeMin": _utc(start), "timeMax": _utc(end), "timeZone": "UTC", "items": [{"id": "primary"}]}
        response = self._call("POST", "/freeBusy", connection.access_token or "", json=body)
        _raise_for(response)
        calendars = json_of(response).get("calendars")
        primary = calendars.get("primary") if isinstance(calendars, dict) else None
        if not isinstance(primary, dict) or primary.get("errors"):
            raise ServerUnavailable()
        periods = primary.get("busy") or []
        if not isinstance(periods, list):
            raise ServerUnavailable()
        return merged(
            [(parse_instant(p.get("start")), parse_instant(p.get("end"))) for p in periods if isinstance(p, dict)], start, end
        )

    def revoke(self, token: str) -> None:
        """Revoking the refresh token ends the whole grant, access tokens included; 200 with an empty body = done."""
        try:
            with http_client() as client:
                response = client.post(settings.PARLEY_GOOGLE_REVOKE_URL, data={"token": token})
        except httpx.HTTPError:
            raise NetworkFailure() from None
        if response.status_code != 200 and response.status_code != 400:  # 400: already invalid, nothing to revoke
            _raise_for(response)

    def write_event(self, connection: "CalendarConnection", key: str, start: datetime, end: datetime, title: str) -> None:
        body = {
            "id": key,  # base32hex, chosen by Parley: the event can be found again without storing Google's id
            "summary": title,
            "start": {"dateTime": _utc(start)},
            "end": {"dateTime": _utc(end)},
            "status": "confirmed",
            "transparency": "opaque",
            "visibility": "private",
            "reminders": {"useDefault": False},
        }
        token = connection.access_token or ""
        response = self._call("POST", "/calendars/primary/events", token, json=body)
        if response.status_code == 409:  # it exists (perhaps cancelled): update it in place
            response = self._call("PUT", f"/calendars/primary/events/{key}", token, json=body)
        _raise_for(response)

    def delete_event(self, connection: "CalendarConnection", key: str) -> None:
        response = self._call("DELETE", f"/calendars/primary/events/{key}", connection.access_token or "")
        if response.status_code in (404, 410):
            return
        _raise_for(response)
