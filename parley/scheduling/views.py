"""Portal pages of appointments: the week (experts: their own; admins: everyone's), answering requests, the
expert's availability, and the admin's appointment types, booking settings and mail delivery.

Every object goes through an access_* selector, so another tenant's or a colleague's appointment is 'not found'.
Times are shown and entered in the expert's own zone (an admin's week without a chosen expert: the admin's zone).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.accounts.models import User
from parley.core.exceptions import ApplicationError, NotFound
from parley.notifications.models import OutboxMail
from parley.notifications.services import MAX_ATTEMPTS
from parley.portals.decorators import portal_view
from parley.portals.types import PortalRequest
from parley.scheduling import selectors, services
from parley.scheduling.forms import (
    AbsenceForm,
    AppointmentTypeForm,
    BookingSettingsForm,
    CancelForm,
    DeclineForm,
    ExtraHoursForm,
    ProposeForm,
    TypeSettingForm,
    WeekFilterForm,
    WeeklyHoursForm,
    parse_week,
)
from parley.scheduling.models import Appointment, AppointmentType
from parley.scheduling.selectors import zone_of
from parley.tenants.models import Membership, Tenant

ADMIN, EXPERT = Membership.Role.ADMIN, Membership.Role.EXPERT
MAIL_PAGE_SIZE = 50


def _appointment(request: PortalRequest, appointment_id: uuid.UUID) -> Appointment:
    try:
        return selectors.access_appointment(actor=request.user, appointment_id=appointment_id)
    except NotFound:
        raise Http404 from None


def _zone_for(request: PortalRequest, appointment: Appointment | None = None) -> ZoneInfo:
    """The expert's zone for one appointment; the viewer's own otherwise."""
    if appointment is not None and appointment.expert is not None:
        return zone_of(appointment.expert.timezone)
    return zone_of(request.user.timezone)


def _to_week(request: PortalRequest, appointment: Appointment) -> HttpResponse:
    """Back to the week of the appointment (for an admin, filtered to its expert)."""
    zone = _zone_for(request, appointment)
    moment = appointment.proposed_starts_at if appointment.status == Appointment.Status.PROPOSED else appointment.starts_at
    query = f"?week={(moment or appointment.starts_at).astimezone(zone).date().isoformat()}"
    if request.user.role == ADMIN and appointment.expert_id:
        query += f"&expert={appointment.expert_id}"
    return redirect(reverse("scheduling:week", kwargs={"slug": appointment.tenant.slug}) + query)


@dataclass
class RequestRow:
    """A request with the forms to answer it (ids prefixed by the appointment, so many fit on one page)."""

    appointment: Appointment
    decline_form: DeclineForm
    propose_form: ProposeForm
    cancel_form: CancelForm


def _row(request: PortalRequest, appointment: Appointment, **bound: Any) -> RequestRow:
    zone = _zone_for(request, appointment)
    key = appointment.id
    return RequestRow(
        appointment=appointment,
        decline_form=bound.get("decline_form") or DeclineForm(prefix=f"decline-{key}"),
        propose_form=bound.get("propose_form")
        or ProposeForm(prefix=f"propose-{key}", zone=zone, own=appointment.expert_id == request.user.id),
        cancel_form=bound.get("cancel_form") or CancelForm(prefix=f"cancel-{key}"),
    )


# --- the week ------------------------------------------------------------------------------------------------------


def _week_url(tenant: Tenant, query: dict[str, str]) -> str:
    url = reverse("scheduling:week", kwargs={"slug": tenant.slug})
    return f"{url}?{urlencode(query)}" if query else url


@portal_view()
@require_GET
def week_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    is_admin = request.user.role == ADMIN
    filter_form = WeekFilterForm(request.GET or None, tenant=tenant) if is_admin else None
    expert: User | None = filter_form.chosen_expert() if filter_form is not None else request.user
    zone = zone_of(expert.timezone if expert is not None else request.user.timezone)
    now = timezone.now()
    today = now.astimezone(zone).date()
    monday = selectors.week_monday(parse_week(request.GET.get("week"), today))
    days = selectors.appointment_week(actor=request.user, monday=monday, zone=zone, expert=expert)
    requests = selectors.appointments_pending(actor=request.user, status=Appointment.Status.REQUESTED, expert=expert, now=now)
    proposed = selectors.appointments_pending(actor=request.user, status=Appointment.Status.PROPOSED, expert=expert, now=now)
    base = {"expert": str(expert.id)} if is_admin and expert is not None else {}
    context = {
        "tenant": tenant,
        "is_admin": is_admin,
        "filter_form": filter_form,
        "expert": expert,
        "zone_name": zone.key,
        "today": today,
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "days": days,
        "now": now,
        "requests": [_row(request, a) for a in requests],
        "proposed": [_row(request, a) for a in proposed],
        "week_links": {
            "previous": _week_url(tenant, {**base, "week": (monday - timedelta(days=7)).isoformat()}),
            "next": _week_url(tenant, {**base, "week": (monday + timedelta(days=7)).isoformat()}),
            "today": _week_url(tenant, base),
        },
    }
    return render(request, "scheduling/week.html", context)


def _appointment_page(
    request: PortalRequest, tenant: Tenant, appointment: Appointment, status: int = 200, **bound: Any
) -> HttpResponse:
    context = {
        "tenant": tenant,
        "row": _row(request, appointment, **bound),
        "appointment": appointment,
        "zone_name": _zone_for(request, appointment).key,
        "now": timezone.now(),
        "is_admin": request.user.role == ADMIN,
        "has_actions": appointment.status in (Appointment.Status.REQUESTED, Appointment.Status.PROPOSED)
        or (appointment.status == Appointment.Status.CONFIRMED and appointment.ends_at > timezone.now()),
    }
    return render(request, "scheduling/appointment.html", context, status=status)


@portal_view()
@require_GET
def appointment_view(request: PortalRequest, tenant: Tenant, appointment_id: uuid.UUID) -> HttpResponse:
    return _appointment_page(request, tenant, _appointment(request, appointment_id))


@portal_view()
@require_POST
def accept_view(request: PortalRequest, tenant: Tenant, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment(request, appointment_id)
    try:
        services.appointment_accept(actor=request.user, appointment=appointment)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The appointment with %(name)s is confirmed; they get an invitation.") % {"name": _name(appointment)}
        )
    return _to_week(request, appointment)


@portal_view()
@require_POST
def decline_view(request: PortalRequest, tenant: Tenant, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment(request, appointment_id)
    form = DeclineForm(request.POST, prefix=f"decline-{appointment.id}")
    if form.is_valid():
        try:
            services.appointment_decline(actor=request.user, appointment=appointment, message=form.cleaned_data["message"])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The request of %(name)s was declined; they are told.") % {"name": _name(appointment)})
            return _to_week(request, appointment)
    return _appointment_page(request, tenant, appointment, status=400, decline_form=form)


@portal_view()
@require_POST
def propose_view(request: PortalRequest, tenant: Tenant, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment(request, appointment_id)
    form = ProposeForm(
        request.POST,
        prefix=f"propose-{appointment.id}",
        zone=_zone_for(request, appointment),
        own=appointment.expert_id == request.user.id,
    )
    status = 400
    if form.is_valid():
        try:
            services.appointment_propose(
                actor=request.user,
                appointment=appointment,
                starts_at=form.cleaned_data["starts_at"],
                message=form.cleaned_data["message"],
            )
        except ApplicationError as exc:
            form.add_error("starts_at", exc.message)
            status = exc.status
        else:
            messages.success(request, _("%(name)s is asked whether the other time suits them.") % {"name": _name(appointment)})
            return _to_week(request, appointment)
    return _appointment_page(request, tenant, appointment, status=status, propose_form=form)


@portal_view()
@require_POST
def cancel_view(request: PortalRequest, tenant: Tenant, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment(request, appointment_id)
    form = CancelForm(request.POST, prefix=f"cancel-{appointment.id}")
    if form.is_valid():
        try:
            services.appointment_cancel(actor=request.user, appointment=appointment, message=form.cleaned_data["message"])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("The appointment with %(name)s was cancelled; they are told.") % {"name": _name(appointment)}
            )
            return _to_week(request, appointment)
    return _appointment_page(request, tenant, appointment, status=400, cancel_form=form)


def _name(appointment: Appointment) -> str:
    return str(appointment.interaction.customer_name)


# --- availability ------------------------------------------------------------------------------------------------


def _availability_page(request: PortalRequest, tenant: Tenant, status: int = 200, **bound: Any) -> HttpResponse:
    expert = request.user
    zone = zone_of(expert.timezone)
    now = timezone.now()
    hours = selectors.weekly_hours_of(expert=expert)
    type_rows = []
    for kind, own in selectors.type_settings_of(expert=expert):
        form = bound.get(f"type_form_{kind.id}") or TypeSettingForm(
            appointment_type=kind,
            initial={
                "offered": own.enabled if own else True,
                **{f: getattr(own, f) for f in services.TYPE_SETTING_FIELDS if own},
            },
        )
        type_rows.append({"type": kind, "form": form})
    context = {
        "tenant": tenant,
        "zone_name": zone.key,
        "hours_form": bound.get("hours_form") or WeeklyHoursForm(hours=hours),
        "extra_form": bound.get("extra_form") or ExtraHoursForm(prefix="extra"),
        "absence_form": bound.get("absence_form") or AbsenceForm(prefix="absence", zone=zone),
        "extra_hours": selectors.extra_hours_upcoming(expert=expert, today=now.astimezone(zone).date()),
        "absences": selectors.absences_upcoming(expert=expert, now=now),
        "type_rows": type_rows,
        "max_ranges": services.MAX_RANGES_PER_DAY,
    }
    return render(request, "scheduling/availability.html", context, status=status)


def _to_availability(tenant: Tenant, anchor: str = "") -> HttpResponse:
    return redirect(reverse("scheduling:availability", kwargs={"slug": tenant.slug}) + anchor)


@portal_view(role=EXPERT)
@require_http_methods(["GET", "POST"])
def availability_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    """GET: the page; POST: the weekly hours (the other forms post to their own addresses)."""
    if request.method != "POST":
        return _availability_page(request, tenant)
    form = WeeklyHoursForm(request.POST, hours=selectors.weekly_hours_of(expert=request.user))
    if form.is_valid():
        try:
            services.weekly_hours_set(actor=request.user, ranges=form.cleaned_data["ranges"])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your working hours were saved."))
            return _to_availability(tenant, "#weekly")
    return _availability_page(request, tenant, status=400, hours_form=form)


@portal_view(role=EXPERT)
@require_POST
def extra_hours_add_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    form = ExtraHoursForm(request.POST, prefix="extra")
    if form.is_valid():
        try:
            services.extra_hours_add(
                actor=request.user, day=form.cleaned_data["date"], start=form.cleaned_data["start"], end=form.cleaned_data["end"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The extra hours were added."))
            return _to_availability(tenant, "#extra")
    return _availability_page(request, tenant, status=400, extra_form=form)


@portal_view(role=EXPERT)
@require_POST
def extra_hours_delete_view(request: PortalRequest, tenant: Tenant, extra_hours_id: uuid.UUID) -> HttpResponse:
    try:
        extra = selectors.access_extra_hours(actor=request.user, extra_hours_id=extra_hours_id)
    except NotFound:
        raise Http404 from None
    services.extra_hours_delete(actor=request.user, extra_hours=extra)
    messages.success(request, _("The extra hours were removed."))
    return _to_availability(tenant, "#extra")


@portal_view(role=EXPERT)
@require_POST
def absence_add_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    form = AbsenceForm(request.POST, prefix="absence", zone=zone_of(request.user.timezone))
    if form.is_valid():
        try:
            services.absence_add(
                actor=request.user, starts_at=form.cleaned_data["starts_at"], ends_at=form.cleaned_data["ends_at"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The absence was added. Appointments already booked in it stay."))
            return _to_availability(tenant, "#absences")
    return _availability_page(request, tenant, status=400, absence_form=form)


@portal_view(role=EXPERT)
@require_POST
def absence_delete_view(request: PortalRequest, tenant: Tenant, absence_id: uuid.UUID) -> HttpResponse:
    try:
        absence = selectors.access_absence(actor=request.user, absence_id=absence_id)
    except NotFound:
        raise Http404 from None
    services.absence_delete(actor=request.user, absence=absence)
    messages.success(request, _("The absence was removed."))
    return _to_availability(tenant, "#absences")


@portal_view(role=EXPERT)
@require_POST
def type_setting_view(request: PortalRequest, tenant: Tenant, type_id: uuid.UUID) -> HttpResponse:
    try:
        kind = selectors.access_appointment_type(tenant=tenant, type_id=type_id)
    except NotFound:
        raise Http404 from None
    form = TypeSettingForm(request.POST, appointment_type=kind)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.expert_type_setting_set(actor=request.user, appointment_type=kind, enabled=data.pop("offered"), **data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your times for “%(name)s” were saved.") % {"name": kind.name})
            return _to_availability(tenant, f"#type-{kind.id}")
    return _availability_page(request, tenant, status=400, **{f"type_form_{kind.id}": form})


# --- the admin's appointment types and booking settings -----------------------------------------------------------


def _types_page(request: PortalRequest, tenant: Tenant, status: int = 200, **bound: Any) -> HttpResponse:
    context = {
        "tenant": tenant,
        "types": selectors.appointment_type_list(tenant=tenant),
        "form": bound.get("form")
        or AppointmentTypeForm(
            initial={
                **AppointmentTypeForm.initial_for(AppointmentType()),
                "position": selectors.appointment_type_next_position(tenant=tenant),
            },
        ),
        "settings_form": bound.get("settings_form")
        or BookingSettingsForm(initial=BookingSettingsForm.initial_for(tenant), prefix="booking"),
    }
    return render(request, "scheduling/types.html", context, status=status)


@portal_view(role=ADMIN)
@require_http_methods(["GET", "POST"])
def types_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    """The tenant's appointment types and booking settings; POST adds a type."""
    if request.method != "POST":
        return _types_page(request, tenant)
    form = AppointmentTypeForm(request.POST)
    if form.is_valid():
        try:
            kind = services.appointment_type_create(actor=request.user, values=form.values())
        except ApplicationError as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(request, _("The appointment type “%(name)s” was added.") % {"name": kind.name})
            return redirect("scheduling:types", slug=tenant.slug)
    return _types_page(request, tenant, status=400, form=form)


