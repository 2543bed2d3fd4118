"""The admin portal manages people; the expert portal is where an invited expert lands and keeps a profile (P01)."""

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from parley.core.testing import PASSWORD, World

from .conftest import BrowserGuard
from .helpers import sign_in, sign_out
from .images import CAMERA, exif_of, jpeg_with_exif, png, size_of

pytestmark = pytest.mark.browser

NEW_EXPERT = "new.expert@acme.test"
NEW_PASSWORD = "a-fresh-passphrase-77"


def _image_has_loaded(page: Page, name: str) -> None:
    image = page.get_by_role("img", name=name)
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def _language(page: Page, code: str) -> Locator:
    """A checkbox of "Languages you advise in", by language code (its label is the language's own name)."""
    return page.locator(f'input[type="checkbox"][name="languages"][value="{code}"]')


def test_p01_an_admin_invites_an_expert_who_accepts_and_edits_the_profile(
    page: Page, open_context, guard: BrowserGuard, world: World, base_url_is_live_server: str, tmp_path: Path
) -> None:
    """P01 two portals: the admin invites from the admin portal; the expert lands in the expert portal.
    P02: the new account needs a name, the invited e-mail address and a password."""
    # The administrator invites a new expert.
    sign_in(page, "ada@acme.test")
    expect(page).to_have_url("/t/acme/admin/people/")
    page.get_by_role("link", name="People").click()
    page.get_by_label("E-mail address").fill(NEW_EXPERT)
    page.get_by_label("Role").select_option("expert")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("The invitation was sent.")
    expect(page.get_by_role("listitem").filter(has_text=NEW_EXPERT)).to_contain_text("Expert")

    # The invitation mail, as the development outbox shows it.
    page.get_by_role("link", name="Outbox").click()
    mail = page.locator("article.mail", has_text=NEW_EXPERT)
    expect(mail).to_have_count(1)
    link = mail.locator('a[href*="/invite/"]').get_attribute("href")
    assert link and link.startswith(f"{base_url_is_live_server}/t/acme/invite/")

    # The expert, in a browser of their own, accepts.
    expert = open_context().new_page()
    expert.goto(link)
    expect(expert.get_by_role("heading", level=1)).to_have_text("Join Acme Bank on Parley")
    expect(expert.get_by_text(f"You sign in with {NEW_EXPERT}.")).to_be_visible()
    # P02: without a name the account is not created.
    expert.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    expert.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    expert.get_by_label("Your name").evaluate("input => input.removeAttribute('required')")
    with expert.expect_navigation():
        expert.get_by_role("button", name="Create my account").click()
    expect(expert.locator(".field.invalid")).to_contain_text("This field is required.")
    expert.get_by_label("Your name").fill("Nora Newcomer")
    expert.get_by_label("Language").select_option("en")
    expert.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    expert.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    expert.get_by_role("button", name="Create my account").click()
    expect(expert).to_have_url("/t/acme/expert/")
    expect(expert.get_by_role("status").first).to_contain_text("Welcome! Your account is ready.")
    expect(expert.get_by_role("heading", level=1)).to_have_text("My profile")

    # P01: each portal is only for its role.
    nav = expert.get_by_role("navigation", name="Portal")
    expect(nav.get_by_role("link", name="My profile")).to_be_visible()
    expect(nav.get_by_role("link", name="People")).to_have_count(0)
    assert expert.goto("/t/acme/admin/people/").status == 403
    assert page.goto("/t/acme/expert/").status == 403

    # A profile photo with camera and GPS metadata.
    expert.goto("/t/acme/expert/")
    photo_file = jpeg_with_exif(tmp_path / "portrait.jpg")
    expert.get_by_label("Profile photo").set_input_files(photo_file)
    expert.get_by_role("button", name="Save the photo").click()
    expect(expert.get_by_role("status").first).to_contain_text("Your photo was saved.")
    _image_has_loaded(expert, "Your profile photo")
    stored = expert.request.get(expert.get_by_role("img", name="Your profile photo").get_attribute("src") or "")
    assert stored.ok and stored.headers["content-type"] == "image/jpeg"
    assert CAMERA not in repr(exif_of(stored.body())), "camera details must be stripped"
    assert exif_of(stored.body()) == {}, "all metadata must be stripped"
    assert max(size_of(stored.body())) <= 512

    # Description and languages.
    expert.get_by_label("About you").fill("Mortgages and savings plans for young families.")
    expect(_language(expert, "en")).to_be_checked()
    _language(expert, "de").check()
    expert.get_by_role("button", name="Save", exact=True).click()
    expect(expert.get_by_role("status").first).to_contain_text("Your profile was saved.")

    # Going online swaps the status panel in place (htmx), without loading a new page.
    expert.evaluate("() => { window.__samePage = true; }")
    panel = expert.locator("#status-panel")
    expect(panel).to_contain_text("You are offline")
    panel.get_by_role("button", name="Go online").click()
    expect(panel).to_contain_text("You are online: customers can reach you while a Parley tab is open.")
    expect(panel.get_by_role("button", name="Go offline")).to_be_visible()
    assert expert.evaluate("() => window.__samePage") is True
    guard.assert_clean(expert)

    # Everything is still there after a reload.
    expert.reload()
    expect(expert.get_by_label("About you")).to_have_value("Mortgages and savings plans for young families.")
    expect(_language(expert, "en")).to_be_checked()
    expect(_language(expert, "de")).to_be_checked()
    expect(_language(expert, "fr")).not_to_be_checked()
    expect(expert.locator("#status-panel")).to_contain_text("You are online")
    _image_has_loaded(expert, "Your profile photo")

    # The administrator sees the new expert, online.
    page.goto("/t/acme/admin/people/")
    row = page.get_by_role("row").filter(has_text=NEW_EXPERT)
    expect(row).to_contain_text("Nora Newcomer")
    expect(row).to_contain_text("Online")
    expect(page.get_by_role("heading", name="Open invitations")).to_have_count(0)

    # The invitation link worked once.
    response = expert.goto(link)
    assert response is not None and response.status == 404
    expect(expert.get_by_role("heading", level=1)).to_have_text("Invitation not valid")
    guard.assert_clean(page, expert)


