"""Steps the browser tests share."""

from playwright.sync_api import Page, Response

from parley.core.testing import PASSWORD


def sign_in(page: Page, email: str, password: str = PASSWORD, *, slug: str = "acme", remember: bool = False) -> Response | None:
    """Fill and submit the login form; returns the answer (after redirects) once its page has loaded."""
    page.goto(f"/t/{slug}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    if remember:
        page.get_by_label("Stay signed in on this device").check()
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in").click()
    return navigation.value


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")


def outbox_link(page: Page, *, recipient: str, path_part: str, slug: str = "acme") -> str:
    """As a signed-in admin: the href of the newest mail link to `recipient` that contains `path_part`."""
    page.goto(f"/t/{slug}/admin/outbox/")
    mail = page.locator("article.mail", has_text=recipient).filter(has=page.locator(f'a[href*="{path_part}"]')).first
    return mail.locator(f'a[href*="{path_part}"]').get_attribute("href") or ""
