"""A visitor opens the tenant's privacy notice from the web app; the notice is accessible in English and German
(P30, P31)."""

import pytest
from playwright.sync_api import Page, expect

from parley.core.testing import World
from parley.privacy.notice import notice_version

from .helpers import assert_accessible

pytestmark = pytest.mark.browser


def test_a_visitor_opens_the_privacy_notice_from_the_web_app(page: Page, world: World) -> None:
    world.acme.controller_contact = "Acme Bank AG\nBahnhofstrasse 1, Zürich\nprivacy@acme.test"
    world.acme.dpo_contact = "Dana Protect, dpo@acme.test"
    world.acme.save()
    page.goto("/w/acme/")
    with page.context.expect_page() as opened:
        page.get_by_role("contentinfo").get_by_role("link", name="Privacy").click()
    notice = opened.value
    notice.wait_for_load_state()
    expect(notice.get_by_role("heading", level=1)).to_have_text("Privacy notice of Acme Bank")
    expect(notice.locator("[data-contact=controller]")).to_contain_text("Bahnhofstrasse 1, Zürich")
    expect(notice.locator("[data-contact=dpo]")).to_contain_text("dpo@acme.test")
    expect(notice.locator("[data-notice-version]")).to_have_attribute("data-notice-version", notice_version())
    assert_accessible(notice, "the privacy notice")

    notice.get_by_role("link", name="Deutsch").click()
    expect(notice.locator("html")).to_have_attribute("lang", "de")
    assert_accessible(notice, "the privacy notice in German")
