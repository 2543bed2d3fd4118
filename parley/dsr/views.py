"""The public request page of a tenant (no login) and the administrators' request queue (P28, P29)."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.accounts.throttle import client_address
from parley.core.exceptions import ApplicationError, NotFound
from parley.core.ratelimit import TooManyRequests, rate_limit
from parley.dsr import services
from parley.dsr.export import export_build, export_response
from parley.dsr.forms import NoteForm, RectifyForm, RequestForm, StatusForm
from parley.dsr.models import DataSubjectRequest, Right
from parley.dsr.selectors import (
    QUEUE_FILTERS,
    access_pending_request,
    access_request,
    is_overdue,
    outcome_lines,
    split_held,
    subject_applications,
    subject_interactions,
)
from parley.interactions.models import Interaction
from parley.portals.decorators import portal_view, public_tenant_or_404
from parley.portals.types import PortalRequest
from parley.tenants.models import Tenant

ADMIN = "admin"


# --- public ---------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def request_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Anyone can write a request; the answer never says whether the e-mail address is known (no enumeration)."""
    tenant = public_tenant_or_404(slug)
    initial = {"right": request.GET.get("right")} if request.GET.get("right") in Right.values else None
    form = RequestForm(request.POST or None, initial=initial)
    if request.method == "POST":
        try:
            rate_limit(scope="dsr-request", key=client_address(request), limit=5, window=3600)
        except TooManyRequests as exc:
            form.add_error(None, exc.message)
            return render(
                request,
                "dsr/request.html",
                {"tenant": tenant, "form": form, "keep_months": services.retention_months()},
                status=429,
            )
        if form.is_valid():
            try:
                services.request_submit(
                    tenant=tenant,
                    email=form.cleaned_data["email"],
                    name=form.cleaned_data["name"],
                    text=form.cleaned_data["text"],
                    right=form.cleaned_data["right"],
                    language=translation.get_language() or "",
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                return render(request, "dsr/request_sent.html", {"tenant": tenant, "hours": services.CONFIRM_HOURS})
        return render(
            request, "dsr/request.html", {"tenant": tenant, "form": form, "keep_months": services.retention_months()}, status=400
        )
    return render(request, "dsr/request.html", {"tenant": tenant, "form": form, "keep_months": services.retention_months()})


@require_http_methods(["GET", "POST"])
def confirm_view(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links; only a person's click confirms), POST confirms, once."""
    tenant = public_tenant_or_404(slug)
    try:
        if request.method == "POST":
            rate_limit(scope="dsr-confirm", key=client_address(request), limit=20, window=3600)
            confirmed = services.request_confirm(tenant=tenant, token=token)
            return render(request, "dsr/confirmed.html", {"tenant": tenant, "dsr": confirmed})
        pending = access_pending_request(tenant=tenant, token=token)
    except NotFound:
        return render(request, "dsr/confirm_invalid.html", {"tenant": tenant}, status=404)
    except TooManyRequests as exc:
        return render(request, "dsr/confirm_invalid.html", {"tenant": tenant, "message": exc.message}, status=429)
    return render(request, "dsr/confirm.html", {"tenant": tenant, "dsr": pending})


# --- admin queue ----------------------------------------------------------------------------------------------


@portal_view(role=ADMIN)
@require_GET
def queue_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    from parley.dsr.selectors import request_queue

    show = request.GET.get("show", "open")
    if show not in QUEUE_FILTERS:
        show = "open"
    rows = [{"dsr": r, "overdue": is_overdue(r)} for r in request_queue(tenant=tenant, show=show)[:500]]
    return render(request, "dsr/queue.html", {"tenant": tenant, "rows": rows, "show": show, "filters": QUEUE_FILTERS})


def _access(request: PortalRequest, request_id: uuid.UUID) -> DataSubjectRequest:
    try:
        return access_request(actor=request.user, request_id=request_id)
    except NotFound:
        raise Http404 from None


@portal_view(role=ADMIN)
@require_GET
def detail_view(request: PortalRequest, tenant: Tenant, request_id: uuid.UUID) -> HttpResponse:
    dsr = _access(request, request_id)
    return _detail(request, tenant, dsr)


def _detail(request: PortalRequest, tenant: Tenant, dsr: DataSubjectRequest, status: int = 200, **forms: object) -> HttpResponse:
    free: list[Interaction] = []
    held: list[Interaction] = []
    applications = 0
    if dsr.shredded_at is None:
        found = list(subject_interactions(tenant=tenant, subject_index=dsr.subject_index))
        free, held = split_held(found)
        applications = subject_applications(tenant=tenant, email=dsr.email).count()
    context = {
        "tenant": tenant,
        "dsr": dsr,
        "overdue": is_overdue(dsr),
        "lines": outcome_lines(dsr),
        "found": len(free),
        "held": len(held),
        "applications": applications,
        "status_form": forms.get("status_form") or StatusForm(initial={"status": dsr.status}, auto_id="status_%s"),
        "note_form": forms.get("note_form") or NoteForm(auto_id="note_%s"),
        "rectify_form": forms.get("rectify_form") or RectifyForm(auto_id="rectify_%s"),
    }
    return render(request, "dsr/detail.html", context, status=status)


ACTIONS = ("status", "note", "erase", "rectify", "restrict", "consent")


@portal_view(role=ADMIN)
@require_POST
def action_view(request: PortalRequest, tenant: Tenant, request_id: uuid.UUID) -> HttpResponse:
    dsr = _access(request, request_id)
    action = request.POST.get("action", "")
    actor = request.user
    try:
        if action == "status":
            status_form = StatusForm(request.POST, auto_id="status_%s")
            if not status_form.is_valid():
                return _detail(request, tenant, dsr, status=400, status_form=status_form)
            services.request_status_set(
                actor=actor,
                request=dsr,
                status=status_form.cleaned_data["status"],
                note=status_form.cleaned_data["note"],
                tell_person=status_form.cleaned_data["tell_person"],
            )
            messages.success(request, _("Status saved."))
        elif action == "note":
            note_form = NoteForm(request.POST, auto_id="note_%s")
            if not note_form.is_valid():
                return _detail(request, tenant, dsr, status=400, note_form=note_form)
            services.request_note_add(actor=actor, request=dsr, note=note_form.cleaned_data["note"])
            messages.success(request, _("Note added."))
        elif action == "erase":
            if request.POST.get("confirm") != "erase":
                raise ApplicationError(_("Tick the box to confirm the erasure."))
            counts = services.request_erase(actor=actor, request=dsr)
            messages.success(request, _("Erased %(n)s conversations.") % {"n": counts["interactions"]})
        elif action == "rectify":
            rectify_form = RectifyForm(request.POST, auto_id="rectify_%s")
            if not rectify_form.is_valid():
                return _detail(request, tenant, dsr, status=400, rectify_form=rectify_form)
            counts = services.request_rectify(
                actor=actor, request=dsr, name=rectify_form.cleaned_data["name"], email=rectify_form.cleaned_data["email"]
            )
            messages.success(request, _("Corrected %(n)s conversations.") % {"n": counts["interactions"]})
        elif action == "restrict":
            services.request_restrict(actor=actor, request=dsr)
            messages.success(request, _("Restriction recorded."))
        elif action == "consent":
            services.request_consent_withdraw(actor=actor, request=dsr)
            messages.success(request, _("Withdrawal recorded."))
        else:
            raise ApplicationError(_("Unknown action."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _detail(request, tenant, DataSubjectRequest.objects.get(pk=dsr.pk), status=exc.status)
    return redirect("dsr:detail", slug=tenant.slug, request_id=dsr.id)


@portal_view(role=ADMIN)  # type: ignore[arg-type]  # a streamed ZIP is an HttpResponseBase, not an HttpResponse
@require_POST
def export_view(request: PortalRequest, tenant: Tenant, request_id: uuid.UUID) -> HttpResponseBase:
    """Access / portability: the ZIP is built while it downloads and is never stored; the admin passes it on."""
    dsr = _access(request, request_id)
    if dsr.shredded_at is not None:
        raise Http404
    found = list(subject_interactions(tenant=tenant, subject_index=dsr.subject_index))
    free, held = split_held(found)
    bundle = export_build(tenant=tenant, interactions=free, subject_email=dsr.email, request=dsr, held=len(held))
    services.request_export_logged(actor=request.user, request=dsr, counts=bundle.counts)
    return export_response(bundle, filename=f"data-request-{dsr.number}.zip", language=dsr.language)
