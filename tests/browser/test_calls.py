"""Audio and video calls end to end (issue 5): the customer on the demo partner page, the expert in the portal.

Two contexts of a Chromium with fake media devices (tests/browser/calls.py) connect 1:1 over WebRTC; Parley only
relays the signalling. What the tests read: the pages (ringing, the call panel, how it is connected) and the call
statistics through `window.__parleyCall.stats()` (inbound video frames decoded, audio packets received, the
selected candidate pair). P05: no table gains a row while a call runs but the statistics counter of ended calls
(P10). Every context is watched by the guard: no console error, no CSP violation, no request to another origin (P17).
"""

import re
from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, FrameLocator, Page, expect

from parley.tenants.models import Tenant

from .calls import (
    CALL_TIMEOUT_MS,
    STATISTICS,
    call_browser,  # noqa: F401 (fixture)
    call_context,  # noqa: F401 (fixture)
    call_deadline,  # noqa: F401 (fixture)
    call_stats,
    calls_counted,
    expect_connection_shown,
    grown,
    row_counts,
    target_of,
    wait_audio_rising,
    wait_call_counted,
    wait_connected,
    wait_for_stats,
    wait_frames_rising,
    wait_no_call,
)
from .conftest import BrowserGuard
from .helpers import AXE_TAGS, SocketFrames, assert_accessible, frame_of
from .test_live_advisory import (  # noqa: F401 (demo is a fixture)
    VISITOR,
    WIDGET_SOCKET,
    demo,
    expert_online,
    open_conversation,
    start_conversation,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("call_deadline")]

EXPERT = "Anna Keller"


def in_conversation(open_call_context: Callable[..., BrowserContext], **customer: object) -> tuple[Page, Page, FrameLocator]:
    """Anna online in the portal, the visitor's conversation started on /demo/ and open on Anna's page; both chat
    sockets are live. Returns (expert page, visitor page, the web app's frame)."""
    expert, expert_socket = expert_online(open_call_context)
    visitor = open_call_context(**customer).new_page()
    widget = start_conversation(visitor, SocketFrames(visitor, WIDGET_SOCKET))
    expect(expert.get_by_role("row").filter(has=expert.get_by_role("link", name=VISITOR))).to_be_visible()
    open_conversation(expert, expert_socket)
    return expert, visitor, widget


def assert_call_accessible(page: Page, what: str) -> None:
    """axe-core on the portal's call UI (the start buttons and the call area) only: the rest of the page has
    checks of its own."""
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    results = Axe().run(page, context={"include": [["#call-bar"], ["#call-area"]]}, options=options)
    assert results.violations_count == 0, f"axe-core on {what}:\n{results.generate_report()}"


def not_covered(side: Page | FrameLocator, selector: str) -> bool:
    """The element is scrolled into view and what is under its centre is the element itself (nothing covers it)."""
    return target_of(side).evaluate(
        """(selector) => {
            const node = document.querySelector(selector);
            node.scrollIntoView({ block: "center" });
            const box = node.getBoundingClientRect();
            const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
            return hit === node || node.contains(hit);
        }""",
        selector,
    )


