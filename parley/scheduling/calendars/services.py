"""Calendar sync (P12): connecting, syncing, unlinking and optional write-back.

Parley keeps the tokens (encrypted under the expert's key) and, for the next 8 weeks, the start and end of busy
time, merged: never a title, description, location, attendee or event id. Slots are computed from these rows only,
never from a provider on the request path. A sync replaces all of a connection's rows in one transaction; a failure
keeps the old rows, records a fixed sentence and, past the tenant's staleness, pauses the expert's slots
(selectors.calendars_stale). Provider text is never stored or logged.

The worker calls `sync_due(now=...)` every minute (parley.core.schedule); each connection syncs every
`tenant.calendar_sync_minutes`, later when the provider asked to wait (Retry-After).
"""

import hashlib
import ipaddress
import logging
import secrets
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from parley.accounts.models import User
from parley.core.exceptions import ApplicationError, NotFound, PermissionDenied
from parley.notifications.services import mail_send
from parley.scheduling.calendars.providers import provider_for
from parley.scheduling.calendars.providers.base import (
    AccessTokenRejected,
    CalendarProvider,
    Interval,
    ProviderError,
    ReconnectNeeded,
    RequestRejected,
    ServerUnavailable,
    Throttled,
    code_challenge,
)
from parley.scheduling.models import Appointment, BusyInterval, CalendarConnection, OAuthState
from parley.tenants.models import Membership

logger = logging.getLogger("parley.calendars")

SYNC_WINDOW = timedelta(weeks=8)
STATE_LIFETIME = timedelta(minutes=10)
REFRESH_MARGIN = timedelta(minutes=2)
DEFAULT_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
SYNC_NOW_PAUSE = timedelta(seconds=20)

# What `last_error` may hold: one fixed sentence per kind of failure, translated when shown.
ERRORS = {
    "reconnect": gettext_noop(
        "The calendar no longer grants access (the permission expired or was withdrawn, or the password changed). "
        "Connect it again."
    ),
    "throttled": gettext_noop("The calendar provider asked Parley to slow down. Parley tries again automatically."),
    "unavailable": gettext_noop("The calendar provider did not answer properly. Parley tries again automatically."),
    "network": gettext_noop("Parley could not reach the calendar provider. Parley tries again automatically."),
    "rejected": gettext_noop(
        "The calendar provider refused Parley's request. Parley tries again; if this stays, connect the calendar again."
    ),
}
RECONNECT = ERRORS["reconnect"]


class CalendarError(ApplicationError):
    pass


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _require_expert(actor: User) -> None:
    if actor.role != Membership.Role.EXPERT:
        raise PermissionDenied(_("Only experts connect calendars."))


def _require_owner(actor: User, connection: CalendarConnection) -> None:
    if connection.expert_id != actor.id or connection.tenant_id != actor.tenant_id:
        raise NotFound(_("No such calendar connection."))


# --- connecting -------------------------------------------------------------------------------------------------


def oauth_start(*, actor: User, provider: str, redirect_uri: str, write_back: bool = False) -> str:
    """Begin the authorisation-code flow: a single-use state (stored hashed) and a PKCE verifier (stored encrypted)
    for 10 minutes. Returns the provider's authorisation URL."""
    _require_expert(actor)
    try:
        impl = provider_for(provider)
    except KeyError:
        raise NotFound(_("This calendar provider is not offered.")) from None
    if not impl.oauth or not impl.configured():
        raise NotFound(_("This calendar provider is not offered."))
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters of the unreserved set (RFC 7636: 43-128)
    OAuthState.objects.create(
        tenant_id=actor.tenant_id, expert=actor, provider=provider, state_hash=_hash(state), code_verifier=verifier
    )
    wants_write = write_back and actor.tenant.calendar_write_back
    return impl.authorization_url(state, code_challenge(verifier), redirect_uri, write_back=wants_write)


