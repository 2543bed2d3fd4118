"""Chat benchmark for `parley serve` against a bare WebSocket relay (`make bench-chat`).

Sets up a throwaway data directory (migrate + demo), starts `parley serve --workers 1` with PARLEY_RATE_LIMITS=0
(in-memory channel layer; `--redis` for RedisPubSubChannelLayer on REDIS_URL or 127.0.0.1:6379) and relay.py, a
bare relay written with the `websockets` library that speaks the same frames. Against each it opens N visitor–expert
pairs with one picows client: N conversations started through the widget API, N visitor sockets
(`/ws/widget/demo/`, hello with the token), and expert sockets of the two demo experts signed in through the login
form (`/ws/t/demo/inbox/`, up to 20 conversations opened per socket). Then, in interleaved rounds, two phases:

- paced: each visitor sends M messages at R per second, the expert answers each one on arrival;
- closed loop: for S seconds each pair keeps one exchange in flight (the visitor writes, the expert answers, the
  visitor writes again on the answer), which is as fast as the server lets a conversation go.

Every body carries its send time; latency is send to arrival at the other side, both directions together. It
prints delivered messages/s, p50/p99 latency, messages lost, late or duplicated, server CPU per delivered message and
the ratio to the relay (medians over the rounds), then compares the messages sent with those Parley stored, and, as
the last line of stdout, the same figures as JSON. `--receipts` makes each side answer every message with `seen`, as
the portal page does. Every process it starts is stopped on exit, errors and Ctrl-C included. 127.0.0.1 only. It
only prints: no figure is asserted. README.md has the options and the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import socket
import statistics
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py
from common import (  # noqa: E402
    BIN,
    HOST,
    Server,
    exit_on_signals,
    fmt_ratio,
    free_port,
    group_cpu_seconds,
    log,
    log_elapsed_time,
    login,
    parley_server,
    prepare_data,
    print_report,
    print_table,
    request,
    run_main,
    workspace,
)

HERE = Path(__file__).resolve().parent
SLUG = "demo"
EXPERTS = ("anna.keller@demo.parley.test", "marc.dubois@demo.parley.test")  # the demo experts (`parley demo`)
WIDGET_PATH = f"/ws/widget/{SLUG}/"
PORTAL_PATH = f"/ws/t/{SLUG}/inbox/"
MAX_OPEN = 20  # conversations one portal socket may open (parley/interactions/consumers.py)
RELAY = "bare relay"
WAIT = 30.0  # seconds any single step (a handshake, a ready frame) may take
DRAIN = 60.0  # seconds a phase waits for its last messages while they still arrive
QUIET = 2.0  # seconds without any arrival after which what is missing counts as lost
# The data directory's extra environment: rate limits off (the run starts N conversations from one address and
# sends faster than the per-socket frame limit; PARLEY_RATE_LIMITS=0 exists for load tests).
NO_RATE_LIMITS = {"PARLEY_RATE_LIMITS": "0"}

log_elapsed_time()  # log lines carry the seconds since the start


def redis_url() -> str:
    """REDIS_URL from the environment, else redis://127.0.0.1:6379/0 when something answers there."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    try:
        with socket.create_connection((HOST, 6379), timeout=1):
            return f"redis://{HOST}:6379/0"
    except OSError:
        raise RuntimeError("--redis needs REDIS_URL or a Redis on 127.0.0.1:6379") from None


