"""Reading calendar connections for the portal: only the expert's own, with their health."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import NotFound
from parley.scheduling.calendars.providers import PROVIDERS
from parley.scheduling.calendars.services import RECONNECT
from parley.scheduling.models import CalendarConnection


@dataclass(frozen=True)
class ConnectionHealth:
    connection: CalendarConnection
    label: str
    last_success_at: datetime | None
    error: str  # translated fixed sentence, or ""
    needs_reconnect: bool
    paused_since: datetime | None  # slots are not offered because nothing synced since then
    retry_after: datetime | None


def access_connection(*, actor: User, connection_id: uuid.UUID) -> CalendarConnection:
    """The actor's own connection; anyone else's (a colleague's, an admin's view, another tenant's) is NotFound."""
    connection = (
        CalendarConnection.objects.filter(id=connection_id, expert=actor, tenant_id=actor.tenant_id)
        .select_related("tenant", "expert")
        .first()
    )
    if connection is None:
        raise NotFound(_("No such calendar connection."))
    return connection


def connection_health(connection: CalendarConnection, *, now: datetime | None = None) -> ConnectionHealth:
    now = now or timezone.now()
    last = connection.last_success_at or connection.created_at
    stale = last < now - timedelta(hours=connection.tenant.calendar_stale_hours)
    return ConnectionHealth(
        connection=connection,
        label=connection.get_provider_display(),
        last_success_at=connection.last_success_at,
        error=_(connection.last_error) if connection.last_error else "",
        needs_reconnect=connection.last_error == RECONNECT,
        paused_since=last if stale else None,
        retry_after=connection.retry_after if connection.retry_after and connection.retry_after > now else None,
    )


def connections_of(*, actor: User, now: datetime | None = None) -> list[ConnectionHealth]:
    connections = CalendarConnection.objects.filter(expert=actor, tenant_id=actor.tenant_id).select_related("tenant")
    return [connection_health(c, now=now) for c in connections.order_by("created_at")]


def oauth_providers_offered() -> list[tuple[str, str]]:
    """(name, label) of the OAuth providers whose client id and secret are configured."""
    labels = dict(CalendarConnection.Provider.choices)
    return [(name, str(labels[name])) for name, impl in PROVIDERS.items() if impl.oauth and impl.configured()]
