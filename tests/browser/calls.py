"""Steps and fixtures the call browser tests share (test_calls.py; the relay-only coturn test reuses them).

Calls need a Chromium with fake media devices and loopback ICE, so these tests launch a browser of their own
(`call_browser`, the conftest's base flags plus CALL_ARGS) and open their contexts there (`call_context`); every
context is watched by the test's BrowserGuard like the others. What a page's call is doing is read through the one
debug hook the call UI exposes, `window.__parleyCall.stats()` (parley/realtime/static/parley/call.js): connection
and signalling state, the selected candidate pair's types, the DTLS state, inbound video frames decoded and audio
packets received, and what this side sends.
"""

import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from playwright.sync_api import Browser, BrowserContext, Frame, FrameLocator, Page, expect

from .conftest import CHROMIUM, CHROMIUM_ARGS, BrowserGuard
from .helpers import frame_of

CALL_ARGS = [
    "--use-fake-ui-for-media-stream",  # camera, microphone and screen are granted without a prompt
    "--use-fake-device-for-media-stream",  # a synthetic camera, microphone and 1280x720 "screen"
    "--allow-loopback-in-peer-connection",  # two pages on 127.0.0.1 gather no candidates without it
]
CALL_TIMEOUT_MS = 20_000  # a connection on loopback takes a second or two; room for a busy CI machine
TEST_SECONDS = 60


@pytest.fixture(scope="module")
def call_browser(playwright) -> Iterator[Browser]:
    """A Chromium of its own with fake media devices: the other browser tests keep their plain one."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *CALL_ARGS])
    yield browser
    browser.close()


@pytest.fixture
def call_context(
    call_browser: Browser,
    guard: BrowserGuard,
    browser_context_args: dict,
) -> Iterator[Callable[..., BrowserContext]]:
    """Opens a watched context (one person) in the call browser; all are closed after the test."""
    opened: list[BrowserContext] = []

    def _open(**kwargs: Any) -> BrowserContext:
        context = call_browser.new_context(**{**browser_context_args, **kwargs})
        opened.append(context)
        return guard.watch(context)

    yield _open
    for context in opened:
        context.close()


@pytest.fixture
def call_deadline() -> Iterator[None]:
    """Bounds the test to TEST_SECONDS: a call that never connects fails the test instead of hanging the run."""

    def _expired(_signum, _frame):
        raise TimeoutError(f"The call test took longer than {TEST_SECONDS} s.")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, TEST_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- reading a page's call ---------------------------------------------------------------------------------------

Target = Page | Frame


def target_of(side: Page | FrameLocator) -> Target:
    """The document the call runs in: the portal page, or the web app's iframe on the partner page."""
    return frame_of(side) if isinstance(side, FrameLocator) else side


def call_stats(side: Page | FrameLocator) -> dict | None:
    """window.__parleyCall.stats() of that side: None when no call runs there."""
    return target_of(side).evaluate("() => window.__parleyCall.stats()")


def wait_for_stats(
    side: Page | FrameLocator, check: Callable[[dict], bool], *, what: str, timeout_ms: int = CALL_TIMEOUT_MS
) -> dict:
    """Polls the stats (every 250 ms) until `check` holds; returns them."""
    target = target_of(side)
    page = target if isinstance(target, Page) else target.page
    deadline = time.monotonic() + timeout_ms / 1000
    stats: dict | None = None
    while True:
        stats = call_stats(side)
        if stats is not None and check(stats):
            return stats
        if time.monotonic() > deadline:
            raise AssertionError(f"Waited {timeout_ms} ms for {what}; last stats: {stats!r}")
        page.wait_for_timeout(250)


def wait_connected(side: Page | FrameLocator, *, what: str) -> dict:
    return wait_for_stats(
        side,
        lambda s: s["connectionState"] == "connected" and s["signalingState"] == "stable" and s["dtls"] == "connected",
        what=f"{what}'s call to connect",
    )


def wait_frames_rising(side: Page | FrameLocator, *, what: str, by: int = 15) -> dict:
    """Inbound video frames decoded keep rising (by `by` frames from now)."""
    start = wait_for_stats(side, lambda s: s["framesDecoded"] > 0, what=f"{what} to decode video frames")
    return wait_for_stats(
        side, lambda s: s["framesDecoded"] >= start["framesDecoded"] + by, what=f"{what}'s decoded video frames to keep rising"
    )


def wait_audio_rising(side: Page | FrameLocator, *, what: str, by: int = 20) -> dict:
    start = wait_for_stats(side, lambda s: s["audioPacketsReceived"] > 0, what=f"{what} to receive audio")
    return wait_for_stats(
        side,
        lambda s: s["audioPacketsReceived"] >= start["audioPacketsReceived"] + by,
        what=f"{what}'s received audio packets to keep rising",
    )


def wait_no_call(side: Page | FrameLocator, *, what: str, timeout_ms: int = CALL_TIMEOUT_MS) -> None:
    """No call runs on that side any more (hung up, or ended by the other side)."""
    target = target_of(side)
    page = target if isinstance(target, Page) else target.page
    deadline = time.monotonic() + timeout_ms / 1000
    while call_stats(side) is not None:
        if time.monotonic() > deadline:
            raise AssertionError(f"Waited {timeout_ms} ms for {what}'s call to end.")
        page.wait_for_timeout(100)


def expect_connection_shown(side: Page | FrameLocator, path: str = "Direct (peer-to-peer)") -> None:
    """The panel says how the call is connected (from getStats, updated every 3 s)."""
    panel = side.locator("section.call")
    expect(panel.locator(".call-path")).to_contain_text(path, timeout=CALL_TIMEOUT_MS)
    expect(panel.locator(".call-path")).to_contain_text("Encrypted (DTLS-SRTP)", timeout=CALL_TIMEOUT_MS)


# --- P05: nothing of a call is stored ---------------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    """Rows in every table Django knows (many-to-many tables included)."""
    counts: dict[str, int] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        counts[model._meta.db_table] = model._base_manager.count()
    return counts


def grown(before: dict[str, int], after: dict[str, int], *, allowed: frozenset[str] = frozenset()) -> dict[str, tuple[int, int]]:
    """Tables whose row count changed between two snapshots, except `allowed` (statistics counters)."""
    return {
        table: (before.get(table, 0), count)
        for table, count in after.items()
        if count != before.get(table, 0) and table not in allowed
    }


# P05/P10: the one table a call may change is the statistics counters (parley/stats), counted when the call ends.
STATISTICS = frozenset({"stats_dailycount"})


def calls_counted() -> int:
    from django.db.models import Sum

    from parley.stats.models import DailyCount, Dimension, Metric

    total = DailyCount.objects.filter(metric=Metric.CALL, dimension=Dimension.ALL).aggregate(n=Sum("count"))["n"]
    return total or 0


def wait_call_counted(before: int, *, timeout: float = 10.0) -> None:
    """The expert's call socket counts the call after it closed: wait for that one counter to move."""
    deadline = time.monotonic() + timeout
    while calls_counted() == before:
        assert time.monotonic() < deadline, "the ended call was not counted in the statistics"
        time.sleep(0.1)
    assert calls_counted() == before + 1
