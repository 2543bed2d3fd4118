"""Expert portal: the Calendars page (connections and their health), connecting (OAuth or CalDAV), "Sync now" and
"Unlink". Each connection is reachable by its own expert only: a colleague, an admin and another tenant get 404/403."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.core.exceptions import ApplicationError, NotFound
from parley.interactions.selectors import absolute
from parley.portals.decorators import portal_view
from parley.portals.types import PortalRequest
from parley.scheduling.calendars import services
from parley.scheduling.calendars.forms import CalDAVForm, ConnectForm
from parley.scheduling.calendars.selectors import access_connection, connections_of, oauth_providers_offered
from parley.scheduling.models import CalendarConnection
from parley.tenants.models import Tenant

EXPERT = "expert"
FLOW_KEY = "calendars_oauth"


def _page(request: PortalRequest, tenant: Tenant, caldav_form: CalDAVForm | None = None, status: int = 200) -> HttpResponse:
    context = {
        "tenant": tenant,
        "connections": connections_of(actor=request.user),
        "providers": oauth_providers_offered(),
        "caldav_form": caldav_form or CalDAVForm(),
        "write_back_allowed": tenant.calendar_write_back,
        "stale_hours": tenant.calendar_stale_hours,
    }
    return render(request, "calendars/list.html", context, status=status)


def _connection(request: PortalRequest, connection_id: uuid.UUID) -> CalendarConnection:
    try:
        return access_connection(actor=request.user, connection_id=connection_id)
    except NotFound:
        raise Http404 from None


def _redirect_uri(tenant: Tenant) -> str:
    return absolute(reverse("calendars:callback", kwargs={"slug": tenant.slug}))


@portal_view(role=EXPERT)
@require_GET
def list_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    return _page(request, tenant)


@portal_view(role=EXPERT)
@require_POST
def connect_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    form = ConnectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This calendar provider is not offered."))
        return redirect("calendars:list", slug=tenant.slug)
    data = form.cleaned_data
    try:
        url = services.oauth_start(
            actor=request.user, provider=data["provider"], redirect_uri=_redirect_uri(tenant), write_back=data["write_back"]
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("calendars:list", slug=tenant.slug)
    replaces = data["replaces"]
    request.session[FLOW_KEY] = {"write_back": bool(data["write_back"]), "replaces": str(replaces) if replaces else ""}
    return redirect(url)


@portal_view(role=EXPERT)
@require_GET
def callback_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    flow = request.session.pop(FLOW_KEY, None) or {}
    try:
        replaces = uuid.UUID(flow["replaces"]) if flow.get("replaces") else None
    except ValueError:
        replaces = None
    try:
        connection = services.oauth_callback(
            actor=request.user,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
            redirect_uri=_redirect_uri(tenant),
            write_back=bool(flow.get("write_back")),
            replaces=replaces,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("calendars:list", slug=tenant.slug)
    if connection.last_success_at:
        messages.success(request, _("Your calendar is connected and synced."))
    else:
        messages.warning(request, _("Your calendar is connected, but the first sync failed. Parley tries again."))
    return redirect("calendars:list", slug=tenant.slug)


@portal_view(role=EXPERT)
@require_POST
def caldav_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    form = CalDAVForm(request.POST)
    if form.is_valid():
        try:
            services.caldav_connect(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your calendar is connected and synced."))
            return redirect("calendars:list", slug=tenant.slug)
    return _page(request, tenant, caldav_form=form, status=400)


@portal_view(role=EXPERT)
@require_POST
def sync_view(request: PortalRequest, tenant: Tenant, connection_id: uuid.UUID) -> HttpResponse:
    connection = _connection(request, connection_id)
    try:
        synced = services.sync_now(actor=request.user, connection=connection)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if synced:
            messages.success(request, _("The calendar was synced."))
        else:
            messages.error(request, _("The sync failed; see the calendar's status below."))
    return redirect("calendars:list", slug=tenant.slug)


@portal_view(role=EXPERT)
@require_http_methods(["GET", "POST"])
def unlink_view(request: PortalRequest, tenant: Tenant, connection_id: uuid.UUID) -> HttpResponse:
    connection = _connection(request, connection_id)
    if request.method == "POST":
        if request.POST.get("confirm") != "unlink":
            messages.error(request, _("Tick the box to confirm."))
            return redirect("calendars:unlink", slug=tenant.slug, connection_id=connection.id)
        services.calendar_unlink(actor=request.user, connection=connection)
        messages.success(request, _("The calendar was unlinked: its access and every stored busy time were deleted."))
        return redirect("calendars:list", slug=tenant.slug)
    return render(request, "calendars/unlink.html", {"tenant": tenant, "connection": connection})
