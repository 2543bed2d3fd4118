"""Expert portal (P01): the expert's own profile as customers see it."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.core.exceptions import ApplicationError, NotFound
from parley.experts import services
from parley.experts.forms import ExpertProfileForm, PhotoForm
from parley.experts.selectors import access_expert_photo, access_expert_profile
from parley.files.services import file_read
from parley.portals.decorators import portal_view
from parley.portals.types import PortalRequest
from parley.tenants.models import Tenant

EXPERT = "expert"


@portal_view(role=EXPERT)
@require_http_methods(["GET", "POST"])
def profile_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    profile = access_expert_profile(actor=request.user)
    initial = {"description": profile.description or "", "languages": profile.languages or []}
    form = ExpertProfileForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.expert_profile_update(profile=profile, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Your profile was saved."))
                return redirect("portal_expert:profile", slug=tenant.slug)
    context = {"tenant": tenant, "profile": profile, "form": form, "photo_form": PhotoForm()}
    return render(request, "portal_expert/profile.html", context, status=status)


@portal_view(role=EXPERT)
@require_POST
def photo_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    profile = access_expert_profile(actor=request.user)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("portal_expert:profile", slug=tenant.slug)
    upload = form.cleaned_data["photo"]
    try:
        if upload is not None:
            services.expert_photo_set(profile=profile, data=upload.read())
            messages.success(request, _("Your photo was saved."))
        elif form.cleaned_data["remove"]:
            services.expert_photo_set(profile=profile, data=None)
            messages.success(request, _("Your photo was removed."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("portal_expert:profile", slug=tenant.slug)


@portal_view(role=EXPERT)
@require_POST
def status_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    profile = access_expert_profile(actor=request.user)
    try:
        services.expert_status_set(profile=profile, status=request.POST.get("status", ""))
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    if request.headers.get("HX-Request"):
        return render(request, "portal_expert/_status.html", {"tenant": tenant, "profile": profile})
    return redirect("portal_expert:profile", slug=tenant.slug)


@portal_view()
@require_GET
def photo_file_view(request: PortalRequest, tenant: Tenant, profile_id: uuid.UUID) -> HttpResponse:
    """An expert's photo, for signed-in members of the same tenant (the customer widget gets its own route)."""
    try:
        profile = access_expert_photo(tenant=tenant, profile_id=profile_id)
    except NotFound:
        raise Http404 from None
    photo = profile.photo
    assert photo is not None  # access_expert_photo checked it
    response = HttpResponse(file_read(stored=photo), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response
