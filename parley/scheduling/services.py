"""Booking and changing appointments. Two customers cannot take the same time: every booking first writes the
expert's profile row (an UPDATE: a row lock on PostgreSQL, the database write lock on SQLite), then re-checks the
slot against fresh data, then inserts."""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import ApplicationError, NotFound, PermissionDenied
from parley.experts.models import ExpertProfile, Topic
from parley.interactions import events
from parley.interactions.selectors import absolute, unread_count
from parley.interactions.services import FeatureOff, interaction_open
from parley.notifications.services import mail_send
from parley.scheduling import ical
from parley.scheduling.models import Appointment, AppointmentType
from parley.scheduling.selectors import (
    access_appointment_type,
    bookable_experts,
    busy_for,
    calendars_stale,
    slot_kind,
    slot_rules,
)
from parley.scheduling.slots import free_slots
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
    appointment = (
        Appointment.objects.filter(tenant=tenant, manage_token_hash=token_hash(token or ""))
        .select_related("interaction", "expert", "appointment_type", "tenant")
        .first()
    )
    if appointment is None:
        raise NotFound(_("This appointment link is not valid (any more)."))
    return appointment


def _require_expert(actor: User, appointment: Appointment) -> None:
    if appointment.expert_id != actor.id and actor.role != Membership.Role.ADMIN:
        raise PermissionDenied(_("Only the expert of this appointment or an administrator can do this."))
    if appointment.tenant_id != actor.tenant_id:
        raise NotFound(_("No such appointment."))


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
                Appointment.objects.select_for_update()
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
