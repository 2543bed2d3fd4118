"""What a call needs from the server besides relaying: ICE servers with time-limited TURN credentials, and the
relay-only filter that keeps a customer's addresses from the expert (P05). Nothing here touches the database."""

import base64
import hashlib
import hmac
import re
import secrets
import time
from typing import Any

from django.conf import settings


def ice_servers(*, now: float | None = None) -> list[dict[str, Any]]:
    """STUN/TURN entries for RTCPeerConnection; TURN gets coturn REST credentials: `<expiry>:<random>` (no user id,
    coturn logs it) and base64(HMAC-SHA1(secret, username))."""
    urls = list(settings.PARLEY_ICE_SERVERS)
    stun = [u for u in urls if u.startswith("stun:")]
    turn = [u for u in urls if u.startswith(("turn:", "turns:"))]
    servers: list[dict[str, Any]] = []
    if stun:
        servers.append({"urls": stun})
    if turn and settings.PARLEY_TURN_SECRET:
        expiry = int(now if now is not None else time.time()) + settings.PARLEY_TURN_TTL
        username = f"{expiry}:{secrets.token_hex(8)}"
        digest = hmac.new(settings.PARLEY_TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
        servers.append({"urls": turn, "username": username, "credential": base64.b64encode(digest).decode()})
    return servers


_CANDIDATE_TYPE = re.compile(r"\btyp\s+(\w+)")


def is_relay_candidate(candidate: str) -> bool:
    match = _CANDIDATE_TYPE.search(candidate)
    return bool(match and match.group(1) == "relay")


def sdp_without_direct_candidates(sdp: str) -> str:
    """Drop every `a=candidate` line that is not a relay candidate (host, srflx, prflx carry the customer's
    addresses); `c=` lines then only ever name the relay or 0.0.0.0 in browsers that trickle."""
    lines = sdp.split("\r\n") if "\r\n" in sdp else sdp.split("\n")
    kept = [line for line in lines if not line.startswith("a=candidate:") or is_relay_candidate(line)]
    return ("\r\n" if "\r\n" in sdp else "\n").join(kept)
