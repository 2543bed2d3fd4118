"""Steps the browser tests share."""

import json
import time
from collections.abc import Callable

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Frame, FrameLocator, Page, Response, WebSocket, expect

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


# --- the web app and its sockets -------------------------------------------------------------------------------

WIDGET_TIMEOUT_MS = 10_000
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def open_widget(page: Page, *, tenant_name: str = "Demo Bank") -> FrameLocator:
    """On a page carrying the embed snippet: click the launcher; the web app's iframe."""
    page.get_by_role("button", name="Talk to an expert").click()
    frame = page.frame_locator(f'iframe[title="Advice from {tenant_name}"]')
    expect(frame.locator("main")).to_be_visible()
    return frame


def frame_of(locator: FrameLocator) -> Frame:
    """The Frame behind a FrameLocator, for evaluate() (storage, axe)."""
    handle = locator.owner.element_handle(timeout=WIDGET_TIMEOUT_MS)
    frame = handle.content_frame() if handle else None
    assert frame is not None, "the web app's iframe has no document"
    return frame


class SocketFrames:
    """The JSON frames a page's WebSockets (its iframes' included) receive, recorded from the moment each socket
    opens, so that a test can wait until a socket has said "ready" (or "pong") before relying on it.

    Sockets are numbered in the order they open: take `mark()` before the action that opens one (a navigation, a
    click), then `wait_for(kind, since=mark)` looks only at sockets opened after it."""

    def __init__(self, page: Page, path_part: str) -> None:
        self.page = page
        self.path_part = path_part
        self.received: list[tuple[int, dict]] = []  # (socket number, frame)
        self.opened = 0
        page.on("websocket", self._on_socket)

    def _on_socket(self, socket: WebSocket) -> None:
        if self.path_part not in socket.url:
            return
        number = self.opened
        self.opened += 1
        socket.on("framereceived", lambda payload: self._on_frame(number, payload))

    def _on_frame(self, number: int, payload: str | bytes) -> None:
        try:
            frame = json.loads(payload)
        except ValueError:
            return
        if isinstance(frame, dict):
            self.received.append((number, frame))

    def mark(self) -> int:
        return self.opened

    def count(self, kind: str, *, since: int = 0) -> int:
        return sum(1 for number, frame in self.received if number >= since and frame.get("type") == kind)

    def wait_for(self, kind: str, *, since: int = 0, timeout_ms: int = WIDGET_TIMEOUT_MS) -> None:
        """Until a socket opened at or after `since` has received a frame of this type."""
        wait_until(
            self.page,
            lambda: self.count(kind, since=since) > 0,
            timeout_ms=timeout_ms,
            what=f"a {kind!r} frame on {self.path_part}",
        )


def wait_until(page: Page, check: Callable[[], object], *, timeout_ms: int, what: str) -> None:
    """Poll `check` while letting Playwright deliver its events (page.wait_for_timeout, never time.sleep)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"Waited {timeout_ms} ms for {what}.")
        page.wait_for_timeout(50)


def assert_accessible(target: Page | Frame, what: str, *, iframes: bool = True) -> None:
    """axe-core (bundled with axe-playwright-python, injected into the document: nothing is fetched) finds no
    WCAG 2.0/2.1 A or AA violation in `target`."""
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"], "iframes": iframes}
    results = Axe().run(target, options=options)
    assert results.violations_count == 0, f"axe-core on {what}:\n{results.generate_report()}"
