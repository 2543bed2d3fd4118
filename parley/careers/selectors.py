import uuid
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.careers.models import Application, Position
from parley.core.exceptions import NotFound
from parley.privacy.retention import add_months
from parley.tenants.models import Tenant

RETENTION_MONTHS = 12


def open_positions(*, tenant: Tenant) -> QuerySet[Position]:
    return Position.objects.filter(tenant=tenant, is_open=True).order_by("title", "id")


def positions(*, tenant: Tenant) -> QuerySet[Position]:
    return Position.objects.filter(tenant=tenant).order_by("-is_open", "title", "id")


def open_position_get(*, tenant: Tenant, position_id: uuid.UUID) -> Position:
    """For the public page: an open position of this tenant, else NotFound."""
    position = Position.objects.filter(tenant=tenant, id=position_id, is_open=True).first()
    if position is None:
        raise NotFound(_("This position is not open."))
    return position


def access_position(*, actor: User, position_id: uuid.UUID) -> Position:
    """An administrator's own tenant's position; another tenant's looks missing."""
    position = Position.objects.filter(tenant_id=actor.tenant_id, id=position_id).first()
    if position is None or actor.role != "admin":
        raise NotFound(_("No such position."))
    return position


def access_application(*, actor: User, application_id: uuid.UUID) -> Application:
    application = Application.objects.select_related("position").filter(tenant_id=actor.tenant_id, id=application_id).first()
    if application is None or actor.role != "admin":
        raise NotFound(_("No such application."))
    return application


def application_list(*, tenant: Tenant) -> QuerySet[Application]:
    return Application.objects.filter(tenant=tenant).select_related("position").order_by("-created_at", "id")


def retention_cutoff(now: datetime) -> datetime:
    """Applications whose process ended before this are due for deletion (P22)."""
    return add_months(now, -RETENTION_MONTHS)


def expired_applications(*, now: datetime) -> QuerySet[Application]:
    """Ended processes past their 12 months; open processes (no end) are never selected."""
    return Application.objects.filter(process_ended_at__isnull=False, process_ended_at__lt=retention_cutoff(now))


def delete_on(application: Application) -> datetime | None:
    """When the retention engine deletes this application; None while the process is open."""
    if application.process_ended_at is None:
        return None
    return add_months(application.process_ended_at, RETENTION_MONTHS)
