"""Admin portal: the legal-hold list (P26), the only place where held data is still shown, read-only.

Only administrators; another tenant's hold, conversation or account is 'not found' (404), an expert is refused (403).
"""

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from parley.core.exceptions import ApplicationError, NotFound
from parley.experts.selectors import access_member
from parley.holds import services
from parley.holds.forms import HoldForm, ReleaseForm
from parley.holds.models import LegalHold
from parley.holds.selectors import access_hold, held_interaction, held_person, hold_rows
from parley.interactions.apis import document_response
from parley.interactions.inbox import conversation_messages
from parley.interactions.models import Document
from parley.interactions.selectors import access_interaction
from parley.portals.decorators import portal_view
from parley.portals.types import PortalRequest
from parley.tenants.models import Tenant

ADMIN = "admin"


def _hold(request: PortalRequest, hold_id: uuid.UUID) -> LegalHold:
    try:
        return access_hold(actor=request.user, hold_id=hold_id)
    except NotFound:
        raise Http404 from None


@portal_view(role=ADMIN)
@require_GET
def hold_list_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    return render(request, "holds/list.html", {"tenant": tenant, "rows": hold_rows(tenant_id=tenant.id)})


def _place(
    request: PortalRequest, tenant: Tenant, place: Callable[[str], str], *, interaction: object, person: object
) -> HttpResponse:
    """The hold form for one target: `place(reason)` places the hold and returns the confirmation text."""
    form = HoldForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                done = place(form.cleaned_data["reason"])
            except ApplicationError as exc:
                form.add_error("reason", exc.message)
            else:
                messages.success(request, done)
                return redirect("holds:list", slug=tenant.slug)
    context = {"tenant": tenant, "form": form, "interaction": interaction, "person": person}
    return render(request, "holds/place.html", context, status=status)


@portal_view(role=ADMIN)
@require_http_methods(["GET", "POST"])
def hold_interaction_view(request: PortalRequest, tenant: Tenant, interaction_id: uuid.UUID) -> HttpResponse:
    """Place a conversation under a legal hold (linked from the admin's view of the conversation)."""
    try:
        interaction = access_interaction(actor=request.user, interaction_id=interaction_id)
    except NotFound:
        raise Http404 from None

    def place(reason: str) -> str:
        services.hold_place_on_interaction(actor=request.user, interaction_id=interaction.id, reason=reason)
        return _("The conversation is under a legal hold: kept, and hidden from every other view.")

    return _place(request, tenant, place, interaction=interaction, person=None)


@portal_view(role=ADMIN)
@require_http_methods(["GET", "POST"])
def hold_user_view(request: PortalRequest, tenant: Tenant, user_id: uuid.UUID) -> HttpResponse:
    """Place a person's account under a legal hold (linked from the people list)."""
    try:
        person = access_member(actor=request.user, user_id=user_id)
    except NotFound:
        raise Http404 from None

    def place(reason: str) -> str:
        services.hold_place_on_user(actor=request.user, user_id=person.id, reason=reason)
        return _("%(name)s's account is under a legal hold: deactivated and kept.") % {"name": person.name}

    return _place(request, tenant, place, interaction=None, person=person)


@portal_view(role=ADMIN)
@require_GET
def hold_detail_view(request: PortalRequest, tenant: Tenant, hold_id: uuid.UUID) -> HttpResponse:
    """What the hold keeps, read-only: the legal purpose is the only use left."""
    hold = _hold(request, hold_id)
    context: dict[str, object] = {"tenant": tenant, "hold": hold, "interaction": None, "person": None}
    if hold.target_type == LegalHold.TargetType.INTERACTION:
        try:
            interaction = held_interaction(hold=hold)
        except NotFound:
            raise Http404 from None
        rows, truncated = conversation_messages(interaction=interaction)
        context |= {
            "interaction": interaction,
            "chat_messages": rows,
            "truncated": truncated,
            "seen_seq": 0,
            "document_base": f"{request.path}documents/",
        }
    else:
        context["person"] = held_person(hold=hold)
    return render(request, "holds/detail.html", context)


@portal_view(role=ADMIN)
@require_GET
def hold_document_view(request: PortalRequest, tenant: Tenant, hold_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    hold = _hold(request, hold_id)
    try:
        interaction = held_interaction(hold=hold)
    except NotFound:
        raise Http404 from None
    document = Document.objects.filter(id=document_id, interaction=interaction).select_related("file").first()
    if document is None:
        raise Http404
    return document_response(document.file, document.filename, document.content_type)


@portal_view(role=ADMIN)
@require_http_methods(["GET", "POST"])
def hold_release_view(request: PortalRequest, tenant: Tenant, hold_id: uuid.UUID) -> HttpResponse:
    hold = _hold(request, hold_id)
    form = ReleaseForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            services.hold_release(actor=request.user, hold=hold)
            messages.success(request, _("The legal hold was released; deletion and retention apply again."))
            return redirect("holds:list", slug=tenant.slug)
        return render(request, "holds/release.html", {"tenant": tenant, "hold": hold, "form": form}, status=400)
    return render(request, "holds/release.html", {"tenant": tenant, "hold": hold, "form": form})