def test_an_admin_changes_settings_deactivates_and_deletes_an_expert(
    page: Page, open_context, guard: BrowserGuard, world: World, tmp_path: Path
) -> None:
    sign_in(page, "ada@acme.test")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisation settings")

    # Organisation name, retention and a logo.
    page.get_by_label("Organisation name").fill("Acme Bank Europe")
    retention = page.get_by_label("Delete customer data after (months)")
    retention.fill("6")
    expect(page.get_by_label("Require two-factor authentication for everyone")).not_to_be_checked()
    page.get_by_label("Logo", exact=True).set_input_files(png(tmp_path / "logo.png"))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("The settings were saved.")
    expect(page.locator("header .brand")).to_have_text("Acme Bank Europe")
    page.reload()
    expect(page.get_by_label("Organisation name")).to_have_value("Acme Bank Europe")
    expect(retention).to_have_value("6")
    _image_has_loaded(page, "Current logo")

    # Retention beyond 12 months: the browser refuses to send the form ...
    retention.fill("13")
    page.get_by_role("button", name="Save", exact=True).click()
    assert retention.evaluate("input => input.validity.rangeOverflow") is True
    assert retention.evaluate("input => input.validationMessage") != ""
    expect(page).to_have_url("/t/acme/admin/settings/")
    # ... and the server refuses it too when the browser's check is bypassed.
    page.locator("form.card").evaluate("form => { form.noValidate = true; }")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Save", exact=True).click()
    assert navigation.value and navigation.value.status == 400
    expect(page.locator(".field.invalid")).to_contain_text("Ensure this value is less than or equal to 12.")
    page.goto("/t/acme/admin/settings/")
    expect(retention).to_have_value("6")

    # Eve is signed in elsewhere when she is deactivated.
    eve = open_context().new_page()
    sign_in(eve, "eve@acme.test")
    expect(eve).to_have_url("/t/acme/expert/")

    page.get_by_role("link", name="People").click()
    eve_row = page.get_by_role("row").filter(has_text="eve@acme.test")
    eve_row.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("status")).to_contain_text("Eve Expert is deactivated and signed out.")
    expect(eve_row).to_contain_text("Deactivated")

    eve.reload()
    expect(eve).to_have_url("/t/acme/login/")
    sign_in(eve, "eve@acme.test")
    expect(eve.get_by_role("alert")).to_contain_text("The e-mail address or the password is not correct.")

    eve_row.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("status")).to_contain_text("Eve Expert can sign in again.")
    expect(eve_row.get_by_role("button", name="Deactivate")).to_be_visible()
    sign_in(eve, "eve@acme.test")
    expect(eve).to_have_url("/t/acme/expert/")

    # Delete, through the confirmation page.
    eve_row.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete Eve Expert?")
    page.get_by_label("Yes, delete irrevocably").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page).to_have_url("/t/acme/admin/people/")
    expect(page.get_by_role("status")).to_contain_text("Eve Expert and all their data were deleted.")
    expect(page.get_by_role("row").filter(has_text="eve@acme.test")).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text="ada@acme.test")).to_have_count(1)

    eve.reload()
    expect(eve).to_have_url("/t/acme/login/")
    sign_in(eve, "eve@acme.test", PASSWORD)
    expect(eve.get_by_role("alert")).to_contain_text("The e-mail address or the password is not correct.")

    # The logo is public branding on the organisation's login page.
    sign_out(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Acme Bank Europe")
    _image_has_loaded(page, "Acme Bank Europe")
    guard.assert_clean(page, eve)


def test_saving_the_profile_keeps_the_status_set_in_the_status_panel(page: Page, guard: BrowserGuard, world: World) -> None:
    """Regression: the profile form used to carry a stale status field that reset the panel's online status."""
    sign_in(page, "eve@acme.test")
    panel = page.locator("#status-panel")
    panel.get_by_role("button", name="Go online").click()
    expect(panel).to_contain_text("You are online")
    page.get_by_label("About you").fill("Pensions and retirement planning.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Your profile was saved.")
    expect(panel).to_contain_text("You are online")
    page.reload()
    expect(panel).to_contain_text("You are online")
    expect(page.get_by_label("About you")).to_have_value("Pensions and retirement planning.")
    guard.assert_clean(page)


def test_the_status_panel_sends_a_signed_out_expert_to_the_login_page(page: Page, guard: BrowserGuard, world: World) -> None:
    """Regression: htmx used to follow the 302 and swap the whole login page into the status panel."""
    sign_in(page, "eve@acme.test")
    expect(page).to_have_url("/t/acme/expert/")
    # Signed out in another tab of the same browser.
    other_tab = page.context.new_page()
    other_tab.goto("/t/acme/expert/")
    sign_out(other_tab)
    other_tab.close()

    with page.expect_response(lambda response: response.url.endswith("/t/acme/login/")):
        page.locator("#status-panel").get_by_role("button", name="Go online").click()
    expect(page).to_have_url("/t/acme/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Acme Bank")
    expect(page.locator("header")).to_have_count(1)
    guard.assert_clean(page)
