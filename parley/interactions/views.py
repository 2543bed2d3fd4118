"""Portal pages of conversations: the inbox (experts: their own, admins: the whole tenant) and one conversation.

Every object goes through access_interaction/access_document, so another tenant's or a colleague's conversation is
'not found'. Live updates come over the portal WebSocket (inbox.js); every action also works as a plain form POST.
"""

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.core.exceptions import ApplicationError, NotFound
from parley.interactions import services
from parley.interactions.apis import document_response
from parley.interactions.forms import InboxFilterForm, ReplyForm, StatusForm, TransferForm, UploadForm
from parley.interactions.inbox import conversation_messages, seen_marker_seq
from parley.interactions.models import Interaction, Side
from parley.interactions.selectors import access_document, access_interaction, expert_transfer_choices, inbox_list, message_dict
from parley.portals.decorators import portal_view
from parley.portals.types import PortalRequest
from parley.tenants.document_types import DOCUMENT_TYPES, allowed_mime_types, max_document_bytes
from parley.tenants.models import Membership, Tenant

PAGE_SIZE = 50


def _interaction(request: PortalRequest, interaction_id: uuid.UUID) -> Interaction:
    try:
        return access_interaction(actor=request.user, interaction_id=interaction_id)
    except NotFound:
        raise Http404 from None


def _is_handler(request: PortalRequest, interaction: Interaction) -> bool:
    """Only the expert the conversation is with writes in it and marks it read; admins watch and manage."""
    return interaction.expert_id == request.user.id


def _to_conversation(interaction: Interaction, anchor: str = "") -> HttpResponse:
    url = reverse("interactions:conversation", kwargs={"slug": interaction.tenant.slug, "interaction_id": interaction.id})
    return redirect(url + anchor)


