"""The customer's appointment page, reached from the link in every appointment mail (no account, no script needed):
see the appointment in their own time zone, cancel it, accept a time the expert proposed, or choose another time.

Each action is a plain form POST that answers with a redirect back to the page (`?done=...`), so a reload repeats
nothing. Times are shown in the zone the customer booked from (Appointment.customer_timezone)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from parley.accounts.throttle import client_address
from parley.core.exceptions import ApplicationError, NotFound
from parley.core.ratelimit import rate_limit
from parley.interactions.services import visitor_token_issue
from parley.scheduling import services
from parley.scheduling.models import Appointment
from parley.scheduling.selectors import ACTIVE_STATUSES, expert_slots, zone_of
from parley.tenants.models import Tenant
from parley.tenants.selectors import tenant_get_by_slug
from parley.widget.views import pick_language

SLOT_DAYS = 14
DONE = {"cancelled", "moved", "accepted"}
STEPS = {"cancel", "move"}


@dataclass(frozen=True)
class SlotDay:
    label: str
    slots: list[tuple[str, str]]  # (ISO 8601 UTC value, local time label)


def _when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{formats.date_format(local, 'l')}, {formats.date_format(local, 'DATE_FORMAT')}, {local:%H:%M}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _language(request: HttpRequest, tenant: Tenant, appointment: Appointment | None) -> str:
    """The language the customer booked in (their mails are in it), else the browser's."""
    booked = appointment.interaction.customer_language if appointment else ""
    return booked if booked in dict(settings.LANGUAGES) else pick_language(request, tenant)


def _changeable(appointment: Appointment, now: datetime) -> bool:
    return appointment.status in ACTIVE_STATUSES and appointment.starts_at > now


def _slot_days(appointment: Appointment, zone: ZoneInfo, now: datetime) -> list[SlotDay]:
    """The expert's free starts of the next 14 days, grouped by the customer's calendar day."""
    if appointment.expert is None or appointment.appointment_type is None:
        return []
    starts = expert_slots(
        tenant=appointment.tenant,
        expert=appointment.expert,
        appointment_type=appointment.appointment_type,
        start=now,
        end=now + timedelta(days=SLOT_DAYS),
        now=now,
        exclude=appointment.id,
    )
    days: dict[date, list[tuple[str, str]]] = {}
    for start in starts:
        if start == appointment.starts_at:
            continue  # "another time": not the one it already has
        local = start.astimezone(zone)
        days.setdefault(local.date(), []).append((_iso(start), f"{local:%H:%M}"))
    return [
        SlotDay(label=f"{formats.date_format(day, 'l')}, {formats.date_format(day, 'DATE_FORMAT')}", slots=slots)
        for day, slots in days.items()
    ]


