"""Booking from the end-customer web app: appointment types, free slots, booking, and the customer's own changes
(authorised by the manage token of their mail link, sent as a bearer token)."""

import uuid
from datetime import UTC, datetime, timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import HttpBearer

from parley.accounts.throttle import client_address
from parley.core.exceptions import ApplicationError
from parley.core.ratelimit import rate_limit
from parley.interactions.apis import Error
from parley.scheduling import services
from parley.scheduling.models import Appointment
from parley.scheduling.selectors import access_appointment_type, appointment_types_offered, slots_for
from parley.tenants.selectors import tenant_get_by_slug

router = Router(tags=["appointments"])
_errors: dict[int, type[Schema]] = {code: Error for code in (400, 401, 403, 404, 409, 429)}


class ManageToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> str:
        return token


_manage = ManageToken()


class AppointmentTypeOut(Schema):
    id: uuid.UUID
    name: str
    channel: str
    duration_minutes: int


class ExpertSlotsOut(Schema):
    expert_id: uuid.UUID
    expert_name: str
    slots: list[datetime]


class SlotsOut(Schema):
    appointment_type: AppointmentTypeOut
    experts: list[ExpertSlotsOut]
    first_free: list[datetime]


class BookingIn(Schema):
    appointment_type_id: uuid.UUID
    starts_at: datetime
    expert_id: uuid.UUID | None = None
    topic_id: uuid.UUID | None = None
    name: str
    email: str
    note: str = ""
    timezone: str = "UTC"
    language: str = ""


class AppointmentOut(Schema):
    id: uuid.UUID
    status: str
    appointment_type: str
    expert_name: str
    starts_at: datetime
    ends_at: datetime
    proposed_starts_at: datetime | None
    message: str


class BookingOut(Schema):
    appointment: AppointmentOut
    manage_token: str
    conversation_token: str


class RescheduleIn(Schema):
    starts_at: datetime


def _appointment_out(appointment: Appointment) -> dict:
    return {
        "id": appointment.id,
        "status": appointment.status,
        "appointment_type": appointment.appointment_type.name if appointment.appointment_type else "",
        "expert_name": appointment.expert.name if appointment.expert else "",
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "proposed_starts_at": appointment.proposed_starts_at,
        "message": appointment.expert_message or "",
    }


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ApplicationError(_("Give times with a time zone (ISO 8601 with Z or an offset)."))
    return moment.astimezone(UTC)


@router.get("/widget/{slug}/appointment-types", response={200: list[AppointmentTypeOut], **_errors}, auth=None, summary="Types")
def types_api(request: HttpRequest, slug: str) -> list:
    tenant = tenant_get_by_slug(slug=slug)
    if not tenant.appointments_enabled:
        return []
    return appointment_types_offered(tenant=tenant)


@router.get("/widget/{slug}/slots", response={200: SlotsOut, **_errors}, auth=None, summary="Free slots")
def slots_api(
    request: HttpRequest,
    slug: str,
    appointment_type_id: uuid.UUID,
    start: datetime | None = None,
    end: datetime | None = None,
    expert_id: uuid.UUID | None = None,
    topic_id: uuid.UUID | None = None,
) -> dict:
    """Free start times (UTC) per expert between `start` and `end` (at most 62 days; default the next 14 days);
    `first_free` merges every expert's, for "the first free expert" of a topic. Reads local data only."""
    tenant = tenant_get_by_slug(slug=slug)
    rate_limit(scope="widget-slots", key=client_address(request), limit=240, window=60)
    appointment_type = access_appointment_type(tenant=tenant, type_id=appointment_type_id)
    start = _aware(start) if start else timezone.now()
    end = _aware(end) if end else start + timedelta(days=14)
    if end <= start:
        raise ApplicationError(_("The end must be after the start."))
    per_expert = slots_for(
        tenant=tenant, appointment_type=appointment_type, start=start, end=end, expert_profile_id=expert_id, topic_id=topic_id
    )
    return {
        "appointment_type": appointment_type,
        "experts": [{"expert_id": e.profile_id, "expert_name": e.expert.name, "slots": e.slots} for e in per_expert],
        "first_free": sorted({slot for e in per_expert for slot in e.slots}),
    }


@router.post("/widget/{slug}/appointments", response={201: BookingOut, **_errors}, auth=None, summary="Book")
def book_api(request: HttpRequest, slug: str, data: BookingIn) -> tuple[int, dict]:
    """Stores name, e-mail, the optional note and the time (P04); confirmed at once or a request, per tenant."""
    tenant = tenant_get_by_slug(slug=slug)
    rate_limit(scope="widget-book", key=client_address(request), limit=10, window=600)
    appointment, manage_token, conversation_token = services.appointment_book(
        tenant=tenant,
        appointment_type_id=data.appointment_type_id,
        starts_at=_aware(data.starts_at),
        expert_profile_id=data.expert_id,
        topic_id=data.topic_id,
        name=data.name,
        email=data.email,
        note=data.note,
        timezone_name=data.timezone,
        language=data.language,
    )
    return 201, {
        "appointment": _appointment_out(appointment),
        "manage_token": manage_token,
        "conversation_token": conversation_token,
    }


def _managed(request: HttpRequest, slug: str) -> Appointment:
    tenant = tenant_get_by_slug(slug=slug)
    rate_limit(scope="widget-manage", key=client_address(request), limit=120, window=60)
    return services.access_managed_appointment(tenant=tenant, token=str(getattr(request, "auth", "")))


@router.get("/widget/{slug}/appointment", response={200: AppointmentOut, **_errors}, auth=_manage, summary="My appointment")
def appointment_get_api(request: HttpRequest, slug: str) -> dict:
    return _appointment_out(_managed(request, slug))


@router.post("/widget/{slug}/appointment/reschedule", response={200: AppointmentOut, **_errors}, auth=_manage, summary="Move")
def appointment_reschedule_api(request: HttpRequest, slug: str, data: RescheduleIn) -> dict:
    appointment = services.appointment_reschedule(appointment=_managed(request, slug), starts_at=_aware(data.starts_at))
    return _appointment_out(appointment)


@router.post(
    "/widget/{slug}/appointment/accept", response={200: AppointmentOut, **_errors}, auth=_manage, summary="Accept the proposal"
)
def appointment_accept_api(request: HttpRequest, slug: str) -> dict:
    return _appointment_out(services.appointment_accept_proposal(appointment=_managed(request, slug)))


@router.post("/widget/{slug}/appointment/cancel", response={200: AppointmentOut, **_errors}, auth=_manage, summary="Cancel")
def appointment_cancel_api(request: HttpRequest, slug: str) -> dict:
    return _appointment_out(services.appointment_cancel(appointment=_managed(request, slug)))
