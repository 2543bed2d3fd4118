"""Booking and changing appointments. Two customers cannot take the same time: every booking first writes the
expert's profile row (an UPDATE: a row lock on PostgreSQL, the database write lock on SQLite), then re-checks the
slot against fresh data, then inserts."""

import hashlib
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import ApplicationError, NotFound, PermissionDenied
from parley.experts.models import ExpertProfile, Topic
from parley.interactions import events
from parley.interactions.selectors import absolute, unread_count
from parley.interactions.services import FeatureOff, interaction_open
from parley.notifications.models import OutboxMail
from parley.notifications.services import mail_send
from parley.scheduling import ical
from parley.scheduling.models import Absence, Appointment, AppointmentType, ExpertTypeSetting, ExtraHours, WeeklyHours
from parley.scheduling.selectors import (
    access_appointment_type,
    bookable_experts,
    busy_for,
    calendars_stale,
    slot_kind,
    slot_rules,
)
from parley.scheduling.slots import free_slots
from parley.stats.services import stats_appointment
from parley.tenants.models import Membership, Tenant

MAX_NOTE_CHARS = 2000


class SlotTaken(ApplicationError):
    status = 409


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lock_expert(expert_id: uuid.UUID) -> None:
    ExpertProfile.objects.filter(user_id=expert_id).update(updated_at=timezone.now())


def _is_free(
    *,
    tenant: Tenant,
    expert: User,
    appointment_type: AppointmentType,
    starts_at: datetime,
    now: datetime,
    exclude: uuid.UUID | None = None,
) -> bool:
    kind = slot_kind(expert=expert, appointment_type=appointment_type)
    if kind is None or calendars_stale(expert=expert, tenant=tenant, now=now):
        return False
    start, end = starts_at - timedelta(days=1), starts_at + timedelta(days=1)
    rules = slot_rules(expert=expert, start=start, end=end)
    busy = busy_for(expert=expert, start=start, end=end, exclude=exclude)
    return starts_at in free_slots(rules, kind, busy, start=starts_at, end=starts_at + timedelta(seconds=1), now=now)


def _clean_note(note: Any) -> str:
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > MAX_NOTE_CHARS:
        raise ApplicationError(_("The note can have at most %(n)s characters.") % {"n": MAX_NOTE_CHARS})
    return note


