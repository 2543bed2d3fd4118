"""Every portal route refuses another tenant (404, as if nothing were there) and the wrong role (403).

The route list is read from the URL resolver, so a new route without a case here fails the completeness test."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from parley.core.testing import World, client_for

# route name -> (method, kwargs builder, roles allowed). Kwargs builders take the world.
Route = tuple[str, str]
ADMIN_ROUTES = [
    ("portal_admin:dashboard", "get"),
    ("portal_admin:settings", "get"),
    ("portal_admin:members", "get"),
    ("portal_admin:outbox", "get"),
    ("portal_admin:widget", "get"),
    ("portal_admin:widget", "post"),
    ("portal_admin:topics", "get"),
    ("portal_admin:topics", "post"),
    ("scheduling:types", "get"),
    ("scheduling:types", "post"),
    ("scheduling:booking_settings", "post"),
    ("scheduling:mails", "get"),
    ("dsr:queue", "get"),
    ("holds:list", "get"),
    ("stats:report", "get"),
    ("careers:applications", "get"),
    ("careers:positions", "get"),
    ("careers:positions", "post"),
]
EXPERT_ROUTES = [
    ("portal_expert:profile", "get"),
    ("portal_expert:status", "post"),
    ("portal_expert:photo", "post"),
    ("scheduling:availability", "get"),
    ("scheduling:availability", "post"),
    ("scheduling:extra_hours_add", "post"),
    ("scheduling:absence_add", "post"),
    ("calendars:list", "get"),
    ("calendars:connect", "post"),
    ("calendars:callback", "get"),
    ("calendars:caldav", "post"),
]
MEMBER_ROUTES = [  # any signed-in member of the tenant
    ("accounts:account", "get"),
    ("accounts:two_factor_setup", "get"),
    ("interactions:inbox", "get"),
    ("scheduling:week", "get"),
]
OBJECT_ROUTES = [  # admin routes on another account
    ("portal_admin:member_active", "post"),
    ("portal_admin:member_delete", "get"),
    ("portal_admin:member_delete", "post"),
    ("portal_admin:expert_widget", "get"),
    ("portal_admin:expert_widget", "post"),
    ("holds:place_user", "get"),
    ("holds:place_user", "post"),
]
PUBLIC_ROUTES = {
    "home",
    "healthz",
    "set_language",
    "accounts:login",
    "accounts:two_factor",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_confirm",
    "accounts:invitation_accept",
    "tenant_logo",  # public branding, see test_an_admin_uploads_a_logo_that_the_login_page_shows
    "tenant_brand_css",  # public branding, see test_the_brand_colours_keep_text_readable
    # Data-subject requests: anyone may write one; the single-use link confirms it (parley/dsr/tests/test_p29_intake.py).
    "dsr:request",
    "dsr:confirm",
    "privacy:notice",  # the tenant's public privacy notice (P31), see parley/privacy/tests/test_notice.py
    # The end-customer web app is public by design; its data is reached by the visitor's token (parley/widget/tests,
    # parley/interactions/tests/test_api.py: a visitor can never read another visitor's conversation).
    "widget:loader",
    "widget:app",
    "widget:privacy",
    "widget:expert_photo",  # see test_an_experts_photo_is_public_for_the_web_app_of_its_own_tenant_only
    "widget:appointment",  # reached by the manage token of the customer's mail link, see parley/scheduling/tests
    "widget:demo",
    "widget:demo_page",
    # One-click consent withdrawal, reached by the link token; another tenant's slug gets 404 (parley/consent/tests).
    "consent:withdraw",
    # The public careers page and its application form (P22), see parley/careers/tests/test_p22_applications.py.
    "careers:index",
    "careers:apply",
}
OTHER_COVERED = {"portal_admin:invitation_revoke", "portal_expert:photo_file"}  # covered by their own tests
# Topic routes: see parley/tenants/tests/test_topics.py (another tenant's topic is 404, an expert gets 403).
OTHER_COVERED |= {"portal_admin:topic_edit", "portal_admin:topic_delete"}
# Conversation routes: see parley/interactions/tests/test_views.py (another tenant and a colleague get 404).
OTHER_COVERED |= {
    "interactions:conversation",
    "interactions:reply",
    "interactions:upload",
    "interactions:transfer",
    "interactions:status",
    "interactions:delete",
    "interactions:document",
}
# Appointment object routes: see parley/scheduling/tests/test_views.py (another tenant and a colleague get 404, an
# expert gets 403 on the admin's types and mails).
OTHER_COVERED |= {
    "scheduling:appointment",
    "scheduling:accept",
    "scheduling:decline",
    "scheduling:propose",
    "scheduling:cancel",
    "scheduling:extra_hours_delete",
    "scheduling:absence_delete",
    "scheduling:type_setting",
    "scheduling:type_edit",
    "scheduling:type_delete",
    "scheduling:mail_retry",
}
# Calendar connection routes: see parley/scheduling/calendars/tests/test_views.py (another tenant and a colleague get
# 404, an admin gets 403, an unknown connection 404).
OTHER_COVERED |= {"calendars:sync", "calendars:unlink"}
# Data-subject request routes: see parley/dsr/tests/test_p29_actions.py (another tenant's admin gets 404 through either
# portal, an expert 403, a stranger the login, on every one of them).
OTHER_COVERED |= {"dsr:detail", "dsr:action", "dsr:export"}
# Legal-hold routes on a conversation or a hold: see parley/holds/tests/test_p26_legal_hold.py (another tenant's admin
# gets 404, an expert 403, on every one of them).
OTHER_COVERED |= {"holds:place_interaction", "holds:detail", "holds:document", "holds:release"}
# Application and position object routes: see parley/careers/tests/test_p22_applications.py (another tenant's admin
# gets 404, an expert 403, a stranger the login, on every one of them).
OTHER_COVERED |= {"careers:application", "careers:action", "careers:file", "careers:position_open"}


def _names(resolver: URLResolver, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= _names(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(prefix + pattern.name)
    return names


def test_every_named_route_is_in_the_isolation_matrix():
    covered = {n for n, _ in ADMIN_ROUTES + EXPERT_ROUTES + MEMBER_ROUTES + OBJECT_ROUTES} | PUBLIC_ROUTES | OTHER_COVERED
    names = {n for n in _names(get_resolver()) if not n.startswith("api:")}
    assert names - covered == set(), "add the new route to the tenant-isolation matrix"


def _url(name: str, slug: str, **kwargs) -> str:
    from django.urls import reverse

    return reverse(name, kwargs={"slug": slug, **kwargs})


@pytest.mark.parametrize(("name", "method"), ADMIN_ROUTES + EXPERT_ROUTES + MEMBER_ROUTES)
def test_another_tenant_gets_404_on_every_portal_route(world: World, name, method):
    client = client_for(world.globex_admin)
    response = getattr(client, method)(_url(name, "acme"))
    assert response.status_code == 404
    client = client_for(world.globex_expert)
    response = getattr(client, method)(_url(name, "acme"))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "method"), ADMIN_ROUTES)
def test_an_expert_gets_403_on_admin_routes(world: World, name, method):
    response = getattr(client_for(world.acme_expert), method)(_url(name, "acme"))
    assert response.status_code == 403


@pytest.mark.parametrize(("name", "method"), EXPERT_ROUTES)
def test_an_admin_gets_403_on_expert_routes(world: World, name, method):
    response = getattr(client_for(world.acme_admin), method)(_url(name, "acme"))
    assert response.status_code == 403


@pytest.mark.parametrize(("name", "method"), ADMIN_ROUTES + EXPERT_ROUTES + MEMBER_ROUTES)
def test_anonymous_visitors_are_sent_to_the_login(world: World, name, method):
    from django.test import Client

    response = getattr(Client(), method)(_url(name, "acme"))
    assert response.status_code == 302
    assert response["Location"] == "/t/acme/login/"


@pytest.mark.parametrize(("name", "method"), OBJECT_ROUTES)
def test_an_admin_cannot_reach_another_tenants_account(world: World, name, method):
    client = client_for(world.globex_admin)
    # Globex's admin addresses Acme's expert, through Globex's own portal and through Acme's.
    for slug in ("globex", "acme"):
        response = getattr(client, method)(_url(name, slug, user_id=world.acme_expert.id), {"confirm": "delete"})
        assert response.status_code == 404
    world.acme_expert.refresh_from_db()
    assert world.acme_expert.is_active


@pytest.mark.parametrize(("name", "method"), OBJECT_ROUTES)
def test_an_unknown_account_id_gets_the_same_404(world: World, name, method):
    response = getattr(client_for(world.acme_admin), method)(_url(name, "acme", user_id=uuid.uuid4()))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "method"), OBJECT_ROUTES)
def test_an_expert_cannot_manage_accounts(world: World, name, method):
    response = getattr(client_for(world.acme_expert), method)(_url(name, "acme", user_id=world.acme_admin.id))
    assert response.status_code == 403


def test_an_unknown_tenant_gets_404_on_the_login_page(db):
    from django.test import Client

    assert Client().get("/t/nobody/login/").status_code == 404
