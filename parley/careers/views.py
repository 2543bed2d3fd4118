"""The tenant's public careers page (no login) and the administrators' applicant tracking (P22)."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.accounts.throttle import client_address
from parley.careers import selectors, services
from parley.careers.forms import ApplyForm, NotesForm, PositionForm, StatusForm
from parley.careers.models import Application
from parley.core.exceptions import ApplicationError, NotFound
from parley.core.ratelimit import TooManyRequests, rate_limit
from parley.interactions.apis import document_response
from parley.portals.decorators import portal_view, public_tenant_or_404
from parley.portals.types import PortalRequest
from parley.tenants.models import Tenant

ADMIN = "admin"


# --- public ---------------------------------------------------------------------------------------------------


@require_GET
def careers_view(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = public_tenant_or_404(slug)
    return render(request, "careers/index.html", {"tenant": tenant, "positions": selectors.open_positions(tenant=tenant)})


@require_http_methods(["GET", "POST"])
def apply_view(request: HttpRequest, slug: str, position_id: uuid.UUID) -> HttpResponse:
    tenant = public_tenant_or_404(slug)
    try:
        position = selectors.open_position_get(tenant=tenant, position_id=position_id)
    except NotFound:
        raise Http404 from None
    form = ApplyForm(request.POST or None, request.FILES or None)
    context = {"tenant": tenant, "position": position, "form": form}
    if request.method == "GET":
        return render(request, "careers/apply.html", context)
    try:
        rate_limit(scope="careers-apply", key=client_address(request), limit=10, window=3600)
    except TooManyRequests as exc:
        form.add_error(None, exc.message)
        return render(request, "careers/apply.html", context, status=429)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.application_submit(
                tenant=tenant,
                position=position,
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                linkedin_url=data["linkedin_url"],
                cover_letter=data["cover_letter"],
                cv_data=data["cv"].read(),
                cv_filename=data["cv"].name or "cv.pdf",
                photo_data=data["photo"].read() if data.get("photo") else None,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return render(request, "careers/applied.html", {"tenant": tenant, "position": position})
    return render(request, "careers/apply.html", context, status=400)


# --- admin ----------------------------------------------------------------------------------------------------


@portal_view(role=ADMIN)
@require_GET
def list_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    rows = selectors.application_list(tenant=tenant)[:500]
    return render(request, "careers/list.html", {"tenant": tenant, "applications": rows})


@portal_view(role=ADMIN)
@require_http_methods(["GET", "POST"])
def positions_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    form = PositionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.position_create(
                    actor=request.user, title=form.cleaned_data["title"], description=form.cleaned_data["description"]
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Position added."))
                return redirect("careers:positions", slug=tenant.slug)
        status = 400
    context = {"tenant": tenant, "form": form, "positions": selectors.positions(tenant=tenant)}
    return render(request, "careers/positions.html", context, status=status)


@portal_view(role=ADMIN)
@require_POST
def position_open_view(request: PortalRequest, tenant: Tenant, position_id: uuid.UUID) -> HttpResponse:
    try:
        position = selectors.access_position(actor=request.user, position_id=position_id)
    except NotFound:
        raise Http404 from None
    is_open = request.POST.get("open") == "1"
    services.position_open_set(actor=request.user, position=position, is_open=is_open)
    messages.success(request, _("Position opened.") if is_open else _("Position closed."))
    return redirect("careers:positions", slug=tenant.slug)


def _access(request: PortalRequest, application_id: uuid.UUID) -> Application:
    try:
        return selectors.access_application(actor=request.user, application_id=application_id)
    except NotFound:
        raise Http404 from None


def _detail(request: PortalRequest, tenant: Tenant, application: Application, status: int = 200, **forms: object) -> HttpResponse:
    context = {
        "tenant": tenant,
        "application": application,
        "status_form": forms.get("status_form") or StatusForm(initial={"status": application.status}, auto_id="status_%s"),
        "notes_form": forms.get("notes_form") or NotesForm(initial={"notes": application.notes or ""}, auto_id="notes_%s"),
        "delete_on": None if application.process_ended_at is None else selectors.delete_on(application),
    }
    return render(request, "careers/detail.html", context, status=status)


@portal_view(role=ADMIN)
@require_GET
def detail_view(request: PortalRequest, tenant: Tenant, application_id: uuid.UUID) -> HttpResponse:
    return _detail(request, tenant, _access(request, application_id))


@portal_view(role=ADMIN)
@require_POST
def action_view(request: PortalRequest, tenant: Tenant, application_id: uuid.UUID) -> HttpResponse:
    application = _access(request, application_id)
    action = request.POST.get("action", "")
    try:
        if action == "status":
            status_form = StatusForm(request.POST, auto_id="status_%s")
            if not status_form.is_valid():
                return _detail(request, tenant, application, status=400, status_form=status_form)
            services.application_status_set(
                actor=request.user, application=application, status=status_form.cleaned_data["status"]
            )
            messages.success(request, _("Status saved."))
        elif action == "notes":
            notes_form = NotesForm(request.POST, auto_id="notes_%s")
            if not notes_form.is_valid():
                return _detail(request, tenant, application, status=400, notes_form=notes_form)
            services.application_notes_set(actor=request.user, application=application, notes=notes_form.cleaned_data["notes"])
            messages.success(request, _("Notes saved."))
        elif action == "delete":
            if request.POST.get("confirm") != "delete":
                raise ApplicationError(_("Tick the box to confirm the deletion."))
            services.application_delete(actor=request.user, application=application)
            messages.success(request, _("The application was deleted."))
            return redirect("careers:applications", slug=tenant.slug)
        else:
            raise ApplicationError(_("Unknown action."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _detail(request, tenant, _access(request, application_id), status=exc.status)
    return redirect("careers:application", slug=tenant.slug, application_id=application.id)


@portal_view(role=ADMIN)
@require_GET
def file_view(request: PortalRequest, tenant: Tenant, application_id: uuid.UUID, kind: str) -> HttpResponse:
    application = _access(request, application_id)
    if kind == "cv" and application.cv is not None:
        return document_response(application.cv, application.cv_filename, application.cv.content_type)
    if kind == "photo" and application.photo is not None:
        extension = "png" if application.photo.content_type == "image/png" else "jpg"
        return document_response(application.photo, f"photo.{extension}", application.photo.content_type)
    raise Http404
