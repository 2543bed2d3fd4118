"""Reading schedules: free slots from local data only (rules, bookings, synced busy intervals), never a provider."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import NotFound
from parley.experts.models import ExpertProfile
from parley.holds.selectors import visible_interactions, visible_users
from parley.notifications.models import OutboxMail
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
    return _kind(appointment_type, own)


def _kind(appointment_type: AppointmentType, own: ExpertTypeSetting | None) -> SlotKind | None:
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
    exclude: uuid.UUID | None = None,
) -> list[datetime]:
    """`exclude`: an appointment being moved does not block its own new time."""
    found = slots_by_expert(
        tenant=tenant, experts=[expert], appointment_type=appointment_type, start=start, end=end, now=now, exclude=exclude
    )
    return found[expert.id]


def slots_by_expert(
    *,
    tenant: Tenant,
    experts: list[User],
    appointment_type: AppointmentType,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    exclude: uuid.UUID | None = None,
) -> dict[uuid.UUID, list[datetime]]:
    """Free slots of several experts from one query per kind of data (not per expert): the widget's slot list for a
    whole team stays a handful of queries."""
    now = now or timezone.now()
    end = min(end, start + MAX_RANGE)
    result: dict[uuid.UUID, list[datetime]] = {e.id: [] for e in experts}
    if not tenant.appointments_enabled or not experts or end <= start:
        return result
    ids = [e.id for e in experts]
    margin = timedelta(hours=5)  # the longest buffers
    own = {s.expert_id: s for s in ExpertTypeSetting.objects.filter(expert_id__in=ids, appointment_type=appointment_type)}
    limit = now - timedelta(hours=tenant.calendar_stale_hours)
    stale = set(
        CalendarConnection.objects.filter(expert_id__in=ids)
        .filter(Q(last_success_at__isnull=True, created_at__lt=limit) | Q(last_success_at__lt=limit))
        .values_list("expert_id", flat=True)
    )
    weekly: dict[uuid.UUID, dict[int, list]] = {}
    for expert_id, weekday, opens, closes in WeeklyHours.objects.filter(expert_id__in=ids).values_list(
        "expert_id", "weekday", "start", "end"
    ):
        weekly.setdefault(expert_id, {}).setdefault(weekday, []).append((opens, closes))
    extra: dict[uuid.UUID, dict] = {}
    first, last = (start - timedelta(days=2)).date(), (end + timedelta(days=2)).date()
    for expert_id, day, opens, closes in ExtraHours.objects.filter(
        expert_id__in=ids, date__gte=first, date__lte=last
    ).values_list("expert_id", "date", "start", "end"):
        extra.setdefault(expert_id, {}).setdefault(day, []).append((opens, closes))
    absences: dict[uuid.UUID, list] = {}
    for expert_id, a_start, a_end in Absence.objects.filter(
        expert_id__in=ids, ends_at__gt=start - timedelta(days=1), starts_at__lt=end + timedelta(days=1)
    ).values_list("expert_id", "starts_at", "ends_at"):
        absences.setdefault(expert_id, []).append((a_start, a_end))
    padded: dict[uuid.UUID, list] = {}
    booked = Appointment.objects.filter(
        expert_id__in=ids, status__in=ACTIVE_STATUSES, starts_at__lt=end + margin, ends_at__gt=start - margin
    )
    if exclude:
        booked = booked.exclude(id=exclude)
    for expert_id, b_start, b_end, before, after, status, proposed in booked.values_list(
        "expert_id", "starts_at", "ends_at", "buffer_before_minutes", "buffer_after_minutes", "status", "proposed_starts_at"
    ):
        taken = padded.setdefault(expert_id, [])
        taken.append((b_start - timedelta(minutes=before), b_end + timedelta(minutes=after)))
        if status == Appointment.Status.PROPOSED and proposed:
            taken.append((proposed, proposed + (b_end - b_start)))
    raw: dict[uuid.UUID, list] = {}
    for expert_id, i_start, i_end in BusyInterval.objects.filter(
        expert_id__in=ids, starts_at__lt=end + margin, ends_at__gt=start - margin
    ).values_list("expert_id", "starts_at", "ends_at"):
        raw.setdefault(expert_id, []).append((i_start, i_end))
    for expert in experts:
        if expert.id in stale:
            continue
        kind = _kind(appointment_type, own.get(expert.id))
        if kind is None:
            continue
        rules = SlotRules(
            zone=zone_of(expert.timezone),
            weekly=weekly.get(expert.id, {}),
            extra=extra.get(expert.id, {}),
            absences=absences.get(expert.id, []),
        )
        busy = Busy(raw=raw.get(expert.id, []), padded=padded.get(expert.id, []))
        result[expert.id] = free_slots(rules, kind, busy, start=start, end=end, now=now)
    return result


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
    profiles = bookable_experts(tenant=tenant, expert_profile_id=expert_profile_id, topic_id=topic_id)
    found = slots_by_expert(
        tenant=tenant, experts=[p.user for p in profiles], appointment_type=appointment_type, start=start, end=end, now=now
    )
    return [ExpertSlots(expert=p.user, profile_id=p.id, slots=found[p.user_id]) for p in profiles]


# --- portal pages: the expert's week, requests, availability; the admin's types and mails ----------------------


def access_appointment(*, actor: User, appointment_id: uuid.UUID) -> Appointment:
    """Experts reach their own appointments, admins every appointment of their tenant. Another tenant's or a
    colleague's appointment is 'not found' exactly like a missing one, so an id tells nothing."""
    appointment = (
        visible_interactions(Appointment.objects.filter(id=appointment_id, tenant_id=actor.tenant_id), field="interaction_id")
        .select_related("interaction", "expert", "appointment_type", "tenant")
        .first()
    )  # P26: an appointment of a held conversation is not found
    if appointment is None:
        raise NotFound(_("No such appointment."))
    if actor.role != Membership.Role.ADMIN and appointment.expert_id != actor.id:
        raise NotFound(_("No such appointment."))
    return appointment