def oauth_callback(
    *,
    actor: User,
    state: str,
    code: str,
    redirect_uri: str,
    error: str = "",
    write_back: bool = False,
    replaces: uuid.UUID | None = None,
    now: datetime | None = None,
) -> CalendarConnection:
    """Finish the flow: the state must be this expert's, unused and younger than 10 minutes; the code is exchanged
    with the verifier; the tokens are stored encrypted and a first sync runs. `replaces` reconnects an existing
    connection of the same provider instead of adding one."""
    _require_expert(actor)
    now = now or timezone.now()
    with transaction.atomic():
        pending = OAuthState.objects.filter(state_hash=_hash(state or ""), expert=actor, tenant_id=actor.tenant_id).first()
        if pending is not None:
            verifier, provider, created_at = pending.code_verifier, pending.provider, pending.created_at
            pending.delete()  # single use, whatever happens next
    if pending is None or created_at < now - STATE_LIFETIME:
        raise CalendarError(_("This sign-in has expired or was already used. Please connect the calendar again."))
    if error or not code:
        raise CalendarError(_("The calendar was not connected: access was not granted."))
    impl = provider_for(provider)
    wants_write = write_back and actor.tenant.calendar_write_back
    try:
        tokens = impl.exchange_code(code, verifier, redirect_uri, write_back=wants_write)
    except ProviderError:
        raise CalendarError(_("The calendar provider did not confirm the connection. Please try again.")) from None
    if not impl.can_read(tokens):
        _revoke_later(impl, tokens.refresh_token or tokens.access_token)
        raise CalendarError(_("Parley needs permission to see when you are busy. Please connect again and allow it."))
    connection = None
    if replaces is not None:
        connection = CalendarConnection.objects.filter(id=replaces, expert=actor, provider=provider).first()
    if connection is None:
        connection = CalendarConnection(tenant_id=actor.tenant_id, expert=actor, provider=provider)
    connection.access_token = tokens.access_token
    connection.refresh_token = tokens.refresh_token
    connection.token_expires_at = tokens.expires_at
    connection.write_back = wants_write and impl.can_write(tokens)
    connection.last_error = ""
    connection.retry_after = None
    connection.error_notified_at = None
    # The replaced refresh token is not revoked: at Google that would end the new grant too.
    connection.save()
    sync_connection(connection, now=now)
    return connection


def caldav_url_checked(url: str) -> str:
    """https only; no credentials in the URL; no private, loopback or link-local address (an expert's URL must not
    reach Parley's own network) unless PARLEY_CALDAV_ALLOW_PRIVATE, which also allows http to 127.0.0.1 for tests."""
    url = (url or "").strip()
    parts = urlsplit(url)
    host = parts.hostname or ""
    allow_private = settings.PARLEY_CALDAV_ALLOW_PRIVATE
    if not host or parts.username or parts.password or parts.scheme not in ("https", "http"):
        raise CalendarError(_("Enter the calendar's address starting with https://."))
    if parts.scheme == "http" and not (allow_private and host in ("127.0.0.1", "::1", "localhost")):
        raise CalendarError(_("Enter the calendar's address starting with https://."))
    if not allow_private:
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            raise CalendarError(_("The calendar server's name cannot be found.")) from None
        for info in infos:
            if not ipaddress.ip_address(info[4][0]).is_global:
                raise CalendarError(_("This address is not allowed for a calendar server."))
    return url


def caldav_connect(
    *, actor: User, url: str, username: str, password: str, write_back: bool = False, now: datetime | None = None
) -> CalendarConnection:
    """Connect a CalDAV calendar with an app password; a first sync validates it before anything is stored."""
    _require_expert(actor)
    now = now or timezone.now()
    connection = CalendarConnection(
        tenant_id=actor.tenant_id,
        expert=actor,
        provider=CalendarConnection.Provider.CALDAV,
        caldav_url=caldav_url_checked(url),
        caldav_username=(username or "").strip(),
        caldav_password=password or "",
        write_back=write_back and actor.tenant.calendar_write_back,
    )
    try:
        intervals = provider_for(connection.provider).busy(connection, now, now + SYNC_WINDOW)
    except ReconnectNeeded:
        raise CalendarError(_("The calendar server refused this user name or app password.")) from None
    except ProviderError:
        raise CalendarError(_("Parley could not read a calendar at this address. Check it and try again.")) from None
    with transaction.atomic():
        connection.last_success_at = connection.last_attempt_at = now
        connection.save()
        _replace(connection, intervals)
    return connection