@transaction.atomic
def appointment_book(
    *,
    tenant: Tenant,
    appointment_type_id: uuid.UUID,
    starts_at: datetime,
    name: str,
    email: str,
    note: str = "",
    expert_profile_id: uuid.UUID | None = None,
    topic_id: uuid.UUID | None = None,
    timezone_name: str = "UTC",
    language: str = "",
    now: datetime | None = None,
) -> tuple[Appointment, str, str]:
    """Book `starts_at` with the chosen expert, or with the first expert of the topic who is free then. Returns the
    appointment, its manage token (reschedule/cancel link) and the visitor token of its interaction."""
    if not tenant.appointments_enabled:
        raise FeatureOff(_("Appointments are switched off for %(name)s.") % {"name": tenant.name})
    if starts_at.tzinfo is None:
        raise ApplicationError(_("Give the time with its time zone."))
    now = now or timezone.now()
    appointment_type = access_appointment_type(tenant=tenant, type_id=appointment_type_id)
    note = _clean_note(note)
    candidates = bookable_experts(tenant=tenant, expert_profile_id=expert_profile_id, topic_id=topic_id)
    if expert_profile_id and not candidates:
        raise NotFound(_("This expert is not available."))
    chosen = None
    for profile in candidates:
        _lock_expert(profile.user_id)
        if _is_free(tenant=tenant, expert=profile.user, appointment_type=appointment_type, starts_at=starts_at, now=now):
            chosen = profile
            break
    if chosen is None:
        raise SlotTaken(_("This time is no longer free. Please choose another one."))
    kind = slot_kind(expert=chosen.user, appointment_type=appointment_type)
    assert kind is not None
    topic = Topic.objects.filter(id=topic_id, tenant=tenant).first() if topic_id else None
    interaction, visitor_token = interaction_open(
        tenant=tenant, expert=chosen.user, name=name, email=email, topic=topic, timezone_name=timezone_name, language=language
    )
    manage_token = secrets.token_urlsafe(32)
    appointment = Appointment.objects.create(
        tenant=tenant,
        interaction=interaction,
        expert=chosen.user,
        appointment_type=appointment_type,
        starts_at=starts_at,
        ends_at=starts_at + kind.duration,
        buffer_before_minutes=int(kind.buffer_before.total_seconds() // 60),
        buffer_after_minutes=int(kind.buffer_after.total_seconds() // 60),
        customer_timezone=interaction.customer_timezone,
        status=Appointment.Status.REQUESTED if tenant.booking_needs_confirmation else Appointment.Status.CONFIRMED,
        note=note or None,
        manage_token_hash=token_hash(manage_token),
        manage_token=manage_token,
    )
    if appointment.status == Appointment.Status.CONFIRMED:
        _mail_customer(appointment, "scheduling/mail/confirmed.txt", manage_token, method="REQUEST")
    else:
        _mail_customer(appointment, "scheduling/mail/requested.txt", manage_token)
    _mail_expert(appointment, "scheduling/mail/expert_booked.txt")
    events.inbox(interaction, unread_count(interaction=interaction))
    stats_appointment(appointment=appointment, metric="appointment_booked")
    return appointment, manage_token, visitor_token


# --- mails ------------------------------------------------------------------------------------------------------


def manage_link(appointment: Appointment, token: str) -> str:
    return absolute(reverse("widget:appointment", kwargs={"slug": appointment.tenant.slug, "token": token}))


def _context(appointment: Appointment, zone_name: str) -> dict[str, Any]:
    from parley.scheduling.selectors import zone_of

    zone = zone_of(zone_name)
    return {
        "appointment": appointment,
        "type_name": appointment.appointment_type.name if appointment.appointment_type else "",
        "expert_name": appointment.expert.name if appointment.expert else "",
        "customer_name": appointment.interaction.customer_name,
        "starts_local": appointment.starts_at.astimezone(zone),
        "ends_local": appointment.ends_at.astimezone(zone),
        "proposed_local": appointment.proposed_starts_at.astimezone(zone) if appointment.proposed_starts_at else None,
        "zone_name": zone_name,
        "message": appointment.expert_message or "",
    }


def _mail_customer(appointment: Appointment, template: str, manage_token: str | None = None, *, method: str = "") -> None:
    interaction = appointment.interaction
    context = _context(appointment, appointment.customer_timezone)
    context["manage_link"] = manage_link(appointment, manage_token or appointment.manage_token)
    calendar = None
    if method:
        calendar = ical.appointment_calendar(
            appointment=appointment,
            method=method,
            summary=f"{context['type_name']} · {appointment.tenant.name}",
            description=context["manage_link"],
        )
    mail_send(
        tenant=appointment.tenant,
        to=interaction.customer_email,
        template=template,
        context=context,
        language=interaction.customer_language,
        calendar=calendar,
        calendar_method=method,
        related_id=appointment.id,
    )


def _mail_expert(appointment: Appointment, template: str) -> None:
    expert = appointment.expert
    if expert is None:
        return
    context = _context(appointment, expert.timezone)
    context["link"] = absolute(reverse("scheduling:week", kwargs={"slug": appointment.tenant.slug}))
    mail_send(
        tenant=appointment.tenant,
        to=expert.email,
        template=template,
        context=context,
        language=expert.language or None,
        related_id=appointment.id,
    )


# --- changes ------------------------------------------------------------------------------------------------------


def access_managed_appointment(*, tenant: Tenant, token: str) -> Appointment:
    from parley.holds.selectors import visible_interactions

    appointment = (
        visible_interactions(  # P26: the customer's link does not open an appointment of a held conversation
            Appointment.objects.filter(tenant=tenant, manage_token_hash=token_hash(token or "")), field="interaction_id"
        )
        .select_related("interaction", "expert", "appointment_type", "tenant")
        .first()
    )
    if appointment is None:
        raise NotFound(_("This appointment link is not valid (any more)."))
    return appointment


def _require_expert(actor: User, appointment: Appointment) -> None:
    if appointment.tenant_id != actor.tenant_id:
        raise NotFound(_("No such appointment."))
    if appointment.expert_id != actor.id and actor.role != Membership.Role.ADMIN:
        raise PermissionDenied(_("Only the expert of this appointment or an administrator can do this."))


def _changed(appointment: Appointment, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(appointment, name, value)
    appointment.sequence += 1
    appointment.save(update_fields=[*fields, "sequence", "updated_at"])
    from parley.interactions.models import Interaction

    Interaction.objects.filter(pk=appointment.interaction_id).update(last_activity_at=timezone.now())


@transaction.atomic
def appointment_accept(*, actor: User, appointment: Appointment) -> Appointment:
    _require_expert(actor, appointment)
    if appointment.status != Appointment.Status.REQUESTED:
        raise ApplicationError(_("Only a requested appointment can be accepted."))
    _changed(appointment, status=Appointment.Status.CONFIRMED)
    _mail_customer(appointment, "scheduling/mail/confirmed.txt", method="REQUEST")
    return appointment


@transaction.atomic
def appointment_decline(*, actor: User, appointment: Appointment, message: str = "") -> Appointment:
    _require_expert(actor, appointment)
    if appointment.status not in (Appointment.Status.REQUESTED, Appointment.Status.PROPOSED):
        raise ApplicationError(_("Only a request can be declined."))
    _changed(appointment, status=Appointment.Status.DECLINED, expert_message=_clean_note(message) or None)
    _mail_customer(appointment, "scheduling/mail/declined.txt")
    return appointment


@transaction.atomic
def appointment_propose(
    *, actor: User, appointment: Appointment, starts_at: datetime, message: str = "", now: datetime | None = None
) -> Appointment:
    """Answer a request with another time; the customer accepts it from their link or picks yet another."""
    _require_expert(actor, appointment)
    if appointment.status not in (Appointment.Status.REQUESTED, Appointment.Status.PROPOSED):
        raise ApplicationError(_("Only a request can be answered with another time."))
    now = now or timezone.now()
    assert appointment.expert is not None and appointment.appointment_type is not None
    _lock_expert(appointment.expert_id)  # type: ignore[arg-type]
    if not _is_free(
        tenant=appointment.tenant,
        expert=appointment.expert,
        appointment_type=appointment.appointment_type,
        starts_at=starts_at,
        now=now,
        exclude=appointment.id,
    ):
        raise SlotTaken(_("This time is not free in your schedule."))
    _changed(
        appointment, status=Appointment.Status.PROPOSED, proposed_starts_at=starts_at, expert_message=_clean_note(message) or None
    )
    _mail_customer(appointment, "scheduling/mail/proposed.txt")
    return appointment


@transaction.atomic
def appointment_accept_proposal(*, appointment: Appointment, now: datetime | None = None) -> Appointment:
    if appointment.status != Appointment.Status.PROPOSED or appointment.proposed_starts_at is None:
        raise ApplicationError(_("There is no other time to accept."))
    return _move(appointment, appointment.proposed_starts_at, now=now, status=Appointment.Status.CONFIRMED)


@transaction.atomic
def appointment_reschedule(*, appointment: Appointment, starts_at: datetime, now: datetime | None = None) -> Appointment:
    """The customer moves their appointment (from the mail's link); a tenant that confirms bookings confirms again."""
    if appointment.status not in (Appointment.Status.REQUESTED, Appointment.Status.PROPOSED, Appointment.Status.CONFIRMED):
        raise ApplicationError(_("This appointment can no longer be changed."))
    status = Appointment.Status.REQUESTED if appointment.tenant.booking_needs_confirmation else Appointment.Status.CONFIRMED
    return _move(appointment, starts_at, now=now, status=status)


def _move(appointment: Appointment, starts_at: datetime, *, now: datetime | None, status: str) -> Appointment:
    now = now or timezone.now()
    if appointment.expert is None or appointment.appointment_type is None:
        raise ApplicationError(_("This appointment can no longer be changed."))
    _lock_expert(appointment.expert.id)
    if not _is_free(
        tenant=appointment.tenant,
        expert=appointment.expert,
        appointment_type=appointment.appointment_type,
        starts_at=starts_at,
        now=now,
        exclude=appointment.id,
    ):
        raise SlotTaken(_("This time is no longer free. Please choose another one."))
    length = appointment.ends_at - appointment.starts_at
    _changed(
        appointment, starts_at=starts_at, ends_at=starts_at + length, status=status, proposed_starts_at=None, reminders_sent=[]
    )
    if status == Appointment.Status.CONFIRMED:
        _mail_customer(appointment, "scheduling/mail/confirmed.txt", method="REQUEST")
    else:
        _mail_customer(appointment, "scheduling/mail/requested.txt")
    _mail_expert(appointment, "scheduling/mail/expert_changed.txt")
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, actor: User | None = None, message: str = "") -> Appointment:
    """By the customer (actor None, from their link) or by the expert/admin with a message."""
    if actor is not None:
        _require_expert(actor, appointment)
    if appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.DECLINED):
        return appointment
    _changed(
        appointment,
        status=Appointment.Status.CANCELLED,
        expert_message=(_clean_note(message) or None) if actor else appointment.expert_message,
    )
    _mail_customer(appointment, "scheduling/mail/cancelled.txt", method="CANCEL")
    stats_appointment(appointment=appointment, metric="appointment_cancelled")
    if actor is None:
        _mail_expert(appointment, "scheduling/mail/expert_cancelled.txt")
    return appointment


def reminders_send(*, now: datetime | None = None) -> int:
    """Reminders due now (each offset once per appointment); safe to run by several workers at once."""
    now = now or timezone.now()
    sent = 0
    horizon = now + timedelta(days=8)
    due = Appointment.objects.filter(
        status=Appointment.Status.CONFIRMED, starts_at__gt=now, starts_at__lte=horizon
    ).select_related("tenant")
    for candidate in due:
        offsets = [o for o in candidate.tenant.reminder_offsets if isinstance(o, int) and o > 0]
        pending = [o for o in offsets if o not in candidate.reminders_sent and candidate.starts_at - timedelta(minutes=o) <= now]
        if not pending:
            continue
        with transaction.atomic():
            appointment = (
                Appointment.objects.select_for_update(of=("self",))
                .select_related("interaction", "expert", "appointment_type", "tenant")
                .get(pk=candidate.pk)
            )
            pending = [o for o in pending if o not in appointment.reminders_sent]
            if not pending or appointment.status != Appointment.Status.CONFIRMED:
                continue
            appointment.reminders_sent = sorted({*appointment.reminders_sent, *pending})
            updated = Appointment.objects.filter(pk=appointment.pk, reminders_sent=candidate.reminders_sent).update(
                reminders_sent=appointment.reminders_sent
            )
            if not updated:
                continue  # another worker sent it meanwhile
            _mail_customer(appointment, "scheduling/mail/reminder.txt")
            sent += 1
    return sent


# --- portal: the expert's availability ----------------------------------------------------------------------------

MAX_RANGES_PER_DAY = 12
MAX_EXTRA_DAYS_AHEAD = 366
MAX_ABSENCE = timedelta(days=366)


def _clock(value: time) -> time:
    """Working hours are kept to the minute, without a zone: they are wall-clock times in the expert's zone."""
    return value.replace(second=0, microsecond=0, tzinfo=None)


def _span(start: time, end: time) -> tuple[int, int]:
    """Minutes since midnight; 00:00 as an end is the midnight ending the day (1440)."""
    return start.hour * 60 + start.minute, (end.hour * 60 + end.minute) or 24 * 60


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hours_range_errors(ranges: Sequence[tuple[time, time]]) -> dict[int, str]:
    """What is wrong with one day's ranges, by index: an end that is not after its start (00:00 as an end means
    midnight, so 00:00–00:00 is the whole day), or an overlap with an earlier range. Ranges that only touch
    (09:00–12:00 and 12:00–17:00) are fine."""
    errors: dict[int, str] = {}
    spans: list[tuple[int, int, int]] = []
    for index, (start, end) in enumerate(ranges):
        begin, finish = _span(_clock(start), _clock(end))
        if finish <= begin:
            errors[index] = _("The end must be after the start (00:00 as the end means midnight).")
        else:
            spans.append((begin, finish, index))
    reach: tuple[int, int] | None = None  # the range reaching furthest so far
    for begin, finish, index in sorted(spans):
        if reach is not None and begin < reach[1]:
            errors[index] = _("This overlaps %(start)s–%(end)s.") % {"start": _hhmm(reach[0]), "end": _hhmm(reach[1])}
        if reach is None or finish > reach[1]:
            reach = (begin, finish)
    return errors


@transaction.atomic
def weekly_hours_set(*, actor: User, ranges: Iterable[tuple[int, time, time]]) -> list[WeeklyHours]:
    """Replace the actor's weekly working hours: (weekday, start, end) with 0 = Monday, wall-clock times in the
    actor's own time zone. Nothing is stored unless every range is valid."""
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, start, end in ranges:
        if weekday not in range(7):
            raise ApplicationError(_("Unknown weekday."))
        by_day.setdefault(weekday, []).append((_clock(start), _clock(end)))
    for weekday, day_ranges in sorted(by_day.items()):
        if len(day_ranges) > MAX_RANGES_PER_DAY:
            raise ApplicationError(
                _("%(day)s: at most %(n)s ranges per day.") % {"day": WEEKDAYS[weekday], "n": MAX_RANGES_PER_DAY}
            )
        problems = hours_range_errors(day_ranges)
        if problems:
            raise ApplicationError(f"{WEEKDAYS[weekday]}: {problems[min(problems)]}")
    WeeklyHours.objects.filter(expert=actor).delete()
    return WeeklyHours.objects.bulk_create(
        [
            WeeklyHours(expert=actor, weekday=weekday, start=start, end=end)
            for weekday, day_ranges in sorted(by_day.items())
            for start, end in sorted(day_ranges)
        ]
    )


@transaction.atomic
def extra_hours_add(*, actor: User, day: date, start: time, end: time, now: datetime | None = None) -> ExtraHours:
    """One-off working hours on a local date (in the actor's zone), beside the weekly ones; not overlapping other
    one-off hours of that date."""
    from parley.scheduling.selectors import zone_of

    today = (now or timezone.now()).astimezone(zone_of(actor.timezone)).date()
    if day < today:
        raise ApplicationError(_("Choose today or a later date."))
    if day > today + timedelta(days=MAX_EXTRA_DAYS_AHEAD):
        raise ApplicationError(_("Choose a date within the next year."))
    start, end = _clock(start), _clock(end)
    problems = hours_range_errors([(start, end)])
    if problems:
        raise ApplicationError(problems[0])
    begin, finish = _span(start, end)
    for other in ExtraHours.objects.filter(expert=actor, date=day).order_by("start"):
        other_begin, other_finish = _span(other.start, other.end)
        if begin < other_finish and other_begin < finish:
            raise ApplicationError(
                _("These hours overlap %(start)s–%(end)s on that date.")
                % {"start": _hhmm(other_begin), "end": _hhmm(other_finish)}
            )
    return ExtraHours.objects.create(expert=actor, date=day, start=start, end=end)


def extra_hours_delete(*, actor: User, extra_hours: ExtraHours) -> None:
    if extra_hours.expert_id != actor.id:
        raise NotFound(_("No such hours."))
    extra_hours.delete()


def absence_add(*, actor: User, starts_at: datetime, ends_at: datetime, now: datetime | None = None) -> Absence:
    """Time the actor is away (no reason is stored): no slot is offered in it. Existing appointments stay."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ApplicationError(_("Give the times with their time zone."))
    if ends_at <= starts_at:
        raise ApplicationError(_("The end must be after the start."))
    if ends_at - starts_at > MAX_ABSENCE:
        raise ApplicationError(_("An absence lasts at most a year; add another one after it."))
    if ends_at <= (now or timezone.now()):
        raise ApplicationError(_("This absence is already over."))
    return Absence.objects.create(expert=actor, starts_at=starts_at.astimezone(UTC), ends_at=ends_at.astimezone(UTC))


def absence_delete(*, actor: User, absence: Absence) -> None:
    if absence.expert_id != actor.id:
        raise NotFound(_("No such absence."))
    absence.delete()


def _validation_message(exc: ValidationError, model: type[models.Model]) -> str:
    parts = []
    for field, errors in exc.message_dict.items():
        if field == "__all__":
            parts.append(" ".join(errors))
        else:
            label = str(getattr(model._meta.get_field(field), "verbose_name", field)).capitalize()
            parts.append(f"{label}: {' '.join(errors)}")
    return " ".join(parts)


TYPE_SETTING_FIELDS = (
    "duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "min_notice_minutes",
    "max_days_ahead",
)


@transaction.atomic
def expert_type_setting_set(
    *,
    actor: User,
    appointment_type: AppointmentType,
    enabled: bool,
    duration_minutes: int | None = None,
    buffer_before_minutes: int | None = None,
    buffer_after_minutes: int | None = None,
    min_notice_minutes: int | None = None,
    max_days_ahead: int | None = None,
) -> ExpertTypeSetting | None:
    """The actor's own times for one type, or 'not offered'; an empty value falls back to the type's. Offering a
    type with nothing of one's own keeps no row (None)."""
    if appointment_type.tenant_id != actor.tenant_id:
        raise NotFound(_("No such appointment type."))
    values = {
        "duration_minutes": duration_minutes,
        "buffer_before_minutes": buffer_before_minutes,
        "buffer_after_minutes": buffer_after_minutes,
        "min_notice_minutes": min_notice_minutes,
        "max_days_ahead": max_days_ahead,
    }
    own = ExpertTypeSetting.objects.select_for_update().filter(expert=actor, appointment_type=appointment_type).first()
    if enabled and all(value is None for value in values.values()):
        if own is not None:
            own.delete()
        return None
    own = own or ExpertTypeSetting(expert=actor, appointment_type=appointment_type)
    own.enabled = enabled
    for field, value in values.items():
        setattr(own, field, value)
    try:
        own.full_clean(exclude=["expert", "appointment_type"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ApplicationError(_validation_message(exc, ExpertTypeSetting)) from None
    own.save()
    return own


# --- portal: the admin's appointment types and booking settings -------------------------------------------------


def _require_admin(actor: User, tenant_id: uuid.UUID) -> None:
    if actor.tenant_id != tenant_id:
        raise NotFound(_("Not found."))
    if actor.role != Membership.Role.ADMIN:
        raise PermissionDenied(_("Only an administrator can do this."))


@dataclass(frozen=True)
class AppointmentTypeValues:
    name: str
    channel: str
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_minutes: int
    max_days_ahead: int
    position: int
    is_active: bool


def _type_save(kind: AppointmentType, values: AppointmentTypeValues) -> AppointmentType:
    name = " ".join(values.name.split())
    taken = AppointmentType.objects.filter(tenant_id=kind.tenant_id, name__iexact=name).exclude(pk=kind.pk)
    if taken.exists():
        raise ApplicationError(_("There is already an appointment type called “%(name)s”.") % {"name": name})
    for field, value in asdict(values).items():
        setattr(kind, field, value)
    kind.name = name
    try:
        kind.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ApplicationError(_validation_message(exc, AppointmentType)) from None
    try:
        with transaction.atomic():
            kind.save()
    except IntegrityError:  # a concurrent request took the name between the check and the save
        raise ApplicationError(_("There is already an appointment type called “%(name)s”.") % {"name": name}) from None
    return kind


@transaction.atomic
def appointment_type_create(*, actor: User, values: AppointmentTypeValues) -> AppointmentType:
    """A new kind of appointment customers can book, e.g. "video consultation, 30 min"; names are unique per tenant."""
    _require_admin(actor, actor.tenant_id)
    return _type_save(AppointmentType(tenant_id=actor.tenant_id), values)


@transaction.atomic
def appointment_type_update(*, actor: User, appointment_type: AppointmentType, values: AppointmentTypeValues) -> AppointmentType:
    """Change a type; booked appointments keep the times they were booked with."""
    _require_admin(actor, appointment_type.tenant_id)
    return _type_save(appointment_type, values)


@transaction.atomic
def appointment_type_delete(*, actor: User, appointment_type: AppointmentType) -> None:
    """Delete a type and the experts' own times for it; booked appointments stay, without a type."""
    _require_admin(actor, appointment_type.tenant_id)
    appointment_type.delete()


MAX_REMINDERS = 5
REMINDER_MINUTES = (5, 60 * 24 * 30)


def reminder_offsets_clean(offsets: Iterable[int]) -> list[int]:
    """Reminder offsets in minutes before the appointment: each from 5 minutes to 30 days, at most 5, without
    repeats, the earliest reminder first. An empty list sends no reminder."""
    cleaned = sorted(set(offsets), reverse=True)
    low, high = REMINDER_MINUTES
    for offset in cleaned:
        if not low <= offset <= high:
            raise ApplicationError(
                _("A reminder is from %(low)s to %(high)s minutes before the appointment; %(value)s is not.")
                % {"low": low, "high": high, "value": offset}
            )
    if len(cleaned) > MAX_REMINDERS:
        raise ApplicationError(_("At most %(n)s reminders.") % {"n": MAX_REMINDERS})
    return cleaned


@transaction.atomic
def booking_settings_update(
    *,
    actor: User,
    tenant: Tenant,
    booking_needs_confirmation: bool,
    reminder_offsets: Iterable[int],
    calendar_sync_minutes: int,
    calendar_stale_hours: int,
    calendar_write_back: bool,
) -> Tenant:
    """How the tenant's bookings work: confirmed at once or requests, reminders, calendar sync."""
    _require_admin(actor, tenant.id)
    offsets = reminder_offsets_clean(reminder_offsets)
    if not 5 <= calendar_sync_minutes <= 240:
        raise ApplicationError(_("Calendars sync every 5 to 240 minutes."))
    if not 1 <= calendar_stale_hours <= 168:
        raise ApplicationError(_("The staleness limit is from 1 to 168 hours."))
    tenant.booking_needs_confirmation = booking_needs_confirmation
    tenant.reminder_offsets = offsets
    tenant.calendar_sync_minutes = calendar_sync_minutes
    tenant.calendar_stale_hours = calendar_stale_hours
    tenant.calendar_write_back = calendar_write_back
    tenant.save(
        update_fields=[
            "booking_needs_confirmation",
            "reminder_offsets",
            "calendar_sync_minutes",
            "calendar_stale_hours",
            "calendar_write_back",
            "updated_at",
        ]
    )
    return tenant


# --- portal: delivery of appointment mails ----------------------------------------------------------------------

MAIL_RETRY_PAUSE = timedelta(seconds=30)


@transaction.atomic
def appointment_mail_retry(*, actor: User, mail: OutboxMail, now: datetime | None = None) -> OutboxMail:
    """Queue one more delivery attempt of an unsent mail now, rather than at the next housekeeping retry (which
    gives up after MAX_ATTEMPTS; this does not). Claimed by a conditional update, so a double click, another admin
    or the housekeeping retry cannot send the mail twice at once."""
    from parley.notifications.tasks import mail_deliver

    _require_admin(actor, mail.tenant_id)
    if mail.sent_at is not None:
        raise ApplicationError(_("This mail was sent already."))
    now = now or timezone.now()
    claimed = OutboxMail.objects.filter(pk=mail.pk, sent_at__isnull=True, updated_at__lte=now - MAIL_RETRY_PAUSE).update(
        updated_at=now
    )
    if not claimed:
        raise ApplicationError(_("This mail is being sent right now. If it fails, try again in a minute."))
    mail_id = str(mail.id)
    transaction.on_commit(lambda: mail_deliver.enqueue(mail_id=mail_id), robust=True)
    return mail
