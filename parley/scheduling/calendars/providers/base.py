"""The one interface every calendar provider implements, and the small set of errors they map to.

A provider reads busy time as (start, end) pairs in UTC and nothing else (P12): no title, description, location,
attendee or event id leaves the module. Errors carry a kind and, for throttling, a delay; never the provider's text,
which could quote calendar content or account details.
"""

import base64
import hashlib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from typing import TYPE_CHECKING, Protocol

import httpx
from django.conf import settings

if TYPE_CHECKING:
    from parley.scheduling.models import CalendarConnection

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scopes: frozenset[str]


class ProviderError(Exception):
    """Base of the mapped errors. `kind` selects the fixed sentence shown to the expert."""

    kind = "unavailable"

    def __init__(self, retry_after: timedelta | None = None) -> None:
        super().__init__(self.kind)
        self.retry_after = retry_after


class ReconnectNeeded(ProviderError):
    """Expired or revoked grant, wrong app password, missing permission: only the expert can fix it."""

    kind = "reconnect"


class AccessTokenRejected(ProviderError):
    """A 401 from a calendar API: refresh the access token once, then it becomes ReconnectNeeded."""

    kind = "reconnect"


class Throttled(ProviderError):
    """429 (or Google's rate-limit 403): back off for Retry-After."""

    kind = "throttled"


class ServerUnavailable(ProviderError):
    """5xx, or a per-calendar error in an otherwise good answer: unknown availability, never "free"."""

    kind = "unavailable"


class NetworkFailure(ProviderError):
    kind = "network"


class RequestRejected(ProviderError):
    """Any other 4xx: a configuration problem or a bug. Retried on the normal schedule."""

    kind = "rejected"


class CalendarProvider(Protocol):
    name: str
    oauth: bool

    def configured(self) -> bool: ...

    def authorization_url(
        self, state: str, code_challenge: str, redirect_uri: str, *, write_back: bool = False, login_hint: str = ""
    ) -> str: ...

    def exchange_code(self, code: str, verifier: str, redirect_uri: str, *, write_back: bool = False) -> Tokens: ...

    def refresh(self, refresh_token: str, *, write_back: bool = False) -> Tokens: ...

    def can_read(self, tokens: Tokens) -> bool:
        """Did the expert grant what reading busy time needs? (Google's consent screen is granular.)"""
        ...

    def can_write(self, tokens: Tokens) -> bool: ...

    def busy(self, connection: "CalendarConnection", start: datetime, end: datetime) -> list[Interval]: ...

    def revoke(self, token: str) -> None: ...

    def write_event(self, connection: "CalendarConnection", key: str, start: datetime, end: datetime, title: str) -> None: ...

    def delete_event(self, connection: "CalendarConnection", key: str) -> None: ...


# --- helpers shared by the HTTP providers -------------------------------------------------------------------------


@cache
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()  # built once: loading the CA bundle for every client costs ~0.3 s


def http_client() -> httpx.Client:
    seconds = settings.PARLEY_CALENDAR_HTTP_TIMEOUT
    return httpx.Client(timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)), follow_redirects=False, verify=_tls())


def code_challenge(verifier: str) -> str:
    """PKCE S256: BASE64URL(SHA256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def retry_after_of(response: httpx.Response, default: timedelta | None = None) -> timedelta | None:
    """Retry-After as seconds or as an HTTP date."""
    raw = response.headers.get("Retry-After", "").strip()
    if not raw:
        return default
    if raw.isdigit():
        return timedelta(seconds=int(raw))
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - datetime.now(UTC), timedelta(0))


def json_of(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        raise ServerUnavailable() from None
    if not isinstance(data, dict):
        raise ServerUnavailable()
    return data


def token_error(response: httpx.Response) -> ProviderError:
    """The OAuth token endpoint's errors ({"error": "...", "error_description": "..."}); only the code is read."""
    if response.status_code == 429:
        return Throttled(retry_after_of(response))
    if response.status_code >= 500:
        return ServerUnavailable(retry_after_of(response))
    try:
        code = response.json().get("error")
    except (ValueError, AttributeError):
        code = None
    if code == "invalid_grant":  # expired, revoked, password reset, consent withdrawn: permanent
        return ReconnectNeeded()
    return RequestRejected()


def tokens_from(data: dict, *, now: datetime, keep_refresh: str | None = None) -> Tokens:
    access = data.get("access_token")
    if not isinstance(access, str) or not access:
        raise ServerUnavailable()
    refresh = data.get("refresh_token")
    expires_in = data.get("expires_in")
    expires_at = None
    try:
        expires_at = now + timedelta(seconds=int(expires_in))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        pass
    scope = data.get("scope")
    return Tokens(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else keep_refresh,
        expires_at=expires_at,
        scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
    )


def post_token(url: str, form: dict[str, str]) -> Tokens:
    now = datetime.now(UTC)
    try:
        with http_client() as client:
            response = client.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError:
        raise NetworkFailure() from None
    if response.status_code != 200:
        raise token_error(response)
    return tokens_from(json_of(response), now=now, keep_refresh=form.get("refresh_token"))


def parse_instant(value: object) -> datetime:
    """An RFC 3339 instant with Z or an offset, as UTC."""
    if not isinstance(value, str):
        raise ServerUnavailable()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ServerUnavailable() from None
    if parsed.tzinfo is None:
        raise ServerUnavailable()
    return parsed.astimezone(UTC)


def merged(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """Clip to [start, end) and merge overlapping or touching intervals: fewer rows, and no event count kept."""
    clipped = sorted((max(s, start), min(e, end)) for s, e in intervals if e > start and s < end and e > s)
    out: list[Interval] = []
    for s, e in clipped:
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out