# --- syncing ----------------------------------------------------------------------------------------------------


def _replace(connection: CalendarConnection, intervals: list[Interval]) -> None:
    BusyInterval.objects.filter(connection=connection).delete()
    BusyInterval.objects.bulk_create(
        BusyInterval(connection=connection, expert_id=connection.expert_id, starts_at=start, ends_at=end)
        for start, end in intervals
    )


def _refresh(connection: CalendarConnection, impl: CalendarProvider) -> None:
    if not connection.refresh_token:
        raise ReconnectNeeded()
    tokens = impl.refresh(connection.refresh_token, write_back=connection.write_back)
    connection.access_token = tokens.access_token
    connection.refresh_token = tokens.refresh_token or connection.refresh_token  # Microsoft sends a new one each time
    connection.token_expires_at = tokens.expires_at
    connection.save(update_fields=["access_token", "refresh_token", "token_expires_at", "updated_at"])


def _with_token[T](connection: CalendarConnection, impl: CalendarProvider, now: datetime, call: Callable[[], T]) -> T:
    """Run a provider call with a fresh access token: refresh ahead of expiry, and once more on a 401."""
    if not impl.oauth:
        return call()
    expires = connection.token_expires_at
    if not connection.access_token or (expires is not None and expires <= now + REFRESH_MARGIN):
        _refresh(connection, impl)
    try:
        return call()
    except AccessTokenRejected:
        _refresh(connection, impl)
        try:
            return call()
        except AccessTokenRejected:
            raise ReconnectNeeded() from None


def sync_connection(connection: CalendarConnection, *, now: datetime | None = None) -> bool:
    """Read the next 8 weeks and replace the connection's busy intervals at once; on failure keep them, record a
    fixed sentence, back off if asked, and mail the expert once per failure period. True when it synced."""
    now = now or timezone.now()
    impl = provider_for(connection.provider)
    failure: ProviderError | None = None
    intervals: list[Interval] = []
    try:
        if connection.provider == CalendarConnection.Provider.CALDAV:
            try:
                caldav_url_checked(connection.caldav_url or "")
            except CalendarError:
                raise RequestRejected() from None
        intervals = _with_token(connection, impl, now, lambda: impl.busy(connection, now, now + SYNC_WINDOW))
    except ProviderError as exc:
        failure = exc
    except Exception as exc:  # a bug or an unexpected answer: recorded like an outage, without the provider's text
        logger.error("calendar connection %s: sync failed unexpectedly (%s)", connection.id, type(exc).__name__)
        failure = ServerUnavailable()
    if failure is not None:  # handled outside the except block: nothing downstream sees the provider's exception
        _failed(connection, failure, now)
        return False
    with transaction.atomic():
        if not CalendarConnection.objects.select_for_update().filter(pk=connection.pk).exists():
            return False  # unlinked meanwhile: store nothing
        _replace(connection, intervals)
        CalendarConnection.objects.filter(pk=connection.pk).update(
            last_success_at=now, last_attempt_at=now, last_error="", retry_after=None, error_notified_at=None, updated_at=now
        )
    connection.last_success_at = connection.last_attempt_at = now
    connection.last_error, connection.retry_after, connection.error_notified_at = "", None, None
    return True


def _past_staleness(connection: CalendarConnection, now: datetime) -> bool:
    last = connection.last_success_at or connection.created_at
    return last < now - timedelta(hours=connection.tenant.calendar_stale_hours)


