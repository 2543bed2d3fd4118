"""CalDAV (iCloud, Fastmail, Nextcloud, Radicale, ...) with a URL, a user name and an app password.

Busy time comes from an expanded `calendar-query` (`search(start, end, event=True, expand=True)`), not from the
free-busy REPORT, which Radicale expands in UTC and so shifts recurring events by an hour after a daylight-saving
change. Of each occurrence only DTSTART, DTEND/DURATION, TRANSP and STATUS are read: TRANSP:TRANSPARENT and
STATUS:CANCELLED are free; all-day (date) and floating times are the expert's local time.

The URL may name one calendar collection (only it is read) or anything from which the principal is found (then every
calendar of the principal that holds events is read).

Error mapping: 401/403 → ReconnectNeeded (wrong or revoked app password); 429 or 503 with Retry-After → Throttled;
other 5xx → ServerUnavailable; connection errors and timeouts → NetworkFailure; 404 and other 4xx → RequestRejected.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from caldav.davclient import DAVClient
from caldav.elements.dav import ResourceType
from caldav.lib import error as dav_error
from django.conf import settings

from parley.scheduling.calendars.providers.base import (
    Interval,
    NetworkFailure,
    ProviderError,
    ReconnectNeeded,
    RequestRejected,
    ServerUnavailable,
    Throttled,
    Tokens,
    merged,
)

if TYPE_CHECKING:
    from parley.scheduling.models import CalendarConnection

CALENDAR_TYPE = "{urn:ietf:params:xml:ns:caldav}calendar"


def _instant(value: Any, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating time: the expert's wall clock
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)
    if isinstance(value, date):  # all-day: the expert's local day
        return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)
    raise ServerUnavailable()


def busy_of(component: Any, zone: ZoneInfo) -> Interval | None:
    """(start, end) of one expanded occurrence, or None when it does not block time. Reads nothing else."""
    if str(component.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return None
    if str(component.get("STATUS", "")).upper() == "CANCELLED":
        return None
    dtstart = component.get("DTSTART")
    if dtstart is None:
        return None
    first = dtstart.dt
    dtend = component.get("DTEND")
    duration = component.get("DURATION")
    if dtend is not None:
        last = dtend.dt
    elif duration is not None:
        last = first + duration.dt
    elif isinstance(first, datetime):
        return None  # an instant without length blocks nothing
    else:
        last = first + timedelta(days=1)
    start, end = _instant(first, zone), _instant(last, zone)
    return (start, end) if end > start else None


def _mapped(exc: Exception) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, dav_error.RateLimitError):
        seconds = exc.retry_after_seconds
        return Throttled(timedelta(seconds=seconds) if seconds is not None else None)
    if isinstance(exc, dav_error.AuthorizationError):
        return ReconnectNeeded()
    if isinstance(exc, dav_error.DAVError):
        status = exc.status or 0
        if status in (401, 403):
            return ReconnectNeeded()
        if status == 429:
            return Throttled()
        if status >= 500:
            return ServerUnavailable()
        return RequestRejected()
    if isinstance(exc, OSError):  # niquests' ConnectionError and Timeout are OSErrors
        return NetworkFailure()
    return ServerUnavailable()


@contextmanager
def _errors_mapped() -> Iterator[None]:
    try:
        yield
    except Exception as exc:  # the library raises many types; each becomes one of ours without its text
        raise _mapped(exc) from None


class CalDAVCalendar:
    name = "caldav"
    oauth = False

    def configured(self) -> bool:
        return True

    def authorization_url(
        self, state: str, code_challenge: str, redirect_uri: str, *, write_back: bool = False, login_hint: str = ""
    ) -> str:
        raise NotImplementedError("CalDAV uses an app password, not OAuth")

    def exchange_code(self, code: str, verifier: str, redirect_uri: str, *, write_back: bool = False) -> Tokens:
        raise NotImplementedError("CalDAV uses an app password, not OAuth")

    def refresh(self, refresh_token: str, *, write_back: bool = False) -> Tokens:
        raise NotImplementedError("CalDAV uses an app password, not OAuth")

    def can_read(self, tokens: Tokens) -> bool:
        return True

    def can_write(self, tokens: Tokens) -> bool:
        return True

    def revoke(self, token: str) -> None:
        """An app password is revoked by the expert at their provider; Parley deletes its copy."""

    def _client(self, connection: "CalendarConnection") -> DAVClient:
        return DAVClient(
            url=connection.caldav_url or "",
            username=connection.caldav_username or "",
            password=connection.caldav_password or "",
            timeout=int(settings.PARLEY_CALENDAR_HTTP_TIMEOUT),
            enable_rfc6764=False,
        )

    def _calendars(self, client: DAVClient, url: str) -> list[Any]:
        calendar = client.calendar(url=url)
        kinds = calendar.get_properties([ResourceType()]).get("{DAV:}resourcetype") or []
        if CALENDAR_TYPE in (kinds if isinstance(kinds, list) else [kinds]):
            return [calendar]
        found = []
        for candidate in client.principal().calendars():
            try:
                components = candidate.get_supported_components()
            except Exception:  # not every server answers; read it anyway
                components = ["VEVENT"]
            if "VEVENT" in components:
                found.append(candidate)
        if not found:
            raise RequestRejected()
        return found

    def busy(self, connection: "CalendarConnection", start: datetime, end: datetime) -> list[Interval]:
        from parley.scheduling.selectors import zone_of

        zone = zone_of(connection.expert.timezone)
        found: list[Interval] = []
        with _errors_mapped(), self._client(connection) as client:
            for calendar in self._calendars(client, connection.caldav_url or ""):
                for occurrence in calendar.search(start=start, end=end, event=True, expand=True):
                    interval = busy_of(occurrence.icalendar_component, zone)
                    if interval is not None:
                        found.append(interval)
        return merged(found, start, end)

    def write_event(self, connection: "CalendarConnection", key: str, start: datetime, end: datetime, title: str) -> None:
        from icalendar import Calendar, Event

        event = Event()
        event.add("uid", f"{key}@parley")
        event.add("dtstamp", datetime.now(UTC))
        event.add("dtstart", start.astimezone(UTC))
        event.add("dtend", end.astimezone(UTC))
        event.add("summary", title)
        event.add("transp", "OPAQUE")
        event.add("class", "PRIVATE")
        calendar = Calendar()
        calendar.add("prodid", "-//Parley//Appointments//EN")
        calendar.add("version", "2.0")
        calendar.add_component(event)
        with _errors_mapped(), self._client(connection) as client:
            target = self._calendars(client, connection.caldav_url or "")[0]
            target.add_event(calendar.to_ical().decode())

    def delete_event(self, connection: "CalendarConnection", key: str) -> None:
        with _errors_mapped(), self._client(connection) as client:
            target = self._calendars(client, connection.caldav_url or "")[0]
            try:
                target.event_by_uid(f"{key}@parley").delete()
            except dav_error.NotFoundError:
                return