def _page(
    request: HttpRequest,
    tenant: Tenant,
    appointment: Appointment,
    *,
    step: str = "",
    error: str = "",
    done: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    zone = zone_of(appointment.customer_timezone)
    language = _language(request, tenant, appointment)
    changeable = _changeable(appointment, now)
    proposal = appointment.status == Appointment.Status.PROPOSED and appointment.proposed_starts_at is not None
    if not changeable:
        step = ""
    with translation.override(language):
        length = appointment.ends_at - appointment.starts_at
        context: dict[str, Any] = {
            "tenant": tenant,
            "language": language,
            "appointment": appointment,
            "status_label": appointment.get_status_display(),
            "type_name": appointment.appointment_type.name if appointment.appointment_type else "",
            "expert_name": appointment.expert.name if appointment.expert else "",
            "zone_name": appointment.customer_timezone.replace("_", " "),
            "starts": _when(appointment.starts_at, zone),
            "starts_iso": _iso(appointment.starts_at),
            "ends": f"{appointment.ends_at.astimezone(zone):%H:%M}",
            "proposed": _when(appointment.proposed_starts_at, zone) if appointment.proposed_starts_at else "",
            "proposed_ends": f"{(appointment.proposed_starts_at + length).astimezone(zone):%H:%M}"
            if appointment.proposed_starts_at
            else "",
            "past": appointment.starts_at <= now,
            "changeable": changeable,
            "can_accept": changeable and proposal,
            "can_join": can_join(appointment, now),
            "step": step,
            "error": error,
            "done": done,
            "slot_days": _slot_days(appointment, zone, now) if step == "move" else [],
            "slot_day_count": SLOT_DAYS,
        }
        response = render(request, "widget/appointment.html", context, status=status)
    response["Content-Language"] = language
    return response


def _gone(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """An unknown (or replaced) link: a 404 page in the web app's look that says so."""
    language = _language(request, tenant, None)
    with translation.override(language):
        response = render(request, "widget/appointment_gone.html", {"tenant": tenant, "language": language}, status=404)
    response["Content-Language"] = language
    return response


JOIN_EARLY = timedelta(minutes=10)
JOIN_LATE = timedelta(minutes=30)


def can_join(appointment: Appointment, now: datetime) -> bool:
    """The call of a confirmed appointment opens ten minutes before it and stays open until after its end."""
    return (
        appointment.tenant.calls_enabled
        and appointment.status == Appointment.Status.CONFIRMED
        and appointment.starts_at - JOIN_EARLY <= now <= appointment.ends_at + JOIN_LATE
    )


def _join(request: HttpRequest, tenant: Tenant, appointment: Appointment) -> HttpResponse:
    """The waiting room: a fresh conversation token in the fragment, and the web app asks the expert to let them in."""
    if not can_join(appointment, timezone.now()):
        return _page(request, tenant, appointment, error=_("The call opens ten minutes before the appointment."), status=400)
    token = visitor_token_issue(interaction=appointment.interaction)
    url = reverse("widget:app", kwargs={"slug": tenant.slug})
    return HttpResponseRedirect(f"{url}#resume={token}&call=waiting")


def _act(appointment: Appointment, action: str, starts_at: str) -> str:
    """Carry out one form's action; returns what the page then says. Raises ApplicationError (SlotTaken too)."""
    if not _changeable(appointment, timezone.now()):
        raise ApplicationError(_("This appointment can no longer be changed."))
    if action == "cancel":
        services.appointment_cancel(appointment=appointment)
        return "cancelled"
    if action == "accept":
        services.appointment_accept_proposal(appointment=appointment)
        return "accepted"
    if action == "move":
        try:
            moment = datetime.fromisoformat(starts_at)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise ApplicationError(_("Please choose one of the free times."))
        services.appointment_reschedule(appointment=appointment, starts_at=moment.astimezone(UTC))
        return "moved"
    raise ApplicationError(_("Unknown action."))


@never_cache
@require_http_methods(["GET", "POST"])
def manage_view(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    try:
        tenant = tenant_get_by_slug(slug=slug)
    except NotFound:
        raise Http404 from None
    try:
        rate_limit(scope="widget-manage-page", key=client_address(request), limit=120, window=60)
        appointment = services.access_managed_appointment(tenant=tenant, token=token)
    except NotFound:
        return _gone(request, tenant)
    except ApplicationError as error:  # too many requests
        return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")
    if request.method == "GET":
        step = request.GET.get("step", "")
        done = request.GET.get("done", "")
        return _page(request, tenant, appointment, step=step if step in STEPS else "", done=done if done in DONE else "")
    action = request.POST.get("action", "")
    if action == "join":
        return _join(request, tenant, appointment)
    with translation.override(_language(request, tenant, appointment)):
        try:
            done = _act(appointment, action, request.POST.get("starts_at", ""))
        except services.SlotTaken as error:
            appointment.refresh_from_db()
            return _page(request, tenant, appointment, step="move", error=error.message, status=409)
        except ApplicationError as error:
            appointment.refresh_from_db()
            return _page(
                request, tenant, appointment, step="move" if action == "move" else "", error=error.message, status=error.status
            )
    url = reverse("widget:appointment", kwargs={"slug": tenant.slug, "token": token})
    return HttpResponseRedirect(f"{url}?done={done}")
