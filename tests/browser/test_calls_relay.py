"""Relay-only calls through a real coturn (issue 5, P05): the customer's address never reaches the expert.

A private `turnserver` (tests/browser/coturn.py) runs on 127.0.0.1 for each test; PARLEY_ICE_SERVERS and
PARLEY_TURN_SECRET point at it, so the call socket hands the browsers real, time-limited credentials. The call
itself is test_calls.py's video call (the same steps and the same Chromium with fake media devices), with the demo
tenant set to relay its customers' connections. Every context is watched by the guard (no console error, no CSP
violation, no request to another origin).
"""

import json
import re
import time

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from parley.calls.services import ice_servers
from parley.tenants.models import Tenant

from .calls import (
    STATISTICS,
    call_browser,  # noqa: F401 (fixture)
    call_context,  # noqa: F401 (fixture)
    call_deadline,  # noqa: F401 (fixture)
    call_stats,
    calls_counted,
    expect_connection_shown,
    grown,
    row_counts,
    wait_call_counted,
    wait_connected,
    wait_for_stats,
    wait_frames_rising,
    wait_no_call,
)
from .conftest import BrowserGuard
from .coturn import Coturn, coturn, relay_only, turn_settings  # noqa: F401 (fixtures)
from .helpers import SocketFrames
from .test_calls import EXPERT, in_conversation
from .test_live_advisory import VISITOR, demo  # noqa: F401 (demo is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("call_deadline")]

CALL_SOCKET = "/ws/call/demo/"
RELAYED = "Relayed via TURN"


# Two RTCPeerConnections in one page, both relay-only with the given ICE servers: a data channel between them can
# only open through the TURN server. Returns what was gathered and which candidate pair carried the channel.
RELAYED_PAIR = """
async ({servers, timeoutMs, connect}) => {
  const config = {iceServers: servers, iceTransportPolicy: "relay"};
  const a = new RTCPeerConnection(config), b = new RTCPeerConnection(config);
  const gathered = [];
  a.onicecandidate = (e) => { if (e.candidate) { gathered.push(e.candidate.type); b.addIceCandidate(e.candidate); } };
  b.onicecandidate = (e) => { if (e.candidate) a.addIceCandidate(e.candidate); };
  const done = new Promise((resolve) => a.addEventListener("icegatheringstatechange",
    () => { if (a.iceGatheringState === "complete") resolve(); }));
  const channel = a.createDataChannel("probe");
  const opened = new Promise((resolve) => { channel.onopen = () => resolve(true); });
  const later = (ms) => new Promise((resolve) => setTimeout(() => resolve(false), ms));
  try {
    await a.setLocalDescription();
    if (!connect) {
      await Promise.race([done, later(timeoutMs)]);
      return {gathered, gatheringComplete: a.iceGatheringState === "complete", opened: false};
    }
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription);
    const open = await Promise.race([opened, later(timeoutMs)]);
    const result = {gathered, opened: open, local: null, remote: null, state: a.connectionState};
    if (open) {
      const stats = await a.getStats();
      stats.forEach((report) => {
        if (report.type === "transport" && report.selectedCandidatePairId) {
          const pair = stats.get(report.selectedCandidatePairId);
          result.local = stats.get(pair.localCandidateId).candidateType;
          result.remote = stats.get(pair.remoteCandidateId).candidateType;
        }
      });
    }
    return result;
  } finally {
    a.close();
    b.close();
  }
}
"""
COTURN_USERNAME = re.compile(r"user <([^>]*)>")


def test_p05_coturn_relays_with_the_time_limited_credentials_parley_hands_out_and_refuses_expired_ones(
    page: Page,
    guard: BrowserGuard,
    turn_settings: Coturn,  # noqa: F811 (fixture)
) -> None:
    """The credentials Parley makes (services.ice_servers: `<expiry>:<random>`, HMAC-SHA1 with the shared secret) are
    accepted by a real coturn 4.6: a relay-only data channel opens over relay candidates on both ends. The same
    credentials with an expiry in the past get no relay candidate at all, and coturn's log never names anything
    but `<expiry>:<random>` (no user id, no e-mail)."""
    page.goto("/")  # a page of Parley's origin, where the call code runs

    fresh = ice_servers()
    assert [server["urls"] for server in fresh] == [[turn_settings.url]]
    result = page.evaluate(RELAYED_PAIR, {"servers": fresh, "timeoutMs": 10_000, "connect": True})
    assert result["opened"], f"no relayed data channel ({result}); coturn's log:\n{turn_settings.log()}"
    assert set(result["gathered"]) == {"relay"}, result
    assert (result["local"], result["remote"]) == ("relay", "relay"), result
    assert turn_settings.log_matches(r"ALLOCATE processed, success"), turn_settings.log()

    expired = ice_servers(now=time.time() - settings.PARLEY_TURN_TTL - 60)
    refused_user = expired[0]["username"]
    result = page.evaluate(RELAYED_PAIR, {"servers": expired, "timeoutMs": 10_000, "connect": False})
    assert result["gatheringComplete"], result
    assert result["gathered"] == [], f"expired credentials still got candidates: {result}"
    assert turn_settings.log_matches(rf"Cannot find credentials of user <{re.escape(refused_user)}>"), turn_settings.log()

    users = {match for line in turn_settings.lines for match in COTURN_USERNAME.findall(line)} - {""}
    assert users and all(re.fullmatch(r"\d{10}:[0-9a-f]{16}", user) for user in users), users
    guard.assert_clean(page)


