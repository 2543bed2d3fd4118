"""Realtime events leave only after the database transaction commits, and in commit order.

Sync code (a view in the HTTP bridge's threads, a service called from a consumer through database_sync_to_async)
hands the event to the event loop with call_soon_threadsafe; one task per loop sends them to the channel layer one
after another, so two events of one process keep their order. Without a running loop (CLI, sync tests) the event
is sent directly.
"""

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("parley.realtime")

_loop: asyncio.AbstractEventLoop | None = None
_queues: dict[asyncio.AbstractEventLoop, asyncio.Queue] = {}


def bind_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called on the serving event loop (ASGI entry, consumer connect): where sync code sends its events."""
    global _loop
    _loop = loop


def publish_after_commit(group: str, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: publish(group, event), robust=True)


def publish(group: str, event: dict[str, Any]) -> None:
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        _enqueue(running, group, event)
        return
    loop = _loop
    if loop is not None and loop.is_running() and not loop.is_closed():
        loop.call_soon_threadsafe(_enqueue, loop, group, event)
        return
    async_to_sync(get_channel_layer().group_send)(group, event)


def _enqueue(loop: asyncio.AbstractEventLoop, group: str, event: dict[str, Any]) -> None:
    queue = _queues.get(loop)
    if queue is None:
        for old in [other for other in _queues if other.is_closed()]:
            del _queues[old]
        queue = _queues[loop] = asyncio.Queue()
        loop.create_task(_drain(queue))
    queue.put_nowait((group, event))


async def _drain(queue: asyncio.Queue) -> None:
    layer = get_channel_layer()
    while True:
        group, event = await queue.get()
        try:
            await layer.group_send(group, event)
        except Exception as exc:  # one failed send must not stop the queue
            logger.error("Realtime publish failed: %s", type(exc).__name__)
