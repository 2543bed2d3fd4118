"""Real-browser end-to-end tests: Playwright (sync API) drives Debian's Chromium against the real ASGI application.

The `live_server` here replaces pytest-django's WSGI-only one: uvicorn serves `config.asgi.application` (HTTP through
the WSGI bridge, WebSockets through Channels) on 127.0.0.1 in a background thread, for this package.

Every context a test opens is watched by a `BrowserGuard`: console errors, uncaught page errors, CSP violations
(recorded by an init script) and requests to any origin other than the live server's are collected, and each
test ends with `guard.assert_clean()`.
"""

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test.utils import override_settings
from playwright.sync_api import (
    Browser,
    BrowserContext,
    BrowserType,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Response,
    expect,
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
SERVER_START_SECONDS = 20
SERVER_STOP_SECONDS = 10
SERVER_IDLE_SECONDS = 10


class AsgiLiveServer:
    """uvicorn serving Parley's ASGI application on 127.0.0.1 (a free port) in a background thread.

    The server runs in this process, so it shares the test database (tests use `transactional_db`, so it sees
    committed data), the settings (`override_settings` reach it), the cache, the in-memory channel layer (or Redis
    when REDIS_URL is set) and the locmem mail outbox.

    Database connections: the HTTP bridge's worker threads and Channels' `database_sync_to_async` thread keep their
    connections for CONN_MAX_AGE seconds. While this server runs, CONN_MAX_AGE is 0, so each request and each
    consumer hop closes its connection when it is done: nothing stays connected between tests (a PostgreSQL
    TRUNCATE or the final DROP DATABASE would wait for or fail on it).

    Test code runs in the thread where Playwright's event loop counts as running: a service that publishes a realtime
    event, called from a test while browsers listen, would queue it on that loop instead of the server's. Prepare
    data before the browsers connect, or act through the browsers.
    """

    def __init__(self) -> None:
        import uvicorn

        from config import asgi

        self._asgi = asgi
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))  # bound here and handed to uvicorn: no race for the port
        self.host, self.port = self._socket.getsockname()[:2]
        self.url = f"http://{self.host}:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                asgi.application,
                host=self.host,
                port=self.port,
                lifespan="off",
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=SERVER_STOP_SECONDS,
            )
        )
        self.thread = threading.Thread(target=self._run, name="parley-test-uvicorn", daemon=True)
        self._error: BaseException | None = None
        database = settings.DATABASES["default"]  # the very dict every connection's settings_dict is
        self._conn_max_age = database.get("CONN_MAX_AGE", 0)
        # What pytest-django's `_live_server_helper` enables for each test that uses `live_server` (and disables
        # after it): links in mails, the loader, the web app's postMessage check and the demo page use the base URL.
        hosts = list(settings.ALLOWED_HOSTS)
        self._live_server_modified_settings = override_settings(
            PARLEY_BASE_URL=self.url, ALLOWED_HOSTS=hosts if self.host in hosts else [*hosts, self.host]
        )

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self._socket])
        except BaseException as exc:  # reported by start() or stop()
            self._error = exc

    def start(self) -> None:
        settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
        self.thread.start()
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                error = self._error
                self._shutdown()
                raise RuntimeError(f"uvicorn did not start on {self.url}: {error!r}")
            time.sleep(0.02)
        with socket.create_connection((self.host, self.port), timeout=SERVER_START_SECONDS):
            pass  # it accepts connections

    def wait_idle(self, timeout: float = SERVER_IDLE_SECONDS) -> None:
        """Wait until no connection is open and no request or socket handler runs (e.g. after the browser contexts
        closed, their sockets' disconnect handlers still write to the database)."""
        state = self.server.server_state
        deadline = time.monotonic() + timeout
        while state.connections or state.tasks:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"The server is still busy {timeout} s after the test: {len(state.connections)} connection(s), "
                    f"{len(state.tasks)} task(s)."
                )
            time.sleep(0.02)

    def stop(self) -> None:
        self._shutdown()
        assert not self.thread.is_alive(), "uvicorn did not stop"
        assert self._error is None, f"uvicorn failed: {self._error!r}"

    def _shutdown(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(SERVER_STOP_SECONDS + 5)
        workers = self._asgi.http.workers
        threads = list(workers._threads)
        workers.stop()  # lifespan is off, so nobody else tells the bridge's threads to end
        for thread in threads:
            thread.join(SERVER_STOP_SECONDS)
        settings.DATABASES["default"]["CONN_MAX_AGE"] = self._conn_max_age
        self._socket.close()

    def __str__(self) -> str:
        return self.url


@pytest.fixture(scope="package")
def live_server(django_db_setup: None) -> Iterator[AsgiLiveServer]:
    """Overrides pytest-django's (WSGI only) `live_server` for this package: the real ASGI application, so the
    portal's and the web app's WebSockets work. pytest-django's `_live_server_helper` still gives every test that
    uses it `transactional_db` and enables `_live_server_modified_settings` (PARLEY_BASE_URL) around the test."""
    server = AsgiLiveServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _server_quiet_between_tests(transactional_db: None, live_server: AsgiLiveServer) -> Iterator[None]:
    """Rate-limit counters start from zero (they live in Redis when REDIS_URL is set, so they would outlive a run);
    after the test (its browser contexts are closed by then) wait until the server has finished with their
    connections, before the database is emptied for the next test."""
    # pytest-django's `_live_server_helper` enabled the server's settings for this test (see AsgiLiveServer).
    assert settings.PARLEY_BASE_URL == live_server.url, "PARLEY_BASE_URL is not the live server's address"
    cache.clear()
    yield
    live_server.wait_idle()


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


@pytest.fixture(scope="package", autouse=True)
def _expect_timeout() -> Iterator[None]:
    """expect() retries for TIMEOUT_MS (Playwright's default is 5 s), like actions in a watched context: the same
    explicit limit everywhere, with room for a busy CI machine."""
    expect.set_options(timeout=TIMEOUT_MS)
    yield
    expect.set_options(timeout=None)  # back to Playwright's default


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
        self._allowed_failed_loads: list[tuple[str, int]] = []
        self._checked = 0

    def allow_failed_load(self, url: str, status: int) -> None:
        """Chromium logs a console error for every request answered with an error status, fetch() calls included.
        A test that provokes one on purpose (and asserts what the page shows for it) allows exactly that one
        message: this URL, this status, once."""
        self._allowed_failed_loads.append((url, status))

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
        allowed = list(self._allowed_failed_loads)
        for text, location in self._console_errors:
            failed = self.FAILED_LOAD.match(text)
            if failed and (location, int(failed.group(1))) in self._document_statuses:
                continue  # the page itself, answered with the 4xx status the test expects and checks
            if failed and (location, int(failed.group(1))) in allowed:
                allowed.remove((location, int(failed.group(1))))  # provoked by the test, allowed once
                continue
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
