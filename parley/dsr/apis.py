"""Widget API: the current visitor exports their own conversation (P28), authenticated by its bearer token like every
other widget call; deletion is the existing DELETE /widget/{slug}/conversation (P08)."""

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Router

from parley.accounts.throttle import client_address
from parley.core.exceptions import NotFound
from parley.core.ratelimit import rate_limit
from parley.dsr.export import export_build, export_response
from parley.dsr.selectors import interaction_is_held
from parley.interactions.apis import Error, VisitorToken
from parley.interactions.selectors import access_visitor_interaction
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