def _failed(connection: CalendarConnection, exc: ProviderError, now: datetime) -> None:
    sentence = ERRORS.get(exc.kind, ERRORS["unavailable"])
    retry_after = None
    if isinstance(exc, Throttled) or exc.retry_after is not None:
        delay = exc.retry_after if exc.retry_after is not None else DEFAULT_BACKOFF
        retry_after = now + min(max(delay, timedelta(minutes=1)), MAX_BACKOFF)
    logger.warning("calendar connection %s (%s): sync failed: %s", connection.id, connection.provider, exc.kind)
    CalendarConnection.objects.filter(pk=connection.pk).update(
        last_attempt_at=now, last_error=sentence, retry_after=retry_after, updated_at=now
    )
    connection.last_attempt_at, connection.last_error, connection.retry_after = now, sentence, retry_after
    reconnect = exc.kind == "reconnect"
    if not (reconnect or _past_staleness(connection, now)):
        return  # transient and the slots are still offered: the next sync will likely recover
    claimed = CalendarConnection.objects.filter(pk=connection.pk, error_notified_at__isnull=True).update(error_notified_at=now)
    if claimed:
        connection.error_notified_at = now
        _mail_failure(connection, reconnect=reconnect, now=now)


def _mail_failure(connection: CalendarConnection, *, reconnect: bool, now: datetime) -> None:
    from parley.interactions.selectors import absolute
    from parley.scheduling.selectors import zone_of

    expert = connection.expert
    zone = zone_of(expert.timezone)
    since = connection.last_success_at
    mail_send(
        tenant=connection.tenant,
        to=expert.email,
        template="calendars/mail/sync_failed.txt",
        context={
            "provider": connection.get_provider_display(),
            "reconnect": reconnect,
            "paused": _past_staleness(connection, now),
            "since_local": since.astimezone(zone) if since else None,
            "zone_name": expert.timezone,
            "link": absolute(reverse("calendars:list", kwargs={"slug": connection.tenant.slug})),
        },
        language=expert.language or None,
        related_id=connection.id,
    )


def sync_due(*, now: datetime | None = None) -> int:
    """The scheduled run: every connection whose tenant's interval has passed since its last attempt, honouring
    Retry-After, oldest first, at most PARLEY_CALENDAR_SYNC_BATCH. Connections that need the expert to reconnect are
    not polled. Safe with several workers: each connection is claimed by a conditional update. Returns the number
    synced (successfully or not)."""
    now = now or timezone.now()
    OAuthState.objects.filter(created_at__lt=now - STATE_LIFETIME).delete()
    candidates = (
        CalendarConnection.objects.filter(expert__is_active=True)
        .filter(Q(retry_after__isnull=True) | Q(retry_after__lte=now))
        .exclude(last_error=RECONNECT)
        .select_related("tenant", "expert")
        .order_by(F("last_attempt_at").asc(nulls_first=True))
    )
    done = 0
    for connection in candidates.iterator():
        if done >= settings.PARLEY_CALENDAR_SYNC_BATCH:
            break
        last = connection.last_attempt_at
        if last is not None and last > now - timedelta(minutes=connection.tenant.calendar_sync_minutes):
            continue
        if not CalendarConnection.objects.filter(pk=connection.pk, last_attempt_at=last).update(last_attempt_at=now):
            continue  # another worker took it
        sync_connection(connection, now=now)
        done += 1
    return done


def sync_now(*, actor: User, connection: CalendarConnection, now: datetime | None = None) -> bool:
    """ "Sync now" from the portal; also the way to retry a connection that is no longer polled."""
    _require_owner(actor, connection)
    now = now or timezone.now()
    if connection.retry_after and connection.retry_after > now:
        raise CalendarError(_("The calendar provider asked Parley to wait. Please try again in a few minutes."))
    if connection.last_attempt_at and connection.last_attempt_at > now - SYNC_NOW_PAUSE:
        raise CalendarError(_("This calendar was synced a moment ago."))
    return sync_connection(connection, now=now)


