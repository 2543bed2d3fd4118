"""Signing in: the stay-signed-in cookie (P14, P15) and the lock-out after repeated failures."""

import time

import pytest
from playwright.sync_api import Page, expect

from parley.core.testing import World

from .conftest import BrowserGuard
from .helpers import sign_in

pytestmark = pytest.mark.browser

SESSION_COOKIE = "parley_session"


def _session_cookie(page: Page) -> dict:
    cookies = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert len(cookies) == 1, f"expected one {SESSION_COOKIE} cookie, got {page.context.cookies()}"
    return cookies[0]


def test_p14_stay_signed_in_sets_a_persistent_httponly_cookie(page: Page, guard: BrowserGuard, world: World) -> None:
    """P14/P15: with "Stay signed in on this device" the session survives closing the browser (a dated cookie)."""
    sign_in(page, "eve@acme.test", remember=True)
    expect(page).to_have_url("/t/acme/expert/")
    cookie = _session_cookie(page)
    assert cookie["expires"] > time.time() + 7 * 24 * 3600
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert page.evaluate("() => document.cookie").find(SESSION_COOKIE) == -1
    guard.assert_clean(page)


def test_p15_without_stay_signed_in_the_session_ends_with_the_browser(page: Page, guard: BrowserGuard, world: World) -> None:
    """P14/P15: without the tick the session cookie is a browser-session cookie (no expiry date)."""
    sign_in(page, "eve@acme.test")
    expect(page).to_have_url("/t/acme/expert/")
    cookie = _session_cookie(page)
    assert cookie["expires"] == -1
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    guard.assert_clean(page)


def test_lock_out_after_repeated_failures(page: Page, guard: BrowserGuard, world: World) -> None:
    """Five wrong passwords lock the (account, client) pair: then even the right password is refused."""
    for attempt in range(1, 5):
        answer = sign_in(page, "eve@acme.test", f"wrong-password-{attempt}")
        assert answer is not None and answer.status == 400
        expect(page.get_by_role("alert")).to_contain_text("The e-mail address or the password is not correct.")
    answer = sign_in(page, "eve@acme.test", "wrong-password-5")
    assert answer is not None and answer.status == 429
    expect(page.get_by_role("alert")).to_contain_text("Too many failed attempts")

    answer = sign_in(page, "eve@acme.test")  # the right password
    assert answer is not None and answer.status == 429
    expect(page.get_by_role("alert")).to_contain_text("Too many failed attempts")
    expect(page).to_have_url("/t/acme/login/")
    page.goto("/t/acme/expert/")
    expect(page).to_have_url("/t/acme/login/")
    guard.assert_clean(page)