def start_conversations(port: int, pairs: int, experts: int = len(EXPERTS)) -> list[tuple[str, str, int]]:
    """N conversations through the widget API, alternating between the first `experts` demo experts:
    (interaction id, visitor token, index of the expert in EXPERTS)."""
    status, _, body = request(port, "GET", f"/api/v1/widget/{SLUG}/config")
    if status != 200:
        raise RuntimeError(f"widget config answered {status}: {body[:300]!r}")
    names = {"anna.keller@demo.parley.test": "Anna Keller", "marc.dubois@demo.parley.test": "Marc Dubois"}
    by_name = {e["name"]: e["id"] for e in json.loads(body)["experts"]}
    profile_ids = [by_name[names[email]] for email in EXPERTS]
    conversations = []
    for i in range(pairs):
        expert = i % experts
        payload = {
            "expert_id": profile_ids[expert],
            "name": f"Bench Visitor {i}",
            "email": f"visitor{i}@bench.example",
            "message": f"Conversation {i} starts.",
        }
        status, _, body = request(
            port,
            "POST",
            f"/api/v1/widget/{SLUG}/conversations",
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        if status != 201:
            hint = " (is PARLEY_RATE_LIMITS=0 honoured?)" if status == 429 else ""
            raise RuntimeError(f"starting conversation {i} answered {status}{hint}: {body[:300]!r}")
        started = json.loads(body)
        conversations.append((started["conversation"]["id"], started["token"], expert))
    return conversations


# ---------------------------------------------------------------------------------------------------------------
# The client: picows sockets, one asyncio loop (uvloop when installed)

try:
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect
except ImportError:  # pragma: no cover - the message says what to do
    sys.exit("bench/chat needs picows: .venv/bin/pip install -e '.[test]'")


def dumps(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


class Conn(WSListener):
    """One client socket. Frames are parsed and handed to the bench; `expect` waits for a frame matching a test."""

    def __init__(self, bench: Bench, side: str) -> None:
        self.bench, self.side = bench, side  # side: "customer" (a visitor) or "expert"
        self.transport: WSTransport | None = None
        self.waiters: list[tuple[Any, asyncio.Future]] = []
        self.closed = False
        self.close_code: Any = None
        self.expert = -1  # index in EXPERTS of an expert socket

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            data = json.loads(frame.get_payload_as_bytes())
            for waiter in list(self.waiters):
                test, future = waiter
                if not future.done() and test(data):
                    future.set_result(data)
                    self.waiters.remove(waiter)
            self.bench.on_frame(self, data)
        elif frame.msg_type == WSMsgType.CLOSE:
            self.close_code = frame.get_close_code()
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closed = True
        for _, future in self.waiters:
            if not future.done():
                future.set_exception(RuntimeError(f"{self.side} socket closed ({self.close_code})"))
        self.waiters.clear()

    def send(self, obj: dict[str, Any]) -> None:
        if self.transport is not None and not self.closed:
            self.transport.send(WSMsgType.TEXT, dumps(obj))

    def expect(self, test: Any, what: str) -> Awaitable[dict[str, Any]]:
        """Register now (before the frame that answers is sent), wait later."""
        future = asyncio.get_running_loop().create_future()
        self.waiters.append((test, future))

        async def wait() -> dict[str, Any]:
            try:
                return await asyncio.wait_for(future, WAIT)
            except TimeoutError:
                raise RuntimeError(f"no {what} within {WAIT:.0f} s on a {self.side} socket") from None

        return wait()

    def disconnect(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.send_close()
            self.transport.disconnect()


@dataclass
class Pair:
    index: int
    room: str  # interaction id (Parley) or room name (relay)
    visitor: Conn
    expert: Conn
    token: str = ""  # the visitor's bearer token (Parley)
    sent: int = 0  # visitor messages sent in this phase


@dataclass
class Phase:
    tag: str
    closed_loop: bool = False
    running: bool = True
    latencies_ns: list[int] = field(default_factory=list)
    delivered: int = 0
    delivered_in_window: int = 0
    duplicates: int = 0
    seen: set[tuple[int, int, str]] = field(default_factory=set)
    first_send: int = 0
    last_delivery: int = 0
    window_end: int = 0
    late: int = 0


class Bench:
    """The pairs of one target and the bookkeeping of the phase being measured."""

    def __init__(self, name: str, port: int) -> None:
        self.name, self.port = name, port
        self.pairs: list[Pair] = []
        self.experts: list[Conn] = []
        self.phase: Phase | None = None
        self.errors: list[dict[str, Any]] = []
        self.stale = 0  # frames of an earlier phase that arrived late
        self.sent = 0  # messages sent by visitors and experts, all phases
        self.receipts = False  # answer every message with a `seen` frame
        self.history: dict[str, tuple[Phase, Sample]] = {}  # phases that are over, by tag
        self.pgid = 0

    async def connect(self, side: str, path: str, cookie: str = "") -> Conn:
        headers = {"Origin": f"http://{HOST}:{self.port}"}
        if cookie:
            headers["Cookie"] = cookie
        _, conn = await ws_connect(
            lambda: Conn(self, side), f"ws://{HOST}:{self.port}{path}", extra_headers=headers, websocket_handshake_timeout=WAIT
        )
        return conn

    async def connect_experts(self, pairs: int, cookies: list[str]) -> None:
        """The expert sockets come first, as experts are online before visitors come: per expert, one socket for
        every MAX_OPEN of its conversations (conversation i goes to expert i % 2)."""
        for expert in range(len(EXPERTS)):
            count = len(range(expert, pairs, len(EXPERTS)))
            for _ in range(math.ceil(count / MAX_OPEN)):
                conn = await self.connect("expert", PORTAL_PATH, cookies[expert] if cookies else "")
                conn.expert = expert
                self.experts.append(conn)

    async def connect_visitors(self, rooms: list[tuple[str, str, int]]) -> None:
        """A visitor socket per conversation (hello with the token), then each expert socket opens its share."""
        sockets = {expert: [c for c in self.experts if c.expert == expert] for expert in range(len(EXPERTS))}
        counts: dict[int, int] = {}
        visitors = await asyncio.gather(*(self.connect("customer", WIDGET_PATH) for _ in rooms))
        await asyncio.gather(*(self._hello(v, token) for v, (_, token, _) in zip(visitors, rooms, strict=True)))
        for i, ((room, token, expert), visitor) in enumerate(zip(rooms, visitors, strict=True)):
            n = counts[expert] = counts.get(expert, 0) + 1
            self.pairs.append(Pair(i, room, visitor, sockets[expert][(n - 1) // MAX_OPEN], token))
        for pair in self.pairs:
            ready = pair.expert.expect(lambda f, r=pair.room: f.get("type") == "ready" and f.get("interaction_id") == r, "ready")
            pair.expert.send({"type": "open", "interaction_id": pair.room, "after": 1})
            await ready

    async def _hello(self, visitor: Conn, token: str) -> None:
        ready = visitor.expect(lambda f: f.get("type") == "ready", "ready after hello")
        visitor.send({"type": "hello", "token": token, "after": 1})
        await ready

    def close(self) -> None:
        for pair in self.pairs:
            pair.visitor.disconnect()
        for conn in self.experts:
            conn.disconnect()

    def ping(self) -> None:
        """The web app's and the portal's heartbeat (every 25 s), so the experts stay 'online'."""
        for pair in self.pairs:
            pair.visitor.send({"type": "ping"})
        for conn in self.experts:
            conn.send({"type": "ping"})

    # --- frames -------------------------------------------------------------------------------------------------

    def on_frame(self, conn: Conn, data: dict[str, Any]) -> None:
        kind = data.get("type")
        if kind == "error":
            if len(self.errors) < 20:
                self.errors.append(data)
            return
        if kind != "message":
            return  # ready, inbox rows, pongs, receipts
        message = data["message"]
        if message["sender"] == conn.side:
            return  # the echo of one's own message (Parley sends every message to the whole conversation)
        phase = self.phase
        parts = message["body"].split(":")
        if phase is None or len(parts) != 5 or parts[0] != phase.tag:
            self._late(parts)
            return
        now = time.perf_counter_ns()
        index, k, direction = int(parts[1]), int(parts[2]), parts[3]
        key = (index, k, direction)
        if key in phase.seen:
            phase.duplicates += 1
            return
        phase.seen.add(key)
        phase.delivered += 1
        phase.latencies_ns.append(now - int(parts[4]))
        phase.last_delivery = now
        if not phase.window_end or now <= phase.window_end:
            phase.delivered_in_window += 1
        pair = self.pairs[index]
        if self.receipts:  # what the portal page does for every message (inbox.js: seen()); the web app debounces
            seq = message["seq"]
            conn.send({"type": "seen", "interaction_id": pair.room, "delivered": seq, "read": seq})
        if direction == "v":  # a visitor's message reached the expert, who answers at once
            self.sent += 1
            pair.expert.send(
                {"type": "message", "interaction_id": pair.room, "body": f"{phase.tag}:{index}:{k}:e:{time.perf_counter_ns()}"}
            )
        elif phase.closed_loop and phase.running:  # the answer reached the visitor, who writes again
            self.visitor_send(pair, phase)

    def _late(self, parts: list[str]) -> None:
        """A message of a phase that is over: it was counted lost, it is late (with the answer it would have had)."""
        self.stale += 1
        past = self.history.get(parts[0]) if len(parts) == 5 else None
        if past is None:
            return
        phase, sample = past
        key = (int(parts[1]), int(parts[2]), parts[3])
        if key in phase.seen:
            sample.duplicates += 1
            return
        phase.seen.add(key)
        moved = min(sample.lost, 2 if parts[3] == "v" else 1)
        sample.lost -= moved
        sample.late += moved

    def visitor_send(self, pair: Pair, phase: Phase) -> None:
        k = pair.sent
        pair.sent += 1
        self.sent += 1
        pair.visitor.send({"type": "message", "body": f"{phase.tag}:{pair.index}:{k}:v:{time.perf_counter_ns()}"})

    # --- phases -------------------------------------------------------------------------------------------------

    async def paced(self, tag: str, messages: int, rate: float) -> Sample:
        """Each visitor sends `messages` at `rate` per second (start times spread over one interval); every message
        is answered. Delivered/s is over first send to last delivery."""
        phase = self.phase = Phase(tag)
        for pair in self.pairs:
            pair.sent = 0
        cpu_before = group_cpu_seconds(self.pgid)
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.05
        phase.first_send = time.perf_counter_ns() + 50_000_000
        interval = 1.0 / rate
        spread = interval / max(1, len(self.pairs))
        sends = sorted((start + p.index * spread + k * interval, p.index) for p in self.pairs for k in range(messages))
        for at, index in sends:
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.visitor_send(self.pairs[index], phase)
        expected = 2 * messages * len(self.pairs)
        await self._drain(phase, expected)
        phase.running = False
        elapsed = max(1e-9, (phase.last_delivery - phase.first_send) / 1e9)
        return self._sample(phase, phase.delivered / elapsed, expected, cpu_before, f"paced {rate:g}/s x {messages}")

    async def closed_loop(self, tag: str, seconds: float) -> Sample:
        """Every pair keeps one exchange in flight for `seconds`; delivered/s counts arrivals within the window."""
        phase = self.phase = Phase(tag, closed_loop=True)
        for pair in self.pairs:
            pair.sent = 0
        cpu_before = group_cpu_seconds(self.pgid)
        phase.first_send = time.perf_counter_ns()
        phase.window_end = phase.first_send + int(seconds * 1e9)
        for pair in self.pairs:
            self.visitor_send(pair, phase)
        await asyncio.sleep(seconds)
        phase.running = False
        cpu_window = group_cpu_seconds(self.pgid) - cpu_before
        expected = 2 * sum(p.sent for p in self.pairs)  # every message sent gets through, and its answer too
        await self._drain(phase, expected)
        sample = self._sample(phase, phase.delivered_in_window / seconds, expected, cpu_before, f"closed loop {seconds:g} s")
        if phase.delivered_in_window:
            sample.cpu_ms = cpu_window * 1000 / phase.delivered_in_window
        return sample

    async def _drain(self, phase: Phase, expected: int) -> None:
        """Wait until everything sent has arrived. What has not arrived when nothing came for QUIET s is lost; what
        has not arrived after DRAIN s while messages still come is late (the server is saturated)."""
        deadline = time.monotonic() + DRAIN
        quiet_since, last = time.monotonic(), phase.delivered
        while phase.delivered < expected:
            await asyncio.sleep(0.02)
            now = time.monotonic()
            if phase.delivered != last:
                quiet_since, last = now, phase.delivered
            elif now - quiet_since > QUIET:
                break
            if now > deadline:
                phase.late = expected - phase.delivered
                log(f"{self.name}: {phase.late} messages still on their way after {DRAIN:.0f} s: saturated (lower --rate)")
                break
        await asyncio.sleep(0.1)  # late duplicates

    def _sample(self, phase: Phase, rate: float, expected: int, cpu_before: float, what: str) -> Sample:
        latencies = sorted(phase.latencies_ns)
        cpu = group_cpu_seconds(self.pgid) - cpu_before
        sample = Sample(
            what=what,
            msgs_per_s=rate,
            p50_ms=percentile(latencies, 50) / 1e6,
            p99_ms=percentile(latencies, 99) / 1e6,
            delivered=phase.delivered,
            lost=max(0, expected - phase.delivered - phase.late),
            late=phase.late,
            duplicates=phase.duplicates,
            cpu_ms=cpu * 1000 / phase.delivered if phase.delivered else 0.0,
        )
        self.history[phase.tag] = (phase, sample)
        if sample.lost:
            to_expert = sum((p.index, k, "v") not in phase.seen for p in self.pairs for k in range(p.sent))
            log(
                f"{self.name}: {to_expert} visitor messages did not reach the expert, {sample.lost - 2 * to_expert} answers "
                "did not reach the visitor (so far)"
            )
        return sample


@dataclass
class Sample:
    what: str
    msgs_per_s: float
    p50_ms: float
    p99_ms: float
    delivered: int
    lost: int
    late: int
    duplicates: int
    cpu_ms: float  # server CPU (user + system) per delivered message


def percentile(sorted_values: list[int], pct: float) -> float:
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, math.ceil(pct / 100 * len(sorted_values)) - 1))
    return float(sorted_values[rank])


# ---------------------------------------------------------------------------------------------------------------
# Main


async def measure(args: argparse.Namespace, targets: list[Bench]) -> dict[str, dict[str, list[Sample]]]:
    samples: dict[str, dict[str, list[Sample]]] = {t.name: {"paced": [], "closed": []} for t in targets}
    last_ping = time.monotonic()
    if args.warmup > 0:  # imports, key caches, prepared statements: not measured
        for target in targets:
            await target.closed_loop(f"w{targets.index(target)}", args.warmup)
    for rnd in range(args.rounds):
        order = targets[rnd % len(targets) :] + targets[: rnd % len(targets)]  # rotate: no target always first
        for target in order:
            if time.monotonic() - last_ping > 20:
                for t in targets:
                    t.ping()
                last_ping = time.monotonic()
            for kind in ("paced", "closed"):
                if kind == "closed" and args.seconds <= 0:
                    continue
                tag = f"r{rnd}{kind[0]}{targets.index(target)}"
                if kind == "paced":
                    sample = await target.paced(tag, args.messages, args.rate)
                else:
                    sample = await target.closed_loop(tag, args.seconds)
                samples[target.name][kind].append(sample)
                log(
                    f"round {rnd + 1}: {target.name}, {sample.what}: {sample.msgs_per_s:,.0f} msgs/s, "
                    f"p50 {sample.p50_ms:.2f} ms, p99 {sample.p99_ms:.2f} ms, lost {sample.lost}, late {sample.late}, "
                    f"duplicates {sample.duplicates}, server CPU {sample.cpu_ms:.3f} ms/msg, "
                    f"load average {os.getloadavg()[0]:.1f}"
                )
                await asyncio.sleep(0.2)
    return samples


async def client(args: argparse.Namespace, parleys: list[Server], relay: Server) -> dict[str, dict[str, list[Sample]]]:
    targets: list[Bench] = []
    try:
        for server in parleys:
            bench = Bench(server.name, server.port)
            bench.pgid = server.pgid
            bench.receipts = args.receipts
            targets.append(bench)
            await bench.connect_experts(args.pairs, [login(server.port, email) for email in EXPERTS])
            await bench.connect_visitors(start_conversations(server.port, args.pairs))
            log(f"{server.name}: {args.pairs} pairs connected, {len(bench.experts)} expert sockets")
        bench = Bench(RELAY, relay.port)
        bench.pgid = relay.pgid
        bench.receipts = args.receipts
        targets.append(bench)
        await bench.connect_experts(args.pairs, [])
        await bench.connect_visitors([(f"room-{i}", f"room-{i}", i % len(EXPERTS)) for i in range(args.pairs)])
        log(f"{RELAY}: {args.pairs} pairs connected, {len(bench.experts)} expert sockets")
        samples = await measure(args, targets)
        for target in targets[:-1]:
            stored = stored_messages(target)
            lost = sum(s.lost for runs in samples[target.name].values() for s in runs)
            log(
                f"{target.name}: {target.sent} messages sent, {stored} stored (the conversations' last seq), "
                f"{lost} never delivered live"
            )
        for target in targets:
            if target.errors:
                log(f"{target.name}: error frames (first {len(target.errors)}): {target.errors[:3]}")
            closed = [c for p in target.pairs for c in (p.visitor, p.expert) if c.closed]
            if closed:
                log(f"{target.name}: {len(closed)} sockets were closed by the server during the run")
        return samples
    finally:
        for target in targets:
            target.close()
        await asyncio.sleep(0.1)


def stored_messages(bench: Bench) -> int:
    """Messages Parley stored after the conversations' first: the sum of last_seq - 1 over the visitors' API."""
    total = 0
    for pair in bench.pairs:
        path = f"/api/v1/widget/{SLUG}/conversation?after=999999"
        status, _, body = request(bench.port, "GET", path, headers={"Authorization": f"Bearer {pair.token}"})
        if status != 200:
            raise RuntimeError(f"GET conversation {pair.index} answered {status}: {body[:200]!r}")
        total += json.loads(body)["conversation"]["last_seq"] - 1
    return total


def summarise(name: str, runs: list[Sample], baseline: list[Sample]) -> dict[str, Any]:
    ratios = [s.msgs_per_s / b.msgs_per_s for s, b in zip(runs, baseline, strict=True) if b.msgs_per_s > 0]
    return {
        "target": name,
        "phase": runs[0].what,
        "msgs_per_s": round(statistics.median(s.msgs_per_s for s in runs), 1),
        "p50_ms": round(statistics.median(s.p50_ms for s in runs), 2),
        "p99_ms": round(statistics.median(s.p99_ms for s in runs), 2),
        "ratio_to_relay": round(statistics.median(ratios), 4) if ratios else None,
        "server_cpu_ms_per_msg": round(statistics.median(s.cpu_ms for s in runs), 3),
        "delivered": sum(s.delivered for s in runs),
        "lost": sum(s.lost for s in runs),
        "late": sum(s.late for s in runs),
        "duplicates": sum(s.duplicates for s in runs),
        "rounds_msgs_per_s": [round(s.msgs_per_s, 1) for s in runs],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=50, help="visitor-expert pairs (default 50)")
    parser.add_argument("--messages", type=int, default=3, help="messages per visitor in the paced phase (default 3)")
    parser.add_argument("--rate", type=float, default=0.5, help="messages/s per visitor in the paced phase (default 0.5)")
    parser.add_argument("--seconds", type=float, default=3.0, help="closed-loop phase length; 0 skips it (default 3)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of unmeasured closed loop per target first")
    parser.add_argument("--receipts", action="store_true", help="each side answers every message it receives with a `seen` frame")
    parser.add_argument("--redis", action="store_true", help="Parley with REDIS_URL (or 127.0.0.1:6379): pub/sub layer")
    parser.add_argument("--both-layers", action="store_true", help="Parley in-memory and Parley on Redis in one run")
    parser.add_argument("--relay", choices=("websockets", "picows"), default="websockets", help="the baseline's library")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="environment of the Parley servers, e.g. DJANGO_SETTINGS_MODULE=settings_capacity and PYTHONPATH=bench/chat",
    )
    parser.add_argument("--json", type=Path, help="also write the JSON figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
    args = parser.parse_args(argv)
    if args.pairs < 1 or args.messages < 1 or args.rate <= 0 or args.rounds < 1:
        parser.error("--pairs, --messages, --rounds must be at least 1 and --rate above 0")

    exit_on_signals()
    extra_env = {}
    for item in args.server_env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--server-env takes KEY=VALUE, not {item!r}")
        extra_env[key] = value
    layers = ["memory", "redis"] if args.both_layers else ["redis" if args.redis else "memory"]
    with workspace("parley-bench-chat-", args.keep) as (work, servers):
        redis = redis_url() if "redis" in layers else ""
        env = prepare_data(work / "data", **NO_RATE_LIMITS)

        parleys = []
        for layer in layers:
            name = "Parley" if layer == "memory" else "Parley (Redis pub/sub)"
            server_env = {**env, **extra_env, **({"REDIS_URL": redis} if layer == "redis" else {})}
            parleys.append(parley_server(name, server_env, work / f"server-{layer}.log"))
        relay_port = free_port()
        relay = Server(
            RELAY, [str(BIN / "python"), str(HERE / "relay.py"), "--port", str(relay_port), "--impl", args.relay],
            env, work / "server-relay.log", relay_port,
        )  # fmt: skip
        servers.extend([*parleys, relay])
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        log("servers up: " + ", ".join(f"{s.name} :{s.port}" for s in servers))

        load_start = os.getloadavg()[0]
        try:
            try:
                import uvloop
            except ImportError:
                samples = asyncio.run(client(args, parleys, relay))
            else:
                samples = uvloop.run(client(args, parleys, relay))
        except (RuntimeError, OSError) as exc:
            tails = "\n".join(f"--- {s.name} log ---\n{s.log_tail()}" for s in servers)
            raise RuntimeError(f"{exc}\n{tails}") from exc

        results = []
        for kind in ("paced", "closed"):
            for name in [s.name for s in parleys] + [RELAY]:
                runs = samples[name][kind]
                if runs:
                    results.append(summarise(name, runs, samples[RELAY][kind]))

        print()
        print(
            f"Chat benchmark, {dt.datetime.now(dt.UTC).date().isoformat()}, {os.cpu_count()} CPUs, {args.pairs} pairs, "
            f"picows client, relay on {args.relay}, {args.rounds} interleaved rounds (medians)"
        )
        print(
            f"paced: each visitor {args.messages} messages at {args.rate:g}/s, each answered at once: "
            f"{2 * args.pairs * args.rate:,.0f} msgs/s offered; closed loop: one exchange in flight per pair"
            + ("; every message answered with a `seen` frame" if args.receipts else "")
        )
        width = max(len(r["target"]) for r in results)
        pwidth = max(len(r["phase"]) for r in results)
        print_table(
            [("phase", "phase", f"<{pwidth}"), ("target", "target", f"<{width}"), ("msgs/s", "msgs_per_s", ">8,.0f"),
             ("p50 ms", "p50_ms", ">8.2f"), ("p99 ms", "p99_ms", ">8.2f"), ("ratio to relay", "ratio", ">16"),
             ("CPU ms/msg", "server_cpu_ms_per_msg", ">10.3f"), ("lost", "lost", ">4"), ("late", "late", ">4"),
             ("dup", "duplicates", ">3")],
            [{**r, "ratio": fmt_ratio(r["ratio_to_relay"]) if r["target"] != RELAY else "1"} for r in results],
        )  # fmt: skip
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        if any(r["late"] for r in results):
            print("NOTE: some paced messages were still on their way after a minute: the server was saturated at that rate.")
        print_report(
            args.json,
            load={
                "client": "picows",
                "pairs": args.pairs,
                "paced": {"messages_per_visitor": args.messages, "rate_per_visitor": args.rate},
                "closed_loop_seconds": args.seconds,
                "rounds": args.rounds,
                "relay": args.relay,
                "layers": layers,
                "receipts": args.receipts,
                "server_env": extra_env,
            },
            load_average_start_end=[round(load_start, 2), round(os.getloadavg()[0], 2)],
            results=results,
        )
        return 0


if __name__ == "__main__":
    run_main(main)
