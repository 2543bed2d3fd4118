"""Reproduces live events lost by the in-memory channel layer (a finding of the chat benchmark, README.md).

One `parley serve` (in-memory layer, PARLEY_RATE_LIMITS=0), the demo expert Anna Keller with one portal socket that
has 20 conversations open, 20 visitor sockets. Every visitor sends 10 messages at once; right after them the expert's
socket sends one `seen` frame. That frame's database hop queues behind the visitors' 200 hops, and while the portal
consumer awaits it, it reads nothing from its channel: the ~400 events addressed to it (a message event and an inbox
row per visitor message) pile up, and Channels' InMemoryChannelLayer drops what is beyond its capacity (100 per
channel) without a word (`group_send` swallows ChannelFull). Every message is stored; the expert's socket does not
get them all.

    .venv/bin/python bench/chat/lost_events.py            # as configured: messages lost
    .venv/bin/python bench/chat/lost_events.py --capacity  # with settings_capacity.py (capacity 10 000): none lost
    .venv/bin/python bench/chat/lost_events.py --redis     # RedisPubSubChannelLayer: none lost

Exit status 0 when every message reached the expert live, 1 when some did not. 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py
from common import log, login, parley_server, prepare_data  # noqa: E402
from run import (  # noqa: E402  the chat benchmark's helpers (this directory)
    EXPERTS,
    NO_RATE_LIMITS,
    Bench,
    redis_url,
    start_conversations,
    stored_messages,
)

CONVERSATIONS = 20  # one portal socket's maximum
MESSAGES = 10  # per visitor, sent at once


async def burst(port: int) -> tuple[int, int]:
    bench = Bench("Parley", port)
    try:
        await bench.connect_experts(CONVERSATIONS * len(EXPERTS), [login(port, email) for email in EXPERTS])
        bench.experts = bench.experts[:1]  # Anna's one socket (connect_experts made the sockets of both experts)
        await bench.connect_visitors(start_conversations(port, CONVERSATIONS, experts=1))
        received: set[tuple[str, int]] = set()
        expert = bench.experts[0]

        def on_frame(conn, data):  # type: ignore[no-untyped-def]
            if conn is expert and data.get("type") == "message" and data["message"]["sender"] == "customer":
                seq = data["message"]["seq"]
                received.add((data["interaction_id"], seq))
                # What the portal page does for each message that arrives (inbox.js: seen()).
                expert.send({"type": "seen", "interaction_id": data["interaction_id"], "delivered": seq, "read": seq})

        bench.on_frame = on_frame  # type: ignore[method-assign]
        for pair in bench.pairs:
            for k in range(MESSAGES):
                pair.visitor.send({"type": "message", "body": f"burst {k}"})
        expected = CONVERSATIONS * MESSAGES
        deadline, last, quiet = time.monotonic() + 60, -1, time.monotonic()
        while len(received) < expected and time.monotonic() < deadline and time.monotonic() - quiet < 5:
            await asyncio.sleep(0.05)
            if len(received) != last:
                last, quiet = len(received), time.monotonic()
        bench.sent = expected
        stored = stored_messages(bench)
        return len(received), stored
    finally:
        for conn in [*bench.experts, *(p.visitor for p in bench.pairs)]:
            conn.disconnect()
        await asyncio.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--capacity", action="store_true", help="in-memory layer with capacity 10 000 (settings_capacity.py)")
    group.add_argument("--redis", action="store_true", help="REDIS_URL or 127.0.0.1:6379: RedisPubSubChannelLayer")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="parley-lost-events-"))
    server = None
    try:
        env = prepare_data(work / "data", **NO_RATE_LIMITS)
        if args.capacity:
            env.update(DJANGO_SETTINGS_MODULE="settings_capacity", PYTHONPATH="bench/chat")
        if args.redis:
            env["REDIS_URL"] = redis_url()
        server = parley_server("parley", env, work / "serve.log")
        port = server.port
        server.start()
        server.wait_ready()
        received, stored = asyncio.run(burst(port))
        expected = CONVERSATIONS * MESSAGES
        print(f"{expected} visitor messages sent, {stored} stored, {received} reached the expert's socket live")
        return 0 if received == expected else 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as exc:
        log(f"error: {exc}")
        sys.exit(2)
