"""The end-customer web app's JSON API. Anonymous: a visitor proves access to one conversation with the bearer
token they got when starting it (P16); every endpoint is rate-limited and validates its input."""

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, UploadedFile
from ninja.security import HttpBearer

from parley.accounts.throttle import client_address
from parley.core.exceptions import ApplicationError
from parley.core.ratelimit import rate_limit
from parley.files.services import file_read
from parley.interactions import services
from parley.interactions.models import Interaction, Side
from parley.interactions.selectors import (
    access_visitor_document,
    access_visitor_interaction,
    conversation_dict,
    message_dict,
    message_list,
    widget_config,
)
from parley.tenants.models import Tenant
from parley.tenants.selectors import tenant_get_by_slug

router = Router(tags=["widget"])


class VisitorToken(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> str:
        return token


def _visitor(request: HttpRequest, slug: str) -> tuple[Tenant, Interaction]:
    tenant = tenant_get_by_slug(slug=slug)
    rate_limit(scope="widget-visitor", key=client_address(request), limit=240, window=60)
    return tenant, access_visitor_interaction(tenant=tenant, token=str(getattr(request, "auth", "")))


class Error(Schema):
    message: str
    extra: dict[str, Any]


class TenantOut(Schema):
    slug: str
    name: str
    primary_colour: str
    accent_colour: str
    text_colour: str


class FeaturesOut(Schema):
    chat: bool
    documents: bool
    appointments: bool
    calls: bool


class DocumentRulesOut(Schema):
    max_bytes: int
    accept: list[str]


class TopicOut(Schema):
    id: str
    name: str


class ExpertCardOut(Schema):
    id: str
    name: str
    description: str
    languages: list[str]
    language_names: list[str]
    online: bool
    photo_url: str | None
    topic_ids: list[str]
    next_slot: str | None = None  # first free start (ISO UTC) within 14 days, for the first appointment type


class AppointmentTypeCardOut(Schema):
    id: str
    name: str
    channel: str
    duration_minutes: int


class WidgetConfigOut(Schema):
    tenant: TenantOut
    features: FeaturesOut
    privacy_notice_url: str
    documents: DocumentRulesOut
    topics: list[TopicOut]
    experts: list[ExpertCardOut]
    appointment_types: list[AppointmentTypeCardOut] = []


class DocumentOut(Schema):
    id: str
    filename: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: str
    interaction_id: str
    seq: int
    sender: str
    author_name: str
    body: str
    document: DocumentOut | None
    created_at: str


class ExpertRefOut(Schema):
    id: str | None
    name: str
    photo_url: str | None
    online: bool


class ConversationOut(Schema):
    id: str
    status: str
    expert: ExpertRefOut | None
    customer_name: str
    last_seq: int
    expert_delivered_seq: int
    expert_read_seq: int
    customer_delivered_seq: int
    customer_read_seq: int


class ConversationStartIn(Schema):
    expert_id: uuid.UUID
    topic_id: uuid.UUID | None = None
    name: str
    email: str
    message: str
    timezone: str = "UTC"
    language: str = ""
    page: str = "/"  # the website path the widget was opened on: anonymous statistics only (P10)


class ConversationStartOut(Schema):
    token: str
    conversation: ConversationOut
    messages: list[MessageOut]


class ConversationOutWithMessages(Schema):
    conversation: ConversationOut
    messages: list[MessageOut]


class MessageIn(Schema):
    body: str


_errors: dict[int, type[Schema]] = {code: Error for code in (400, 401, 403, 404, 413, 415, 429)}
_bearer = VisitorToken()


@router.get(
    "/widget/{slug}/config",
    response={200: WidgetConfigOut, 404: Error, 429: Error},
    auth=None,
    summary="What the web app offers on a page",
)
def config_api(request: HttpRequest, slug: str, page: str = "/") -> dict:
    tenant = tenant_get_by_slug(slug=slug)
    rate_limit(scope="widget-config", key=client_address(request), limit=120, window=60)
    if not page.startswith("/") or len(page) > 500:
        raise ApplicationError(_("The page must be a path starting with /."))
    return widget_config(tenant=tenant, page=page)


@router.post(
    "/widget/{slug}/conversations", response={201: ConversationStartOut, **_errors}, auth=None, summary="Start a conversation"
)
def conversation_start_api(request: HttpRequest, slug: str, data: ConversationStartIn) -> tuple[int, dict]:
    """Stores the visitor's name, e-mail and first message (P04) and returns a bearer token for this conversation
    only; the web app keeps nothing else."""
    tenant = tenant_get_by_slug(slug=slug)
    rate_limit(scope="widget-start", key=client_address(request), limit=10, window=600)
    interaction, token, message = services.interaction_start(
        tenant=tenant,
        expert_profile_id=data.expert_id,
        topic_id=data.topic_id,
        name=data.name,
        email=data.email,
        body=data.message,
        timezone_name=data.timezone,
        language=data.language,
        page=data.page,
    )
    return 201, {"token": token, "conversation": conversation_dict(interaction), "messages": [message_dict(message)]}


@router.get(
    "/widget/{slug}/conversation",
    response={200: ConversationOutWithMessages, **_errors},
    auth=VisitorToken(),
    summary="The visitor's conversation",
)
def conversation_get_api(request: HttpRequest, slug: str, after: int = 0) -> dict:
    _tenant, interaction = _visitor(request, slug)
    messages = message_list(interaction=interaction, after=after)
    return {"conversation": conversation_dict(interaction), "messages": [message_dict(m) for m in messages]}


@router.post(
    "/widget/{slug}/conversation/messages", response={201: MessageOut, **_errors}, auth=_bearer, summary="Send a message"
)
def message_post_api(request: HttpRequest, slug: str, data: MessageIn) -> tuple[int, dict]:
    _tenant, interaction = _visitor(request, slug)
    rate_limit(scope="widget-message", key=str(interaction.id), limit=30, window=60)
    message = services.message_post(interaction=interaction, sender=Side.CUSTOMER, body=data.body)
    return 201, message_dict(message)


@router.post(
    "/widget/{slug}/conversation/documents", response={201: MessageOut, **_errors}, auth=_bearer, summary="Send a document"
)
def document_post_api(request: HttpRequest, slug: str, file: UploadedFile = File(...)) -> tuple[int, dict]:  # noqa: B008
    """Content is sniffed; images and PDFs are re-encoded without metadata; stored encrypted with the
    conversation's key (P07)."""
    tenant, interaction = _visitor(request, slug)
    rate_limit(scope="widget-document", key=str(interaction.id), limit=20, window=3600)
    if file.size is not None and file.size > tenant.document_max_mb * 1024 * 1024:
        raise services.TooLarge(_("The file is too large (at most %(mb)s MB).") % {"mb": tenant.document_max_mb})
    message = services.document_post(interaction=interaction, sender=Side.CUSTOMER, filename=file.name or "", data=file.read())
    return 201, message_dict(message)


@router.get(
    "/widget/{slug}/conversation/documents/{document_id}",
    response={200: None, **_errors},
    auth=VisitorToken(),
    summary="Download a document",
)
def document_get_api(request: HttpRequest, slug: str, document_id: uuid.UUID) -> HttpResponse:
    _tenant, interaction = _visitor(request, slug)
    document = access_visitor_document(interaction=interaction, document_id=document_id)
    return document_response(document.file, document.filename, document.content_type)


@router.delete("/widget/{slug}/conversation", response={204: None, **_errors}, auth=_bearer, summary="Delete the conversation")
def conversation_delete_api(request: HttpRequest, slug: str) -> tuple[int, None]:
    """The visitor deletes their own conversation: everything of it is gone at once (P08)."""
    _tenant, interaction = _visitor(request, slug)
    services.interaction_delete(interaction=interaction)
    return 204, None


def document_response(stored: Any, filename: str, content_type: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(file_read(stored=stored), content_type=content_type)
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
