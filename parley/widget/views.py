"""What a visitor's browser loads: the loader script, the web app page, its privacy page, and the demo partner site."""

import json
import uuid
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.csp import CSP
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from parley.core.exceptions import NotFound
from parley.experts.selectors import access_expert_photo
from parley.files.services import file_read
from parley.interactions.selectors import widget_config
from parley.tenants.models import Tenant, readable_text_colour
from parley.tenants.selectors import tenant_get_by_slug
from parley.widget.texts import app_texts, loader_texts

JAVASCRIPT = "application/javascript; charset=utf-8"
DEMO_SLUG = "demo"
DEMO_PAGES = {"": "home", "loans": "loans", "insurance": "insurance"}
# Like Django's json_script: nothing in the JSON can close a tag or start an HTML comment.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _tenant_or_404(slug: str) -> Tenant:
    try:
        return tenant_get_by_slug(slug=slug)
    except NotFound:
        raise Http404 from None


def pick_language(request: HttpRequest, tenant: Tenant) -> str:
    """The first of the browser's languages that Parley speaks, else the tenant's default language."""
    supported = [code for code, _name in settings.LANGUAGES]
    for tag, _q in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        code = tag.split("-")[0].lower()
        if code in supported:
            return code
    return tenant.default_language if tenant.default_language in supported else settings.LANGUAGE_CODE


def _page_param(value: str) -> str:
    """The host page's path as the loader reports it; anything odd counts as the home page."""
    return value if value.startswith("/") and len(value) <= 500 else "/"


def _framed_by(tenant: Tenant) -> dict[str, Any]:
    """Parley's CSP with frame-ancestors opened to the tenant's own websites (and Parley itself)."""
    return {**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF, *tenant.website_origin_list()]}


def loader_config(tenant: Tenant) -> dict[str, Any]:
    return {
        "origin": settings.PARLEY_BASE_URL,
        "slug": tenant.slug,
        "primary": tenant.primary_colour,
        "text": readable_text_colour(tenant.primary_colour),
        "lang": tenant.default_language,
        "delay": tenant.proactive_delay_seconds,
        "invite": tenant.proactive_text,
        "pages": [line.strip() for line in tenant.proactive_pages.splitlines() if line.strip()],
        "texts": loader_texts(tenant_name=tenant.name),
    }


@require_GET
def loader_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The script partners embed: small, cacheable, with the tenant's settings inlined so it needs no request."""
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        response = HttpResponse("/* Parley: no such organisation. */\n", status=404, content_type=JAVASCRIPT)
    else:
        config = json.dumps(loader_config(tenant), ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES)
        response = HttpResponse(render_to_string("widget/loader.js", {"config": config}), content_type=JAVASCRIPT)
    response["Cache-Control"] = "public, max-age=300"
    return response


@never_cache
@xframe_options_exempt
@require_GET
def app_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The web app, in the loader's iframe or standalone (the e-mail link). Its first paint needs no API call."""
    tenant = _tenant_or_404(slug)
    language = pick_language(request, tenant)
    with translation.override(language):
        context = {
            "tenant": tenant,
            "language": language,
            "config": widget_config(tenant=tenant, page=_page_param(request.GET.get("page", "/"))),
            "texts": app_texts(),
            "app": {
                "slug": tenant.slug,
                "language": language,
                "api": f"/api/v1/widget/{tenant.slug}",
                "socket": f"/ws/widget/{tenant.slug}/",
                "origins": tenant.website_origin_list(),
            },
        }
        response = render(request, "widget/app.html", context)
    response._csp_config = _framed_by(tenant)  # type: ignore[attr-defined]  # read by Django's CSP middleware
    response["Content-Language"] = language
    patch_vary_headers(response, ["Accept-Language"])
    return response


@require_GET
def privacy_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The web app's privacy link for tenants that link no notice of their own: the tenant's notice generated from
    the privacy registry (parley/privacy/notice.py, P30, P31)."""
    from parley.privacy.views import notice_view

    return notice_view(request, slug)


@require_GET
def expert_photo_view(request: HttpRequest, slug: str, profile_id: uuid.UUID) -> HttpResponse:
    """An expert's photo for the web app: public, like the rest of what a visitor sees before saying who they are."""
    tenant = _tenant_or_404(slug)
    try:
        profile = access_expert_photo(tenant=tenant, profile_id=profile_id)
    except NotFound:
        raise Http404 from None
    photo = profile.photo
    assert photo is not None  # access_expert_photo checked it
    response = HttpResponse(file_read(stored=photo), content_type=photo.content_type)
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def demo_view(request: HttpRequest, page: str = "") -> HttpResponse:
    """A made-up partner website ("Demo Bank") carrying the one-line snippet, as long as the demo tenant exists."""
    if page not in DEMO_PAGES or not Tenant.objects.filter(slug=DEMO_SLUG).exists():
        raise Http404
    base = settings.PARLEY_BASE_URL
    context = {"page": DEMO_PAGES[page], "snippet_src": f"{base}/embed/{DEMO_SLUG}.js"}
    response = render(request, "widget/demo.html", context)
    # The snippet and the iframe come from PARLEY_BASE_URL, which need not be the address this page was opened at.
    csp: dict[str, Any] = dict(settings.SECURE_CSP)
    response._csp_config = {**csp, "script-src": [*csp["script-src"], base], "frame-src": [CSP.SELF, base]}  # type: ignore[attr-defined]
    return response