def _wants_json(request: PortalRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@portal_view()
@require_GET
def inbox_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    is_admin = request.user.role == Membership.Role.ADMIN
    form = InboxFilterForm(request.GET or None, tenant=tenant, is_admin=is_admin)
    filters = form.filters()
    page = Paginator(inbox_list(actor=request.user, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "tenant": tenant,
        "form": form,
        "filters": filters,
        "page": page,
        "is_admin": is_admin,
        "querystring": {k: v for k, v in request.GET.items() if k != "page"},
    }
    return render(request, "interactions/inbox.html", context)


def _conversation_context(request: PortalRequest, tenant: Tenant, interaction: Interaction, **forms: Any) -> dict[str, Any]:
    message_rows, truncated = conversation_messages(interaction=interaction)
    profile = getattr(interaction.expert, "expert_profile", None) if interaction.expert_id else None
    chosen = set(tenant.document_types or [])
    return {
        "tenant": tenant,
        "interaction": interaction,
        "chat_messages": message_rows,
        "truncated": truncated,
        "seen_seq": seen_marker_seq(messages=message_rows, customer_read_seq=interaction.customer_read_seq),
        "is_handler": _is_handler(request, interaction),
        "chat_enabled": tenant.chat_enabled,
        "documents_enabled": tenant.documents_enabled,
        "accept": ",".join(allowed_mime_types(tenant)),
        "document_labels": ", ".join(str(label) for key, (label, _mimes) in DOCUMENT_TYPES.items() if key in chosen),
        "max_bytes": max_document_bytes(tenant),
        "expert_profile_id": profile.id if profile else "",
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "upload_error": forms.get("upload_error", ""),
        "transfer_form": TransferForm(interaction=interaction),
        "has_colleagues": expert_transfer_choices(interaction=interaction).exists(),
        "document_base": reverse("interactions:conversation", kwargs={"slug": tenant.slug, "interaction_id": interaction.id})
        + "documents/",
    }


@portal_view()
@require_GET
def conversation_view(request: PortalRequest, tenant: Tenant, interaction_id: uuid.UUID) -> HttpResponse:
    interaction = _interaction(request, interaction_id)
    if _is_handler(request, interaction) and interaction.expert_read_seq < interaction.last_seq:
        # The page shows every message, so the expert has read them (without JS too); admins never mark read.
        last = interaction.last_seq
        services.receipts_update(interaction=interaction, side=Side.EXPERT, delivered=last, read=last)
        interaction.expert_delivered_seq = interaction.expert_read_seq = last
    return render(request, "interactions/conversation.html", _conversation_context(request, tenant, interaction))


@portal_view()
@require_POST
def reply_view(request: PortalRequest, tenant: Tenant, interaction_id: uuid.UUID) -> HttpResponse:
    interaction = _interaction(request, interaction_id)
    if not _is_handler(request, interaction):
        raise DjangoPermissionDenied
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            message = services.message_post(
                interaction=interaction, sender=Side.EXPERT, body=form.cleaned_data["body"], author=request.user
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            return _to_conversation(interaction, f"#m-{message.seq}")
    else:
        status = 400
    context = _conversation_context(request, tenant, interaction, reply_form=form)
    return render(request, "interactions/conversation.html", context, status=status)


@portal_view()
@require_POST
def upload_view(request: PortalRequest, tenant: Tenant, interaction_id: uuid.UUID) -> HttpResponse:
    """Multipart upload; answers JSON to inbox.js (Accept: application/json), otherwise the page with the error."""
    interaction = _interaction(request, interaction_id)
    if not _is_handler(request, interaction):
        raise DjangoPermissionDenied
    form = UploadForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ApplicationError(_("Choose a file to send."))
        upload = form.cleaned_data["file"]
        if upload.size is not None and upload.size > max_document_bytes(tenant):
            raise services.TooLarge(_("The file is too large (at most %(mb)s MB).") % {"mb": tenant.document_max_mb})
        message = services.document_post(
            interaction=interaction, sender=Side.EXPERT, filename=upload.name or "", data=upload.read(), author=request.user
        )
    except ApplicationError as exc:
        if _wants_json(request):
            return JsonResponse({"message": exc.message, "extra": exc.extra}, status=exc.status)
        context = _conversation_context(request, tenant, interaction, upload_error=exc.message)
        return render(request, "interactions/conversation.html", context, status=exc.status)
    if _wants_json(request):
        return JsonResponse(message_dict(message), status=201)
    return _to_conversation(interaction, f"#m-{message.seq}")


@portal_view()
@require_POST
def transfer_view(request: PortalRequest, tenant: Tenant, interaction_id: uuid.UUID) -> HttpResponse:
    interaction = _interaction(request, interaction_id)
    form = TransferForm(request.POST, interaction=interaction)
    if not form.is_valid():
        messages.error(request, _("Choose a colleague to transfer the conversation to."))
        return _to_conversation(interaction)
    target = form.cleaned_data["expert"]
    try:
        services.interaction_transfer(actor=request.user, interaction=interaction, expert_id=target.id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _to_conversation(interaction)
    messages.success(request, _("The conversation was transferred to %(name)s.") % {"name": target.name})
    if request.user.role == Membership.Role.ADMIN:
        return _to_conversation(interaction)
    return redirect("interactions:inbox", slug=tenant.slug)  # no longer theirs to see


@portal_view()
@require_POST
def status_view(request: PortalRequest, tenant: Tenant, interaction_id: uuid.UUID) -> HttpResponse:
    interaction = _interaction(request, interaction_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown status."))
        return _to_conversation(interaction)
    try:
        services.interaction_status_set(actor=request.user, interaction=interaction, status=form.cleaned_data["status"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if interaction.status == Interaction.Status.CLOSED:
            messages.success(request, _("The conversation was closed. It reopens when the customer writes again."))
        else:
            messages.success(request, _("The conversation was reopened."))
    return _to_conversation(interaction)


@portal_view()
@require_http_methods(["GET", "POST"])
def delete_view(request: PortalRequest, tenant: Tenant, interaction_id: uuid.UUID) -> HttpResponse:
    """P08: the expert or an admin deletes a conversation early, with everything in it, irrevocably."""
    interaction = _interaction(request, interaction_id)
    if request.method == "POST":
        if request.POST.get("confirm") != "delete":
            messages.error(request, _("Tick the box to confirm the deletion."))
            return redirect("interactions:delete", slug=tenant.slug, interaction_id=interaction.id)
        services.interaction_delete(interaction=interaction)
        messages.success(request, _("The conversation and everything in it were deleted."))
        return redirect("interactions:inbox", slug=tenant.slug)
    return render(request, "interactions/delete.html", {"tenant": tenant, "interaction": interaction})


@portal_view()
@require_GET
def document_view(request: PortalRequest, tenant: Tenant, interaction_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    try:
        document = access_document(actor=request.user, document_id=document_id)
    except NotFound:
        raise Http404 from None
    if document.interaction_id != interaction_id:
        raise Http404
    return document_response(document.file, document.filename, document.content_type)