def schedule_experts(*, tenant: Tenant) -> QuerySet[User]:
    """Every expert account of the tenant (deactivated ones too: they may still have appointments)."""
    experts = User.objects.filter(tenant=tenant, membership__role=Membership.Role.EXPERT)
    return visible_users(experts).order_by("created_at")  # P26: a held person is not offered


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local date begins (the first occurrence if midnight is repeated)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class WeekEntry:
    """One line of a day in the week view; times are local, clipped to the day for blocks that run over midnight."""

    kind: str  # "appointment", "busy" or "absence"
    starts_at: datetime
    ends_at: datetime
    continues_before: bool = False
    continues_after: bool = False
    appointment: Appointment | None = None

    @property
    def all_day(self) -> bool:
        return self.continues_before and self.continues_after


@dataclass(frozen=True)
class WeekDay:
    day: date
    entries: list[WeekEntry]


def appointment_week(*, actor: User, monday: date, zone: ZoneInfo, expert: User | None = None) -> list[WeekDay]:
    """Monday to Sunday in `zone`: appointments (an expert's own; an admin's whole tenant, or `expert`'s) on the
    local day they start, and, for one expert, the busy times synced from their calendars and their absences."""
    if actor.role != Membership.Role.ADMIN:
        expert = actor
    days = [monday + timedelta(days=n) for n in range(7)]
    bounds = [local_midnight(day, zone) for day in [*days, monday + timedelta(days=7)]]
    start, end = bounds[0], bounds[-1]
    entries: dict[date, list[WeekEntry]] = {day: [] for day in days}
    appointments = (
        visible_interactions(  # P26: appointments of held conversations are not listed
            Appointment.objects.filter(tenant_id=actor.tenant_id, starts_at__gte=start, starts_at__lt=end), field="interaction_id"
        )
        .exclude(status=Appointment.Status.DECLINED)
        .select_related("interaction", "expert", "appointment_type")
    )
    if expert is not None:
        appointments = appointments.filter(expert=expert)
    for appointment in appointments:
        local_start = appointment.starts_at.astimezone(zone)
        entries[local_start.date()].append(
            WeekEntry("appointment", local_start, appointment.ends_at.astimezone(zone), appointment=appointment)
        )
    if expert is not None:
        blocks = [
            ("busy", s, e)
            for s, e in BusyInterval.objects.filter(expert=expert, starts_at__lt=end, ends_at__gt=start)
            .order_by("starts_at")
            .values_list("starts_at", "ends_at")
        ]
        blocks += [
            ("absence", s, e)
            for s, e in Absence.objects.filter(expert=expert, starts_at__lt=end, ends_at__gt=start).values_list(
                "starts_at", "ends_at"
            )
        ]
        for kind, block_start, block_end in blocks:
            for n, day in enumerate(days):
                day_start, day_end = bounds[n], bounds[n + 1]
                if block_start < day_end and block_end > day_start:
                    entries[day].append(
                        WeekEntry(
                            kind,
                            max(block_start, day_start).astimezone(zone),
                            min(block_end, day_end).astimezone(zone),
                            continues_before=block_start < day_start,
                            continues_after=block_end > day_end,
                        )
                    )
    return [WeekDay(day, sorted(entries[day], key=lambda e: (e.starts_at, e.kind))) for day in days]


