"""The admin copies the embed code and sets up the website widget, topics and an expert's pages (issue 3)."""

import pytest
from playwright.sync_api import Page, expect

from parley.core.testing import World
from parley.experts.models import ExpertProfile
from parley.tenants.models import Tenant

from .conftest import BrowserGuard
from .helpers import sign_in

pytestmark = pytest.mark.browser


def test_an_admin_copies_the_embed_code_and_sets_up_topics_and_an_expert(
    page: Page, guard: BrowserGuard, world: World, base_url_is_live_server: str
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url_is_live_server)
    sign_in(page, "ada@acme.test")
    page.goto("/t/acme/admin/widget/")
    snippet = f'<script src="{base_url_is_live_server}/embed/acme.js" async></script>'
    expect(page.locator("#embed-snippet")).to_have_text(snippet)
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#embed-copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("() => navigator.clipboard.readText()") == snippet

    # A bad origin is refused with the line named; a good list is saved normalised.
    page.get_by_label("Websites that embed Parley").fill("https://www.acme.test\nwww.acme.test/loans")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Line 2 (“www.acme.test/loans”)")
    page.get_by_label("Websites that embed Parley").fill("https://WWW.acme.test/\nhttps://shop.acme.test")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The website settings were saved.")
    assert Tenant.objects.get(pk=world.acme.pk).website_origins == "https://www.acme.test\nhttps://shop.acme.test"

    # Topics, reached from the widget page.
    page.get_by_role("main").get_by_role("link", name="Topics", exact=True).click()
    page.get_by_label("Name").fill("Mortgages")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("table")).to_contain_text("Mortgages")

    # The expert serves the topic on the mortgage pages.
    page.goto("/t/acme/admin/people/")
    page.get_by_role("link", name="Topics and pages Eve Expert").click()
    page.get_by_label("Mortgages").check()
    page.get_by_label("Show on pages").fill("/mortgages/*")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The settings of Eve Expert were saved.")
    profile = ExpertProfile.objects.get(user=world.acme_expert)
    assert [t.name for t in profile.topics.all()] == ["Mortgages"]
    assert profile.page_include == "/mortgages/*"
    guard.assert_clean(page)
