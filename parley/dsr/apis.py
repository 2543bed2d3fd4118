"""Widget API: the current visitor exports their own conversation (P28), authenticated by its bearer token like every
other widget call; deletion is the existing DELETE /widget/{slug}/conversation (P08). Anyone in the web app, with or
without a conversation, can send a data-subject request (P29) through the same intake as the public request page."""

import uuid

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Router, Schema

from parley.accounts.throttle import client_address
from parley.core.exceptions import ApplicationError, NotFound
from parley.core.ratelimit import rate_limit
from parley.dsr import services
from parley.dsr.export import export_build, export_response
from parley.dsr.models import Right
from parley.dsr.selectors import interaction_is_held
from parley.interactions.apis import Error, VisitorToken
from parley.interactions.selectors import access_visitor_interaction
from parley.tenants.models import Tenant
from parley.tenants.selectors import tenant_get_by_slug

router = Router(tags=["widget"])


@router.get(
    "/widget/{slug}/conversation/export",
    response={200: None, **{code: Error for code in (401, 404, 429)}},
    auth=VisitorToken(),
    summary="Export the conversation (ZIP)",
)
def conversation_export_api(request: HttpRequest, slug: str) -> HttpResponseBase:
    """A ZIP with the conversation as documented JSON (messages, documents, appointments, name and e-mail) and its
    documents; made while it downloads, never stored."""
    tenant = tenant_get_by_slug(slug=slug)
    rate_limit(scope="widget-visitor", key=client_address(request), limit=240, window=60)
    interaction = access_visitor_interaction(tenant=tenant, token=str(getattr(request, "auth", "")))
    rate_limit(scope="widget-export", key=str(interaction.id), limit=10, window=3600)
    if interaction_is_held(interaction):
        raise NotFound(_("This conversation cannot be exported at the moment."))
    bundle = export_build(tenant=tenant, interactions=[interaction], subject_email=interaction.customer_email)
    return export_response(bundle, filename="conversation.zip", language=interaction.customer_language)


# --- data-subject requests from the web app (P29) ----------------------------------------------------------------


class PrivacyRequestIn(Schema):
    email: str
    right: str = ""  # one of Right's values, or empty: the text says what the person wants
    text: str = ""
    language: str = ""  # the web app's language: the confirmation mail is written in it


class PrivacyRequestOut(Schema):
    message: str
    hours: int


class PrefillOut(Schema):
    email: str


def _bearer_token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _source_conversation(request: HttpRequest, tenant: Tenant) -> uuid.UUID | None:
    """The conversation whose valid token came with the request, if any. A missing, stale or foreign token is not an
    error: the request is still welcome, it is just not linked to a conversation."""
    token = _bearer_token(request)
    if not token:
        return None
    try:
        return access_visitor_interaction(tenant=tenant, token=token).id
    except ApplicationError:
        return None


@router.post(
    "/widget/{slug}/privacy-request",
    response={202: PrivacyRequestOut, **{code: Error for code in (400, 404, 429)}},
    auth=None,
    summary="Send a data-subject request (confirmed through an e-mail link)",
)
def privacy_request_api(request: HttpRequest, slug: str, data: PrivacyRequestIn) -> tuple[int, dict]:
    """The same intake as the tenant's public request page: the same per-client limit (shared with the page), the
    same per-address cap on confirmation mails, and the same answer whether or not the address is known. With the
    bearer token of a conversation, the request records that it came from that conversation's web app."""
    tenant = tenant_get_by_slug(slug=slug)
    rate_limit(scope="dsr-request", key=client_address(request), limit=5, window=3600)
    if data.right and data.right not in Right.values:
        raise ApplicationError(_("Unknown right."), {"fields": {"right": _("Unknown right.")}})
    services.request_submit(
        tenant=tenant,
        email=data.email,
        text=data.text,
        right=data.right,
        language=data.language,
        source_interaction_id=_source_conversation(request, tenant),
    )
    return 202, {"message": _("Check your e-mail to confirm the request."), "hours": services.CONFIRM_HOURS}


@router.get(
    "/widget/{slug}/privacy-request/prefill",
    response={200: PrefillOut, **{code: Error for code in (401, 404, 429)}},
    auth=VisitorToken(),
    summary="The conversation's e-mail address, to prefill the request form",
)
def privacy_request_prefill_api(request: HttpRequest, slug: str) -> dict:
    """Only to the holder of the conversation's token, who gave that address (and can export it anyway)."""
    tenant = tenant_get_by_slug(slug=slug)
    rate_limit(scope="widget-visitor", key=client_address(request), limit=240, window=60)
    interaction = access_visitor_interaction(tenant=tenant, token=str(getattr(request, "auth", "")))
    return {"email": interaction.customer_email or ""}