@portal_view(role=ADMIN)
@require_POST
def booking_settings_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    form = BookingSettingsForm(request.POST, prefix="booking")
    if form.is_valid():
        try:
            services.booking_settings_update(actor=request.user, tenant=tenant, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The booking settings were saved."))
            return redirect(reverse("scheduling:types", kwargs={"slug": tenant.slug}) + "#booking")
        tenant.refresh_from_db()
    return _types_page(request, tenant, status=400, settings_form=form)


def _type(request: PortalRequest, type_id: uuid.UUID) -> AppointmentType:
    try:
        return selectors.access_tenant_appointment_type(actor=request.user, type_id=type_id)
    except NotFound:
        raise Http404 from None


@portal_view(role=ADMIN)
@require_http_methods(["GET", "POST"])
def type_edit_view(request: PortalRequest, tenant: Tenant, type_id: uuid.UUID) -> HttpResponse:
    kind = _type(request, type_id)
    form = AppointmentTypeForm(request.POST or None, initial=AppointmentTypeForm.initial_for(kind))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.appointment_type_update(actor=request.user, appointment_type=kind, values=form.values())
            except ApplicationError as exc:
                form.add_error("name", exc.message)
            else:
                messages.success(request, _("The appointment type was saved."))
                return redirect("scheduling:types", slug=tenant.slug)
            kind.refresh_from_db()
    return render(request, "scheduling/type_edit.html", {"tenant": tenant, "type": kind, "form": form}, status=status)


@portal_view(role=ADMIN)
@require_POST
def type_delete_view(request: PortalRequest, tenant: Tenant, type_id: uuid.UUID) -> HttpResponse:
    kind = _type(request, type_id)
    name = kind.name
    services.appointment_type_delete(actor=request.user, appointment_type=kind)
    messages.success(request, _("The appointment type “%(name)s” was deleted.") % {"name": name})
    return redirect("scheduling:types", slug=tenant.slug)


# --- mail delivery ---------------------------------------------------------------------------------------------------

MAIL_LABELS = {
    "scheduling/mail/confirmed.txt": gettext_lazy("Confirmation with calendar invitation, to the customer"),
    "scheduling/mail/requested.txt": gettext_lazy("Request received, to the customer"),
    "scheduling/mail/declined.txt": gettext_lazy("Request declined, to the customer"),
    "scheduling/mail/proposed.txt": gettext_lazy("Another time proposed, to the customer"),
    "scheduling/mail/cancelled.txt": gettext_lazy("Cancellation, to the customer"),
    "scheduling/mail/reminder.txt": gettext_lazy("Reminder, to the customer"),
    "scheduling/mail/expert_booked.txt": gettext_lazy("New booking or request, to the expert"),
    "scheduling/mail/expert_changed.txt": gettext_lazy("Moved by the customer, to the expert"),
    "scheduling/mail/expert_cancelled.txt": gettext_lazy("Cancelled by the customer, to the expert"),
}


@dataclass
class MailRow:
    mail: OutboxMail
    label: str
    appointment: Appointment | None
    gave_up: bool


@portal_view(role=ADMIN)
@require_GET
def mails_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    page = Paginator(selectors.appointment_mails(tenant=tenant), MAIL_PAGE_SIZE).get_page(request.GET.get("page"))
    mails: list[OutboxMail] = list(page.object_list)
    appointments = selectors.appointments_by_id(tenant=tenant, ids={m.related_id for m in mails if m.related_id})
    rows = [
        MailRow(
            mail=m,
            label=str(MAIL_LABELS.get(m.template, m.template.rsplit("/", 1)[-1].removesuffix(".txt") or _("Mail"))),
            appointment=appointments.get(m.related_id) if m.related_id else None,
            gave_up=m.attempts >= MAX_ATTEMPTS,
        )
        for m in mails
    ]
    context = {
        "tenant": tenant,
        "page": page,
        "rows": rows,
        "keeps_sent": settings.PARLEY_DEV_OUTBOX,
        "max_attempts": MAX_ATTEMPTS,
    }
    return render(request, "scheduling/mails.html", context)


@portal_view(role=ADMIN)
@require_POST
def mail_retry_view(request: PortalRequest, tenant: Tenant, mail_id: uuid.UUID) -> HttpResponse:
    try:
        mail = selectors.access_appointment_mail(actor=request.user, mail_id=mail_id)
    except NotFound:
        raise Http404 from None
    try:
        services.appointment_mail_retry(actor=request.user, mail=mail)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The mail is being sent again. Reload the page to see whether it went out."))
    return redirect("scheduling:mails", slug=tenant.slug)