def appointments_pending(
    *, actor: User, status: str, expert: User | None = None, now: datetime | None = None
) -> list[Appointment]:
    """Requests (or proposals the customer has not answered yet) still ahead, the soonest first."""
    now = now or timezone.now()
    pending = Appointment.objects.filter(tenant_id=actor.tenant_id, status=status, starts_at__gte=now).select_related(
        "interaction", "expert", "appointment_type"
    )
    pending = visible_interactions(pending, field="interaction_id")  # P26
    if actor.role != Membership.Role.ADMIN:
        pending = pending.filter(expert=actor)
    elif expert is not None:
        pending = pending.filter(expert=expert)
    return list(pending.order_by("starts_at")[:100])


def weekly_hours_of(*, expert: User) -> dict[int, list[tuple[time, time]]]:
    hours: dict[int, list[tuple[time, time]]] = {day: [] for day in range(7)}
    for row in WeeklyHours.objects.filter(expert=expert).order_by("weekday", "start"):
        hours[row.weekday].append((row.start, row.end))
    return hours


def extra_hours_upcoming(*, expert: User, today: date) -> QuerySet[ExtraHours]:
    return ExtraHours.objects.filter(expert=expert, date__gte=today).order_by("date", "start")


def absences_upcoming(*, expert: User, now: datetime | None = None) -> QuerySet[Absence]:
    return Absence.objects.filter(expert=expert, ends_at__gt=now or timezone.now()).order_by("starts_at")


def access_extra_hours(*, actor: User, extra_hours_id: uuid.UUID) -> ExtraHours:
    """Only the expert's own one-off hours; anything else is 'not found'."""
    extra = ExtraHours.objects.filter(id=extra_hours_id, expert=actor).first()
    if extra is None:
        raise NotFound(_("No such hours."))
    return extra


def access_absence(*, actor: User, absence_id: uuid.UUID) -> Absence:
    """Only the expert's own absences; anything else is 'not found'."""
    absence = Absence.objects.filter(id=absence_id, expert=actor).first()
    if absence is None:
        raise NotFound(_("No such absence."))
    return absence


def type_settings_of(*, expert: User) -> list[tuple[AppointmentType, ExpertTypeSetting | None]]:
    """The tenant's offered types, each with the expert's own times (None: the type's defaults)."""
    own = {s.appointment_type_id: s for s in ExpertTypeSetting.objects.filter(expert=expert)}
    return [(kind, own.get(kind.id)) for kind in AppointmentType.objects.filter(tenant_id=expert.tenant_id, is_active=True)]


def appointment_type_list(*, tenant: Tenant) -> QuerySet[AppointmentType]:
    """Every type of the tenant, offered or not, in the order customers see them."""
    return AppointmentType.objects.filter(tenant=tenant).order_by("position", "name")


def access_tenant_appointment_type(*, actor: User, type_id: uuid.UUID) -> AppointmentType:
    """Any type of the actor's tenant (offered or not), for its admins; another tenant's is 'not found'."""
    kind = AppointmentType.objects.filter(id=type_id, tenant_id=actor.tenant_id).first()
    if kind is None:
        raise NotFound(_("No such appointment type."))
    return kind


def appointment_type_next_position(*, tenant: Tenant) -> int:
    last = AppointmentType.objects.filter(tenant=tenant).order_by("-position").values_list("position", flat=True).first()
    return 0 if last is None else min(last + 1, 999)


def appointment_mails(*, tenant: Tenant) -> QuerySet[OutboxMail]:
    """The tenant's mails about appointments (and other objects), newest first. Only delivery columns are loaded:
    the page never opens a recipient, subject or body."""
    return (
        OutboxMail.objects.filter(tenant=tenant, related_id__isnull=False)
        .only("id", "tenant_id", "template", "related_id", "created_at", "updated_at", "attempts", "sent_at")
        .order_by("-created_at", "id")
    )


def appointments_by_id(*, tenant: Tenant, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Appointment]:
    found = Appointment.objects.filter(tenant=tenant, id__in=list(ids)).select_related(
        "interaction", "expert", "appointment_type"
    )
    return {a.id: a for a in found}


def access_appointment_mail(*, actor: User, mail_id: uuid.UUID) -> OutboxMail:
    """A mail about an object of the actor's tenant, for its admins; another tenant's is 'not found'."""
    mail = OutboxMail.objects.filter(id=mail_id, tenant_id=actor.tenant_id, related_id__isnull=False).first()
    if mail is None or actor.role != Membership.Role.ADMIN:
        raise NotFound(_("No such mail."))
    return mail
