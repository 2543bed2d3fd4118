"""Real-browser end-to-end tests: Playwright (sync API) drives Debian's Chromium against pytest-django's live server.

Every context a test opens is watched by a `BrowserGuard`: console errors, uncaught page errors, CSP violations
(recorded by an init script) and requests to any origin other than the live server's are collected, and each
test ends with `guard.assert_clean()`.
"""

import os
import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    BrowserType,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Response,
    sync_playwright,
)

from parley.core.testing import World, make_world

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]

# Records every CSP violation into window.__cspViolations and reports it to Python as well, so a violation on a
# page the test has already navigated away from is not lost.
CSP_INIT_SCRIPT = """
(() => {
  window.__cspViolations = window.__cspViolations || [];
  document.addEventListener("securitypolicyviolation", (event) => {
    const entry = {
      directive: event.effectiveDirective || event.violatedDirective,
      blocked: String(event.blockedURI || ""),
      source: String(event.sourceFile || ""),
      line: event.lineNumber || 0,
      page: String(document.location.href),
    };
    window.__cspViolations.push(entry);
    if (typeof window.__parleyReportCsp === "function") {
      window.__parleyReportCsp(JSON.stringify(entry));
    }
  }, true);
})();
"""

TIMEOUT_MS = 10_000


# Playwright's sync API leaves its event loop marked as running in the test thread from the moment it starts until
# it stops. pytest-playwright keeps it for the whole session, so any test run after these (pytest reorders items by
# the session-scoped browser_name parameter) would find a running loop: asyncio.run() refuses to start and Django
# refuses ORM calls. Here Playwright and the browser live for this package only and stop when it is done.


@pytest.fixture(scope="package")
def _django_allow_async_unsafe() -> Iterator[None]:
    """While Playwright runs, Django would refuse ORM calls made by test code (make_world, the database flush)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def playwright(_django_allow_async_unsafe: None, _pw_api_request_contexts) -> Iterator[Playwright]:
    pw = sync_playwright().start()
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    yield pw
    pw.stop()


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)


@pytest.fixture(scope="package")
def launch_browser(browser_type_launch_args: dict, browser_type: BrowserType) -> Callable[..., Browser]:
    def launch(**kwargs: object) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    return {"executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="package")
def browser_context_args(pytestconfig: pytest.Config, live_server, _pw_artifacts_folder) -> dict:
    args: dict = {"base_url": live_server.url, "locale": "en-GB", "timezone_id": "UTC"}
    if pytestconfig.getoption("--video") in ("on", "retain-on-failure"):
        args["record_video_dir"] = _pw_artifacts_folder.name
    return args


@pytest.fixture
def world(transactional_db: None, live_server) -> World:
    """The shared personas, committed so the live server's thread sees them."""
    return make_world()


@pytest.fixture
def base_url_is_live_server(settings, live_server) -> str:
    """Links in mails (invitation, password reset) point at PARLEY_BASE_URL: make that the live server."""
    settings.PARLEY_BASE_URL = live_server.url
    return live_server.url


class BrowserGuard:
    """Collects what must never happen in a portal page.

    Chromium logs every response with an error status as a console error, the page's own document included. The
    portals answer an invalid form with 400 and a locked sign-in with 429 on purpose (the tests assert those pages),
    so such a message counts only when it is not about a document (page) response with that very status.
    Any 5xx response counts as a problem on its own.
    """

    ALLOWED_SCHEMES = {"data", "blob", "about"}
    FAILED_LOAD = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})\b")

    def __init__(self, origin: str) -> None:
        parts = urlsplit(origin)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self._problems: list[str] = []
        self._console_errors: list[tuple[str, str]] = []
        self._document_statuses: set[tuple[str, int]] = set()
        self._checked = 0

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.set_default_timeout(TIMEOUT_MS)
        context.expose_binding("__parleyReportCsp", lambda source, entry: self._problems.append(f"CSP violation: {entry}"))
        context.add_init_script(CSP_INIT_SCRIPT)
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self._problems.append(f"page error: {error.error}"))
        context.on("request", self._on_request)
        context.on("response", self._on_response)
        return context

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            location = message.location.get("url", "") if message.location else ""
            self._console_errors.append((message.text, location))

    def _on_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in self.ALLOWED_SCHEMES:
            return
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self._problems.append(f"request to another origin: {request.method} {request.url}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 500:
            self._problems.append(f"server error: {response.status} for {response.request.method} {response.url}")
        elif response.status >= 400 and response.request.resource_type == "document":
            self._document_statuses.add((response.url, response.status))

    @property
    def problems(self) -> list[str]:
        problems = list(self._problems)
        for text, location in self._console_errors:
            failed = self.FAILED_LOAD.match(text)
            if failed and (location, int(failed.group(1))) in self._document_statuses:
                continue  # the page itself, answered with the 4xx status the test expects and checks
            problems.append(f"console error: {text} ({location})")
        return problems

    def csp_violations_in(self, page: Page) -> list:
        """What the init script recorded into the current document (the binding reports them as they happen)."""
        return page.evaluate("() => window.__cspViolations || []")

    def assert_clean(self, *pages: Page) -> None:
        for page in pages:
            if not page.is_closed():
                assert self.csp_violations_in(page) == [], f"CSP violations on {page.url}"
        problems = self.problems
        self._checked = len(problems)
        assert problems == [], "The browser saw problems:\n" + "\n".join(problems)


@pytest.fixture
def guard(live_server) -> Iterator[BrowserGuard]:
    guard = BrowserGuard(live_server.url)
    yield guard
    late = guard.problems[guard._checked :]  # problems only ever grow
    assert late == [], "The browser saw problems after the test's last check:\n" + "\n".join(late)


@pytest.fixture
def page(page: Page, guard: BrowserGuard) -> Page:
    """pytest-playwright's page, in a context the guard watches."""
    guard.watch(page.context)
    return page


@pytest.fixture
def open_context(new_context: Callable[..., BrowserContext], guard: BrowserGuard) -> Callable[..., BrowserContext]:
    """A further, independent browser (own cookies), e.g. for a second person; closed after the test."""

    def _open(**kwargs: object) -> BrowserContext:
        return guard.watch(new_context(**kwargs))

    return _open
