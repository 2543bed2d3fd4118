from django.test import Client, override_settings

from parley.core.testing import World, client_for
from parley.tenants.models import Tenant

URL = "/t/acme/admin/widget/"
VALID = {
    "website_origins": "https://www.acme.test\nhttps://WWW.acme.test/\nhttps://shop.acme.test:443",
    "privacy_notice_url": "https://www.acme.test/privacy",
    "proactive_delay_seconds": "20",
    "proactive_text": "Questions about your mortgage?",
    "proactive_pages": "/mortgages/*\n/contact",
    "document_max_mb": "10",
    "document_types": ["pdf", "office"],
}


@override_settings(PARLEY_BASE_URL="https://parley.example.net")
def test_the_widget_page_shows_the_embed_snippet_with_the_tenants_slug(world: World):
    response = client_for(world.acme_admin).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;script src=&quot;https://parley.example.net/embed/acme.js&quot; async&gt;&lt;/script&gt;" in html
    assert 'data-copy="embed-snippet"' in html
    assert "/static/parley/tenants/copy.js" in html
    assert "<script>" not in html  # no inline script (CSP)
    assert 'href="/t/acme/admin/topics/"' in html


def test_an_admin_saves_the_website_settings_normalised(world: World):
    response = client_for(world.acme_admin).post(URL, VALID)
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=world.acme.pk)
    assert tenant.website_origins == "https://www.acme.test\nhttps://shop.acme.test"
    assert tenant.website_origin_list() == ["https://www.acme.test", "https://shop.acme.test"]
    assert tenant.privacy_notice_url == "https://www.acme.test/privacy"
    assert (tenant.proactive_delay_seconds, tenant.proactive_text) == (20, "Questions about your mortgage?")
    assert tenant.proactive_pages == "/mortgages/*\n/contact"
    assert (tenant.document_max_mb, tenant.document_types) == (10, ["pdf", "office"])
    # Globex is untouched.
    assert Tenant.objects.get(pk=world.globex.pk).website_origins == ""
    # The form shows what was saved.
    html = client_for(world.acme_admin).get(URL).content.decode()
    assert "https://shop.acme.test" in html
    assert 'value="office" id="id_document_types_3" checked' in html


def test_an_empty_delay_switches_the_invitation_off(world: World):
    client_for(world.acme_admin).post(URL, VALID)
    response = client_for(world.acme_admin).post(URL, {**VALID, "proactive_delay_seconds": "", "proactive_text": ""})
    assert response.status_code == 302
    assert Tenant.objects.get(pk=world.acme.pk).proactive_delay_seconds is None


def _refused(world: World, changes: dict, *fragments: str) -> None:
    response = client_for(world.acme_admin).post(URL, {**VALID, **changes})
    assert response.status_code == 400
    html = response.content.decode()
    for fragment in fragments:
        assert fragment in html
    tenant = Tenant.objects.get(pk=world.acme.pk)
    assert (tenant.website_origins, tenant.proactive_pages, tenant.privacy_notice_url) == ("", "", "")
    assert (tenant.proactive_delay_seconds, tenant.document_max_mb, tenant.document_types) == (None, 20, ["pdf", "image"])


def test_an_origin_with_a_path_is_refused_naming_the_line_and_nothing_is_stored(world: World):
    _refused(
        world,
        {"website_origins": "https://www.acme.test\nwww.acme.test/loans"},
        "Line 2 (“www.acme.test/loans”)",
        "starts with https://",
    )


def test_an_origin_with_a_path_after_the_host_is_refused(world: World):
    _refused(world, {"website_origins": "https://www.acme.test/loans"}, "Line 1", "remove the path “/loans”")


def test_a_page_pattern_without_a_leading_slash_is_refused_and_nothing_is_stored(world: World):
    _refused(world, {"proactive_pages": "/ok\nmortgages/*"}, "Line 2 (“mortgages/*”)", "starts with “/”")


def test_too_many_page_patterns_are_refused(world: World):
    _refused(world, {"proactive_pages": "\n".join(f"/p{n}" for n in range(51))}, "At most 50 patterns")


def test_a_delay_outside_3_to_600_seconds_is_refused(world: World):
    _refused(world, {"proactive_delay_seconds": "2"}, "greater than or equal to 3")
    _refused(world, {"proactive_delay_seconds": "601"}, "less than or equal to 600")


def test_a_delay_without_an_invitation_text_is_refused(world: World):
    _refused(world, {"proactive_text": ""}, "Write the invitation text")


def test_document_limits_are_checked(world: World):
    _refused(world, {"document_max_mb": "51"}, "less than or equal to 50")
    _refused(world, {"document_types": []}, "Choose at least one document type.")
    _refused(world, {"document_types": ["pdf", "exe"]}, "Select a valid choice")


def test_a_privacy_notice_must_be_a_web_address(world: World):
    _refused(world, {"privacy_notice_url": "ftp://www.acme.test/privacy"}, "Enter a valid URL")


def test_an_expert_gets_403_on_the_widget_page(world: World):
    client = client_for(world.acme_expert)
    assert client.get(URL).status_code == 403
    assert client.post(URL, VALID).status_code == 403
    assert Tenant.objects.get(pk=world.acme.pk).website_origins == ""


def test_another_tenants_admin_cannot_change_the_widget_settings(world: World):
    client = client_for(world.globex_admin)
    assert client.get(URL).status_code == 404
    assert client.post(URL, VALID).status_code == 404
    assert Tenant.objects.get(pk=world.acme.pk).website_origins == ""
    # Their own page shows their own slug.
    assert "/embed/globex.js" in client.get("/t/globex/admin/widget/").content.decode()


def test_anonymous_visitors_are_sent_to_the_login_from_the_widget_page(world: World):
    assert Client().get(URL)["Location"] == "/t/acme/login/"


def test_the_service_refuses_an_actor_of_another_tenant(world: World):
    import pytest

    from parley.core.exceptions import NotFound
    from parley.tenants.services import tenant_widget_update

    with pytest.raises(NotFound):
        tenant_widget_update(
            actor=world.globex_admin,
            tenant=world.acme,
            website_origins="https://www.globex.test",
            privacy_notice_url="",
            proactive_delay_seconds=None,
            proactive_text="",
            proactive_pages="",
            document_max_mb=10,
            document_types=["pdf"],
        )
    assert Tenant.objects.get(pk=world.acme.pk).website_origins == ""


def test_deleting_an_expert_warns_about_the_conversations_they_hold_and_deletes_them(world, django_capture_on_commit_callbacks):
    from parley.core.testing import client_for
    from parley.interactions.models import Interaction
    from parley.interactions.tests.conftest import start

    start(world)
    admin = client_for(world.acme_admin)
    page = admin.get(f"/t/acme/admin/people/{world.acme_expert.id}/delete/")
    assert "1 customer conversation" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/t/acme/admin/people/{world.acme_expert.id}/delete/", {"confirm": "delete"})
    assert not Interaction.objects.exists()
