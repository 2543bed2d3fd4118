"""Reading schedules: free slots from local data only (rules, bookings, synced busy intervals), never a provider."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import NotFound
from parley.experts.models import ExpertProfile
from parley.scheduling.models import (
    Absence,
    Appointment,
    AppointmentType,
    BusyInterval,
    CalendarConnection,
    ExpertTypeSetting,
    ExtraHours,
    WeeklyHours,
)
from parley.scheduling.slots import Busy, SlotKind, SlotRules, free_slots
from parley.tenants.models import Membership, Tenant

ACTIVE_STATUSES = (Appointment.Status.REQUESTED, Appointment.Status.PROPOSED, Appointment.Status.CONFIRMED)
MAX_RANGE = timedelta(days=62)


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def appointment_types_offered(*, tenant: Tenant) -> list[AppointmentType]:
    return list(AppointmentType.objects.filter(tenant=tenant, is_active=True))


def access_appointment_type(*, tenant: Tenant, type_id: uuid.UUID) -> AppointmentType:
    kind = AppointmentType.objects.filter(id=type_id, tenant=tenant, is_active=True).first()
    if kind is None:
        raise NotFound(_("No such appointment type."))
    return kind


def slot_kind(*, expert: User, appointment_type: AppointmentType) -> SlotKind | None:
    """The type's times with the expert's own adjustments; None when the expert does not offer this type."""
    own = ExpertTypeSetting.objects.filter(expert=expert, appointment_type=appointment_type).first()
    if own is not None and not own.enabled:
        return None

    def pick(field: str) -> int:
        value = getattr(own, field, None) if own is not None else None
        return value if value is not None else getattr(appointment_type, field)

    return SlotKind(
        duration=timedelta(minutes=pick("duration_minutes")),
        buffer_before=timedelta(minutes=pick("buffer_before_minutes")),
        buffer_after=timedelta(minutes=pick("buffer_after_minutes")),
        min_notice=timedelta(minutes=pick("min_notice_minutes")),
        max_ahead=timedelta(days=pick("max_days_ahead")),
    )


def slot_rules(*, expert: User, start: datetime, end: datetime) -> SlotRules:
    zone = zone_of(expert.timezone)
    weekly: dict[int, list] = {}
    for hours in WeeklyHours.objects.filter(expert=expert):
        weekly.setdefault(hours.weekday, []).append((hours.start, hours.end))
    extra: dict = {}
    first, last = (start - timedelta(days=2)).date(), (end + timedelta(days=2)).date()
    for once in ExtraHours.objects.filter(expert=expert, date__gte=first, date__lte=last):
        extra.setdefault(once.date, []).append((once.start, once.end))
    absences = [
        (a.starts_at, a.ends_at)
        for a in Absence.objects.filter(
            expert=expert, ends_at__gt=start - timedelta(days=1), starts_at__lt=end + timedelta(days=1)
        )
    ]
    return SlotRules(zone=zone, weekly=weekly, extra=extra, absences=absences)


def busy_for(*, expert: User, start: datetime, end: datetime, exclude: uuid.UUID | None = None) -> Busy:
    margin = timedelta(hours=5)  # the longest buffers
    appointments = Appointment.objects.filter(
        expert=expert, status__in=ACTIVE_STATUSES, starts_at__lt=end + margin, ends_at__gt=start - margin
    )
    if exclude:
        appointments = appointments.exclude(id=exclude)
    padded = []
    for a in appointments:
        padded.append(
            (a.starts_at - timedelta(minutes=a.buffer_before_minutes), a.ends_at + timedelta(minutes=a.buffer_after_minutes))
        )
        if a.status == Appointment.Status.PROPOSED and a.proposed_starts_at:
            length = a.ends_at - a.starts_at
            padded.append((a.proposed_starts_at, a.proposed_starts_at + length))
    raw = list(
        BusyInterval.objects.filter(expert=expert, starts_at__lt=end + margin, ends_at__gt=start - margin).values_list(
            "starts_at", "ends_at"
        )
    )
    return Busy(raw=raw, padded=padded)


def calendars_stale(*, expert: User, tenant: Tenant, now: datetime | None = None) -> bool:
    """Past the tenant's staleness limit a connected calendar that does not sync blocks the expert's slots: better no
    slot than a double booking."""
    now = now or timezone.now()
    limit = now - timedelta(hours=tenant.calendar_stale_hours)
    connections = CalendarConnection.objects.filter(expert=expert)
    return connections.filter(Q(last_success_at__isnull=True, created_at__lt=limit) | Q(last_success_at__lt=limit)).exists()


@dataclass(frozen=True)
class ExpertSlots:
    expert: User
    profile_id: uuid.UUID
    slots: list[datetime]


def expert_slots(
    *,
    tenant: Tenant,
    expert: User,
    appointment_type: AppointmentType,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> list[datetime]:
    now = now or timezone.now()
    end = min(end, start + MAX_RANGE)
    kind = slot_kind(expert=expert, appointment_type=appointment_type)
    if kind is None or not tenant.appointments_enabled or calendars_stale(expert=expert, tenant=tenant, now=now):
        return []
    rules = slot_rules(expert=expert, start=start, end=end)
    return free_slots(rules, kind, busy_for(expert=expert, start=start, end=end), start=start, end=end, now=now)


def bookable_experts(
    *, tenant: Tenant, expert_profile_id: uuid.UUID | None = None, topic_id: uuid.UUID | None = None
) -> list[ExpertProfile]:
    profiles = ExpertProfile.objects.filter(
        tenant=tenant, user__is_active=True, user__membership__role=Membership.Role.EXPERT
    ).select_related("user")
    if expert_profile_id:
        profiles = profiles.filter(id=expert_profile_id)
    elif topic_id:
        profiles = profiles.filter(topics__id=topic_id)
    return list(profiles.order_by("created_at"))


def slots_for(
    *,
    tenant: Tenant,
    appointment_type: AppointmentType,
    start: datetime,
    end: datetime,
    expert_profile_id: uuid.UUID | None = None,
    topic_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> list[ExpertSlots]:
    """Free slots per expert: one expert, every expert of a topic ("the first free expert"), or everyone."""
    return [
        ExpertSlots(
            expert=p.user,
            profile_id=p.id,
            slots=expert_slots(tenant=tenant, expert=p.user, appointment_type=appointment_type, start=start, end=end, now=now),
        )
        for p in bookable_experts(tenant=tenant, expert_profile_id=expert_profile_id, topic_id=topic_id)
    ]
