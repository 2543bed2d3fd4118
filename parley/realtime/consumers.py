"""A JSON WebSocket consumer base that makes no thread hop it does not need.

Channels runs `close_old_connections` in a thread before every handler (one hop per frame and per group message);
here handlers that touch the ORM go through `database_sync_to_async`, which closes stale connections inside its own
hop, so forwarding a group event or a typing frame costs no hop at all.
"""

import asyncio
import json
import time
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from parley.realtime.publish import bind_loop

MAX_FRAME_CHARS = 20_000


class JsonConsumer(AsyncJsonWebsocketConsumer):
    # Frames a connection may send per minute (a token bucket refilled continuously).
    frames_per_minute = 120

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        bind_loop(asyncio.get_running_loop())
        self._allowance = float(self.frames_per_minute)
        self._checked = time.monotonic()
        await super().websocket_connect(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            await self.error("Frames must be JSON text of at most 20 000 characters.")
            return
        if not self._within_rate():
            await self.error("Too many frames; slow down.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.error("Frames must be JSON.")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.error("A frame is an object with a 'type'.")
            return
        await self.receive_json(content)

    def _within_rate(self) -> bool:
        if not settings.PARLEY_RATE_LIMITS:
            return True
        now = time.monotonic()
        self._allowance = min(self.frames_per_minute, self._allowance + (now - self._checked) * self.frames_per_minute / 60)
        self._checked = now
        if self._allowance < 1:
            return False
        self._allowance -= 1
        return True

    def client_address(self) -> str:
        client = self.scope.get("client")
        return str(client[0]) if client else ""

    async def error(self, message: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "message": message, **extra})

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return json.dumps(content, separators=(",", ":"))