def record_sent(page: Page, path_part: str) -> list[dict]:
    """The JSON frames the page's (and its iframes') WebSockets whose URL contains `path_part` send."""
    sent: list[dict] = []

    def on_frame(payload: str | bytes) -> None:
        try:
            frame = json.loads(payload)
        except ValueError:
            return
        if isinstance(frame, dict):
            sent.append(frame)

    page.on("websocket", lambda socket: socket.on("framesent", on_frame) if path_part in socket.url else None)
    return sent


def candidate_type(line: str) -> str:
    match = re.search(r"\btyp\s+(\w+)", line)
    return match.group(1) if match else ""


def test_p05_a_relay_only_video_call_runs_through_coturn_and_the_expert_never_gets_a_direct_customer_candidate(
    call_context,  # noqa: F811 (fixture)
    guard: BrowserGuard,
    demo: Tenant,  # noqa: F811 (fixture)
    turn_settings: Coturn,  # noqa: F811 (fixture)
) -> None:
    """The tenant relays its customers' connections. The visitor calls from the web app, Anna accepts in the portal:
    the visitor's browser is told `iceTransportPolicy: "relay"`, the call connects through the local coturn (the
    visitor's selected candidate pair has a `relay` local candidate), both decode the other's video, also while
    Anna shares her screen, and both panels say the call is relayed and encrypted. Everything Anna's browser
    received on its call socket carries relay candidates only: no candidate frame and no `a=candidate` line of an
    SDP of the visitor's is host, srflx or prflx. Hanging up ends both sides; no table gained a row."""
    relay_only(demo)
    expert, visitor, widget = in_conversation(call_context)
    expert_frames = SocketFrames(expert, CALL_SOCKET)
    visitor_frames = SocketFrames(visitor, CALL_SOCKET)
    visitor_sent = record_sent(visitor, CALL_SOCKET)
    before = row_counts()
    calls_before = calls_counted()

    widget.get_by_role("button", name="Video call").click()
    expect(expert.get_by_role("alert").filter(has_text=f"{VISITOR} is calling you (video call).")).to_be_visible()
    expert.get_by_role("button", name="Accept").click()
    expert_panel = expert.get_by_role("region", name=f"Video call with {VISITOR}")
    visitor_panel = widget.get_by_role("region", name=f"Video call with {EXPERT}")
    expect(expert_panel).to_be_visible()
    expect(visitor_panel).to_be_visible()

    # Each side was told its policy when it joined: relay for the customer only; both got TURN credentials.
    visitor_frames.wait_for("joined")
    expert_frames.wait_for("joined")
    joined = {
        "customer": next(frame for _, frame in visitor_frames.received if frame["type"] == "joined"),
        "expert": next(frame for _, frame in expert_frames.received if frame["type"] == "joined"),
    }
    assert joined["customer"]["role"] == "customer" and joined["customer"]["iceTransportPolicy"] == "relay"
    assert joined["expert"]["role"] == "expert" and joined["expert"]["iceTransportPolicy"] == "all"
    for frame in joined.values():
        (server,) = frame["iceServers"]
        assert server["urls"] == [turn_settings.url] and re.fullmatch(r"\d{10}:[0-9a-f]{16}", server["username"])

    # Connected through coturn: the visitor's own end of the selected pair is a relay candidate.
    wait_connected(widget, what="the visitor")
    wait_connected(expert, what="the expert")
    wait_frames_rising(expert, what="the expert")
    wait_frames_rising(widget, what="the visitor")
    customer = call_stats(widget)
    assert (customer["localCandidateType"], customer["path"]) == ("relay", "relay"), customer
    anna = call_stats(expert)
    assert (anna["remoteCandidateType"], anna["path"]) == ("relay", "relay"), anna
    assert turn_settings.log_matches(r"ALLOCATE processed, success"), turn_settings.log()
    expect_connection_shown(expert, RELAYED)
    expect_connection_shown(widget, RELAYED)

    # The same call as test_calls.py's: Anna shares her screen, frames keep coming through the relay.
    share = expert_panel.get_by_role("button", name="Share screen")
    share.click()
    expect(share).to_have_attribute("aria-pressed", "true")
    wait_for_stats(widget, lambda s: s["remote"]["screen"], what="the visitor to learn a screen is shared")
    wait_frames_rising(widget, what="the visitor (screen)")
    share.click()
    expect(share).to_have_attribute("aria-pressed", "false")
    wait_frames_rising(widget, what="the visitor (camera again)")
    assert call_stats(widget)["localCandidateType"] == "relay"

    # P05: nothing Anna's browser received names a candidate of the visitor's other than a relay.
    candidates = [
        frame["candidate"]["candidate"]
        for _, frame in expert_frames.received
        if frame["type"] == "candidate" and frame["candidate"]
    ]
    offered = [
        line
        for _, frame in expert_frames.received
        if frame["type"] == "description"
        for line in frame["description"]["sdp"].splitlines()
        if line.startswith("a=candidate:")
    ]
    assert candidates, "the expert received no candidate at all"
    assert {candidate_type(c) for c in candidates + offered} == {"relay"}, candidates + offered
    # The visitor's browser itself sent relay candidates only (so the server's filter had nothing to drop here).
    sent = [
        frame["candidate"]["candidate"] for frame in visitor_sent if frame.get("type") == "candidate" and frame.get("candidate")
    ]
    assert sent and {candidate_type(c) for c in sent} == {"relay"}, sent

    expert_panel.get_by_role("button", name="Hang up").click()
    wait_no_call(expert, what="the expert")
    wait_no_call(widget, what="the visitor")
    expect(visitor_panel).to_have_count(0)
    expect(widget.get_by_text(f"{EXPERT} ended the call.")).to_be_visible()
    wait_call_counted(calls_before)
    assert grown(before, row_counts(), allowed=STATISTICS) == {}
    guard.assert_clean(visitor, expert)
