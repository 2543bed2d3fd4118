"""One access-log line per WebSocket handshake (P18): 101 when the application accepted it, 403 when it closed the
connection before accepting (wrong origin, unknown tenant), 500 when it failed. Frames are not logged.

Wraps the WebSocket application in config/asgi.py. The line is written on the event loop: one small append to a
local file, a few microseconds, cheaper than a thread hop.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from parley.accesslog.services import access_entry_build, access_entry_write

logger = logging.getLogger("parley.accesslog")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class WebSocketAccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self, scope: Scope, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
    ) -> None:
        if scope.get("type") != "websocket" or not settings.PARLEY_ACCESS_LOG:
            await self.app(scope, receive, send)
            return
        at = datetime.now(UTC)
        started = time.monotonic()
        logged = False

        def log(status: int) -> None:
            nonlocal logged
            logged = True
            client = scope.get("client")
            try:
                access_entry_write(
                    access_entry_build(
                        at=at,
                        kind="websocket",
                        method="GET",
                        path=str(scope.get("path", "")),
                        status=status,
                        duration_ms=int((time.monotonic() - started) * 1000),
                        client=str(client[0]) if client else None,
                        user_agent=_header(scope, b"user-agent"),
                        referrer=_header(scope, b"referer") or _header(scope, b"origin"),
                    )
                )
            except Exception as exc:  # the log never breaks a connection
                logger.error("access log entry failed: %s", type(exc).__name__)

        async def logging_send(message: Message) -> None:
            if not logged:
                if message.get("type") == "websocket.accept":
                    log(101)
                elif message.get("type") in ("websocket.close", "websocket.http.response.start"):
                    log(int(message.get("status", 403)))
            await send(message)

        try:
            await self.app(scope, receive, logging_send)
        except asyncio.CancelledError:
            if not logged:
                log(499)  # the client went away during the handshake
            raise
        except Exception:
            if not logged:
                log(500)
            raise