def test_p05_a_video_call_connects_both_ways_screen_sharing_keeps_frames_coming_and_hang_up_ends_both_sides(
    call_context: Callable[..., BrowserContext],  # noqa: F811 (fixture)
    guard: BrowserGuard,
    demo: Tenant,  # noqa: F811 (fixture)
) -> None:
    """The visitor calls from the web app, Anna accepts in the portal: both decode the other's video, see that the
    call is direct and encrypted; Anna shares her screen (replaceTrack: frames keep arriving, the visitor's page
    shows a screen); hanging up ends the call on both sides. P05: no table but the statistics counters has gained a row."""
    expert, visitor, widget = in_conversation(call_context)
    before = row_counts()
    calls_before = calls_counted()

    # Only offered when the organisation has calls on (the demo has).
    widget.get_by_role("button", name="Video call").click()
    expect(widget.get_by_text("Calling Anna Keller (video)…")).to_be_visible()
    expect(widget.get_by_role("button", name="Cancel")).to_be_focused()

    ring = expert.get_by_role("alert").filter(has_text=f"{VISITOR} is calling you (video call).")
    expect(ring).to_be_visible()
    accept = expert.get_by_role("button", name="Accept")
    expect(accept).to_be_focused()
    accept.click()

    expert_panel = expert.get_by_role("region", name=f"Video call with {VISITOR}")
    visitor_panel = widget.get_by_role("region", name=f"Video call with {EXPERT}")
    expect(expert_panel).to_be_visible()
    expect(visitor_panel).to_be_visible()
    expect(expert.get_by_role("heading", name=f"Video call with {VISITOR}")).to_be_focused()
    wait_connected(expert, what="the expert")
    wait_connected(widget, what="the visitor")
    wait_frames_rising(expert, what="the expert")
    wait_frames_rising(widget, what="the visitor")
    expect(expert_panel.get_by_role("status").first).to_have_text("Connected")
    expect_connection_shown(expert)
    expect_connection_shown(widget)
    stats = call_stats(widget)
    assert stats["path"] == "direct" and stats["localCandidateType"] == "host", stats

    # The chat stays usable beside the call: the composer is not covered by the call panel.
    assert not_covered(widget, "#composer")
    assert not_covered(expert, "#reply-form textarea")

    # Controls have names and pressed states.
    mute = expert_panel.get_by_role("button", name="Mute")
    expect(mute).to_have_attribute("aria-pressed", "false")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    wait_for_stats(widget, lambda s: s["remote"]["audio"] is False, what="the visitor to learn Anna muted")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "false")

    # Anna shares her screen: the camera track is replaced, frames keep arriving, the visitor's page shows a screen.
    share = expert_panel.get_by_role("button", name="Share screen")
    share.click()
    expect(share).to_have_attribute("aria-pressed", "true")
    sending = wait_for_stats(expert, lambda s: s["sending"]["screen"], what="the expert to send her screen")
    assert sending["sentVideoLabel"].startswith("screen"), sending
    wait_for_stats(widget, lambda s: s["remote"]["screen"], what="the visitor to learn a screen is shared")
    expect(widget.locator(".call-stage.is-screen")).to_be_visible()
    wait_frames_rising(widget, what="the visitor (screen)")
    assert call_stats(widget)["connectionState"] == "connected"

    # Stop sharing: back to the camera, frames still arriving.
    share.click()
    expect(share).to_have_attribute("aria-pressed", "false")
    wait_for_stats(expert, lambda s: not s["sending"]["screen"] and s["sending"]["video"], what="the expert's camera")
    wait_frames_rising(widget, what="the visitor (camera again)")

    assert_accessible(frame_of(widget), "the web app during a call")
    assert_call_accessible(expert, "the portal's call controls and panel")

    # Anna hangs up: both sides end.
    expert_panel.get_by_role("button", name="Hang up").click()
    wait_no_call(expert, what="the expert")
    wait_no_call(widget, what="the visitor")
    expect(visitor_panel).to_have_count(0)
    expect(expert_panel).to_have_count(0)
    expect(widget.get_by_text(f"{EXPERT} ended the call.")).to_be_visible()
    expect(expert.get_by_text("The call has ended.")).to_be_visible()
    expect(widget.get_by_role("button", name="Video call")).to_be_visible()

    # P05: signalling went through the sockets only; nothing was written.
    wait_call_counted(calls_before)
    assert grown(before, row_counts(), allowed=STATISTICS) == {}
    guard.assert_clean(visitor, expert)