# --- unlinking --------------------------------------------------------------------------------------------------


def _revoke_later(impl: CalendarProvider, token: str | None) -> None:
    if not token or not impl.oauth:
        return

    def revoke() -> None:
        try:
            impl.revoke(token)
        except ProviderError as exc:
            logger.warning("revoking a %s grant failed: %s", impl.name, exc.kind)
        except Exception as exc:
            logger.warning("revoking a %s grant failed: %s", impl.name, type(exc).__name__)

    transaction.on_commit(revoke, robust=True)


def calendar_unlink(*, actor: User, connection: CalendarConnection) -> None:
    """Delete the tokens and every busy interval at once; then, after commit and best effort, revoke the grant
    (Google; Microsoft has no revocation endpoint, CalDAV app passwords are revoked by the expert)."""
    _require_owner(actor, connection)
    _unlink(connection)


def _unlink(connection: CalendarConnection) -> None:
    impl = provider_for(connection.provider)
    token = connection.refresh_token or connection.access_token if impl.oauth else None
    with transaction.atomic():
        BusyInterval.objects.filter(connection=connection).delete()
        CalendarConnection.objects.filter(pk=connection.pk).delete()
        _revoke_later(impl, token)


def calendars_unlink_for_expert(*, user: User) -> int:
    """P09: an erased account's calendar grants are revoked too, not only deleted here."""
    connections = list(CalendarConnection.objects.filter(expert=user))
    for connection in connections:
        _unlink(connection)
    return len(connections)


# --- write-back -------------------------------------------------------------------------------------------------


def _held(appointment: Appointment) -> bool:
    """P26: the appointment of a conversation under legal hold is frozen. Nothing of it is pushed, moved or taken
    out of an external calendar until the hold is released (the next change after that writes it again); its time
    still counts as busy (docs/decisions/0007-retention-and-erasure.md)."""
    from parley.holds.selectors import is_held

    if is_held(target_type="interaction", target_id=appointment.interaction_id):
        logger.info("appointment %s: write-back skipped, its conversation is under legal hold", appointment.id)
        return True
    return False


def appointment_write_back(*, appointment_id: uuid.UUID | str, now: datetime | None = None) -> int:
    """Put a confirmed appointment into the expert's write-back calendars (title "Appointment", the time, nothing
    about the customer), or take it out when it is no longer confirmed. Runs as a task after commit; idempotent.
    Returns the number of calendars written."""
    now = now or timezone.now()
    appointment = Appointment.objects.filter(id=appointment_id).select_related("tenant", "expert").first()
    if appointment is None or appointment.expert is None or not appointment.tenant.calendar_write_back:
        return 0
    if _held(appointment):
        return 0
    connections = (
        CalendarConnection.objects.filter(expert=appointment.expert, tenant_id=appointment.tenant_id, write_back=True)
        .exclude(last_error=RECONNECT)
        .select_related("expert", "tenant")
    )
    key = appointment.id.hex  # Parley's own key: Google's event id, the CalDAV UID, a Graph extended property
    keep = appointment.status == Appointment.Status.CONFIRMED
    with translation.override(appointment.expert.language or appointment.tenant.default_language):
        title = _("Appointment")
    written = 0
    for connection in connections:
        impl = provider_for(connection.provider)

        def call(connection: CalendarConnection = connection, impl: CalendarProvider = impl) -> None:
            if keep:
                impl.write_event(connection, key, appointment.starts_at, appointment.ends_at, title)
            else:
                impl.delete_event(connection, key)

        try:
            _with_token(connection, impl, now, call)
        except ProviderError as exc:
            logger.warning("calendar connection %s: write-back failed: %s", connection.id, exc.kind)
            continue
        except Exception as exc:
            logger.error("calendar connection %s: write-back failed unexpectedly (%s)", connection.id, type(exc).__name__)
            continue
        written += 1
    return written
