"""The account page, two-factor authentication, password reset by e-mail and the portal's language."""

import base64

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from parley.core.testing import PASSWORD, World

from .conftest import BrowserGuard
from .helpers import outbox_link, sign_in, sign_out

pytestmark = pytest.mark.browser

NEW_PASSWORD = "another-long-passphrase-31"


def _totp_code(key: bytes, step: int) -> str:
    totp = TOTP(key, step=30, digits=6)
    totp.time = step * 30
    return f"{totp.token():06d}"


def test_two_factor_setup_and_login(page: Page, guard: BrowserGuard, world: World) -> None:
    sign_in(page, "eve@acme.test")
    page.get_by_role("link", name="My account").click()
    expect(page.get_by_text("Off.")).to_be_visible()
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page).to_have_url("/t/acme/account/two-factor/")
    expect(page.get_by_role("img", name="QR code for your authenticator app").locator("svg")).to_be_visible()

    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    assert len(key) == 20
    setup_step = TOTP(key).t()
    setup_code = _totp_code(key, setup_step)
    page.get_by_label("Code from your authenticator app").fill(setup_code)
    page.get_by_role("button", name="Switch on").click()
    expect(page).to_have_url("/t/acme/expert/")
    expect(page.get_by_role("status").first).to_contain_text("Two-factor authentication is on.")
    page.get_by_role("link", name="My account").click()
    expect(page.get_by_text("On: signing in asks for a code from your authenticator app.")).to_be_visible()
    sign_out(page)

    # The password alone is not enough any more.
    sign_in(page, "eve@acme.test")
    expect(page).to_have_url("/t/acme/login/two-factor/")
    page.goto("/t/acme/expert/")
    expect(page).to_have_url("/t/acme/login/")  # not signed in before the code is given
    page.goto("/t/acme/login/two-factor/")

    code_field = page.get_by_label("Code from your authenticator app")
    valid_now = {_totp_code(key, setup_step + d) for d in range(-1, 3)}
    wrong = next(c for c in ("000000", "111111", "123456", "654321") if c not in valid_now)
    code_field.fill(wrong)
    with page.expect_navigation() as refused:
        page.get_by_role("button", name="Verify").click()
    assert refused.value and refused.value.status == 400
    expect(page.get_by_role("alert")).to_contain_text("The code is not correct.")

    # The code used to switch it on is spent: each time step counts once.
    code_field.fill(setup_code)
    with page.expect_navigation() as replayed:
        page.get_by_role("button", name="Verify").click()
    assert replayed.value and replayed.value.status == 400
    expect(page.get_by_role("alert")).to_contain_text("The code is not correct.")

    # The next time step's code (the server allows one step of clock drift) lets her in without waiting.
    code_field.fill(_totp_code(key, setup_step + 1))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url("/t/acme/expert/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    guard.assert_clean(page)


def test_password_reset_by_email(
    page: Page, open_context, guard: BrowserGuard, world: World, base_url_is_live_server: str
) -> None:
    page.goto("/t/acme/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    page.get_by_label("E-mail address").fill("eve@acme.test")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")

    # Ada, in her own browser, reads the mail in the development outbox.
    admin = open_context().new_page()
    sign_in(admin, "ada@acme.test")
    link = outbox_link(admin, recipient="eve@acme.test", path_part="/reset/")
    assert link.startswith(f"{base_url_is_live_server}/t/acme/reset/")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the password").click()
    expect(page).to_have_url("/t/acme/login/")
    expect(page.get_by_role("status")).to_contain_text("Your password was changed. Please sign in.")

    sign_in(page, "eve@acme.test", PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("The e-mail address or the password is not correct.")
    sign_in(page, "eve@acme.test", NEW_PASSWORD)
    expect(page).to_have_url("/t/acme/expert/")

    # The link worked once.
    response = page.goto(link)
    assert response is not None and response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not valid any more")
    guard.assert_clean(page, admin)


def test_the_portal_speaks_german_for_a_german_user(page: Page, guard: BrowserGuard, world: World) -> None:
    sign_in(page, "eve@acme.test")
    page.get_by_role("link", name="My account").click()
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url("/t/acme/account/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Konto")
    expect(page.get_by_label("Sprache")).to_have_value("de")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    guard.assert_clean(page)