def test_an_audio_call_started_by_the_expert_and_hung_up_by_the_visitor_on_a_phone_sized_screen(
    call_context: Callable[..., BrowserContext],  # noqa: F811 (fixture)
    guard: BrowserGuard,
    demo: Tenant,  # noqa: F811 (fixture)
) -> None:
    """Anna rings with an audio call; the visitor (a 320 px touch screen) gets an alert, accepts, and both hear each
    other: audio packets arrive, no video is sent. A phone cannot share its screen, so it is not offered. The visitor
    picks another microphone (the other side keeps hearing), switches to video and back, and hangs up."""
    phone = {"viewport": {"width": 320, "height": 640}, "has_touch": True, "is_mobile": True}
    expert, visitor, widget = in_conversation(call_context, **phone)
    before = row_counts()
    calls_before = calls_counted()

    expert.get_by_role("button", name="Audio call").click()
    expect(expert.get_by_text(f"Calling {VISITOR} (audio)…")).to_be_visible()
    alert = widget.get_by_role("alert").filter(has_text="Anna Keller is calling you (audio call).")
    expect(alert).to_be_visible()
    widget.get_by_role("button", name="Accept").click()

    visitor_panel = widget.get_by_role("region", name=f"Audio call with {EXPERT}")
    expect(visitor_panel).to_be_visible()
    wait_connected(widget, what="the visitor")
    wait_connected(expert, what="the expert")
    wait_audio_rising(expert, what="the expert")
    wait_audio_rising(widget, what="the visitor")
    for side in (expert, widget):
        stats = call_stats(side)
        assert stats["mode"] == "audio" and not stats["sending"]["video"] and stats["framesDecoded"] == 0, stats
    expect_connection_shown(widget)
    # 320 px: nothing sticks out sideways, every control is on screen.
    frame = frame_of(widget)
    assert frame.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    for name in ("Mute", "Switch to video", "Hang up"):
        expect(visitor_panel.get_by_role("button", name=name)).to_be_visible()
    expect(visitor_panel.get_by_role("button", name="Share screen")).to_have_count(0)
    expect(expert.get_by_role("button", name="Share screen")).to_be_visible()
    assert not_covered(widget, "#composer")
    assert_accessible(frame, "the web app in an audio call at 320 px")

    # Another microphone (the fake device offers several): replaceTrack, and Anna keeps receiving sound.
    devices = visitor_panel.get_by_role("button", name="Microphone and camera")
    devices.click()
    expect(devices).to_have_attribute("aria-expanded", "true")
    microphone = visitor_panel.get_by_label("Microphone")
    options = microphone.locator("option")
    assert options.count() > 1
    second = options.nth(1).get_attribute("value")
    microphone.select_option(second)
    wait_for_stats(widget, lambda s: s["sending"]["audio"], what="the visitor's new microphone")
    expect(microphone).to_have_value(second)
    wait_audio_rising(expert, what="the expert (the visitor's other microphone)")

    # Audio ↔ video: the visitor's camera goes on (a new track, negotiated), Anna decodes it; and off again.
    visitor_panel.get_by_role("button", name="Switch to video").click()
    wait_frames_rising(expert, what="the expert (the visitor's camera)")
    expect(widget.get_by_role("region", name=f"Video call with {EXPERT}")).to_be_visible()
    widget.get_by_role("button", name="Switch to audio only").click()
    wait_for_stats(expert, lambda s: s["remote"]["video"] is False, what="the expert to learn the camera is off")

    widget.get_by_role("button", name="Hang up").click()
    wait_no_call(widget, what="the visitor")
    wait_no_call(expert, what="the expert")
    expect(expert.get_by_text(f"{VISITOR} ended the call.")).to_be_visible()
    wait_call_counted(calls_before)
    assert grown(before, row_counts(), allowed=STATISTICS) == {}
    guard.assert_clean(visitor, expert)


def test_a_declined_call_and_a_cancelled_call_leave_both_sides_as_they_were(
    call_context: Callable[..., BrowserContext],  # noqa: F811 (fixture)
    guard: BrowserGuard,
    demo: Tenant,  # noqa: F811 (fixture)
) -> None:
    """Anna declines the visitor's call: the visitor is told. Anna then rings and cancels: the visitor's ring stops
    and says it was missed. No call ever starts."""
    expert, visitor, widget = in_conversation(call_context)

    widget.get_by_role("button", name="Audio call").click()
    expect(expert.get_by_role("alert").filter(has_text=f"{VISITOR} is calling you (audio call).")).to_be_visible()
    expert.get_by_role("button", name="Decline").click()
    expect(widget.get_by_text("Anna Keller cannot take the call right now.")).to_be_visible()
    expect(widget.get_by_role("button", name="Audio call")).to_be_visible()
    expect(expert.get_by_role("button", name="Accept")).to_have_count(0)

    expert.get_by_role("button", name="Video call").click()
    expect(widget.get_by_role("alert").filter(has_text="Anna Keller is calling you (video call).")).to_be_visible()
    expert.get_by_role("button", name="Cancel").click()
    expect(widget.get_by_text("Missed call from Anna Keller.")).to_be_visible()
    expect(widget.get_by_role("button", name="Accept")).to_have_count(0)
    assert call_stats(widget) is None and call_stats(expert) is None
    guard.assert_clean(visitor, expert)


def test_without_calls_for_the_organisation_neither_side_offers_a_call(
    call_context: Callable[..., BrowserContext],  # noqa: F811 (fixture)
    guard: BrowserGuard,
    demo: Tenant,  # noqa: F811 (fixture)
) -> None:
    """The admin switched calls off: no call button in the web app or in the portal; the chat works as before."""
    demo.calls_enabled = False
    demo.save()
    expert, visitor, widget = in_conversation(call_context)
    expect(widget.get_by_role("heading", level=1)).to_have_text("Conversation with Anna Keller")
    for side in (widget, expert):
        expect(side.get_by_role("button", name="Video call")).to_have_count(0)
        expect(side.get_by_role("button", name="Audio call")).to_have_count(0)
    guard.assert_clean(visitor, expert)


