"""The tenant's public privacy notice (P30, P31): no login, English or German."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from parley.core.exceptions import NotFound
from parley.privacy.notice import notice_context, notice_language
from parley.tenants.selectors import tenant_get_by_slug


@require_GET
def notice_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The notice generated from the privacy registry, with the tenant's controller and data-protection contact."""
    try:
        tenant = tenant_get_by_slug(slug=slug)
    except NotFound:
        raise Http404 from None
    language = notice_language(request, tenant)
    with translation.override(language):
        response = render(request, "privacy/notice.html", notice_context(tenant=tenant, language=language))
    response["Content-Language"] = language
    patch_vary_headers(response, ["Accept-Language"])
    return response