def test_a_reload_of_the_expert_rejoins_the_running_call(
    call_context: Callable[..., BrowserContext],  # noqa: F811 (fixture)
    guard: BrowserGuard,
    demo: Tenant,  # noqa: F811 (fixture)
) -> None:
    """During a video call Anna reloads her page: it rejoins the call from this tab's sessionStorage, the visitor's
    side rebuilds its connection, and video flows both ways again."""
    expert, visitor, widget = in_conversation(call_context)
    widget.get_by_role("button", name="Video call").click()
    expert.get_by_role("button", name="Accept").click()
    wait_frames_rising(expert, what="the expert")
    wait_frames_rising(widget, what="the visitor")

    expert.reload()
    expect(expert.get_by_role("region", name=f"Video call with {VISITOR}")).to_be_visible(timeout=CALL_TIMEOUT_MS)
    wait_connected(expert, what="the expert after the reload")
    wait_frames_rising(expert, what="the expert after the reload")
    wait_frames_rising(widget, what="the visitor after the expert's reload")
    wait_connected(widget, what="the visitor after the expert's reload")

    # The visitor reloads the partner page: the launcher reopens the web app, which rejoins the call.
    visitor.reload()
    widget = visitor.frame_locator('iframe[title="Advice from Demo Bank"]')
    expect(widget.get_by_role("region", name=f"Video call with {EXPERT}")).to_be_visible(timeout=CALL_TIMEOUT_MS)
    wait_connected(widget, what="the visitor after the reload")
    wait_frames_rising(widget, what="the visitor after the reload")
    wait_frames_rising(expert, what="the expert after the visitor's reload")

    widget.get_by_role("button", name="Hang up").click()
    wait_no_call(expert, what="the expert")
    # The call is over: the next reload leaves the panel closed.
    visitor.reload()
    expect(visitor.get_by_role("button", name="Talk to an expert")).to_have_attribute("aria-expanded", "false")
    guard.assert_clean(visitor, expert)


def test_a_call_rings_on_the_experts_other_portal_pages_and_answering_opens_the_conversation_in_the_call(
    call_context: Callable[..., BrowserContext],  # noqa: F811 (fixture)
    guard: BrowserGuard,
    demo: Tenant,  # noqa: F811 (fixture)
) -> None:
    """Anna is on her Conversations list, not in the conversation: the visitor's call rings there as a banner;
    "Accept" opens the conversation and answers, and the call connects."""
    expert, visitor, widget = in_conversation(call_context)
    expert.get_by_role("link", name="Back to the conversations").click()
    expect(expert.get_by_role("heading", level=1)).to_have_text("Conversations")

    widget.get_by_role("button", name="Video call").click()
    banner = expert.get_by_role("alert").filter(has_text=f"{VISITOR} is calling you (video call).")
    expect(banner).to_be_visible()
    accept = expert.get_by_role("button", name="Accept")
    expect(accept).to_be_focused()
    accept.click()
    expect(expert.get_by_role("heading", level=1)).to_have_text(VISITOR)
    expect(expert.get_by_role("region", name=f"Video call with {VISITOR}")).to_be_visible()
    wait_frames_rising(expert, what="the expert")
    wait_frames_rising(widget, what="the visitor")
    expect(expert).to_have_url(re.compile(r"/conversations/[0-9a-f-]+/$"))  # the answer does not stay in the address

    widget.get_by_role("button", name="Hang up").click()
    wait_no_call(expert, what="the expert")
    guard.assert_clean(visitor, expert)


def test_the_appointment_waiting_room_waits_until_the_expert_lets_the_customer_in(
    call_context: Callable[..., BrowserContext],  # noqa: F811 (fixture)
    guard: BrowserGuard,
    demo: Tenant,  # noqa: F811 (fixture)
) -> None:
    """The appointment's "Join the call" ends at /w/<slug>/#resume=<token>&call=waiting: the web app says whom it is
    waiting for and tells the expert, who sees the customer waiting and lets them in; the call connects."""
    expert, visitor, widget = in_conversation(call_context)
    token = frame_of(widget).evaluate("() => JSON.parse(localStorage.getItem('parley:demo'))[0]")
    visitor.context.close()

    room = call_context().new_page()
    room.goto(f"/w/demo/#resume={token}&call=waiting")
    expect(room.get_by_text("Waiting for Anna Keller to let you in…")).to_be_visible()
    expect(room).to_have_url("/w/demo/")  # the token does not stay in the address bar
    expect(expert.get_by_role("alert").filter(has_text=f"{VISITOR} is waiting to join the call.")).to_be_visible()
    expert.get_by_role("button", name="Let in").click()
    expect(room.get_by_role("region", name=f"Video call with {EXPERT}")).to_be_visible()
    wait_frames_rising(room, what="the customer")
    wait_frames_rising(expert, what="the expert")

    room.get_by_role("button", name="Hang up").click()
    wait_no_call(expert, what="the expert")
    guard.assert_clean(room, expert)
