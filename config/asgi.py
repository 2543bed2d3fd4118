"""ASGI entry point for `parley serve`: HTTP through Django's sync handler (one thread hop per request, see
parley/core/asgi_bridge.py), WebSockets through Channels, origin-checked."""

import asyncio
import os
from collections.abc import Callable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.local")

import django  # noqa: E402

django.setup()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from parley.accesslog.asgi import WebSocketAccessLog  # noqa: E402
from parley.core.asgi_bridge import WSGIBridge  # noqa: E402
from parley.realtime.publish import bind_loop  # noqa: E402
from parley.realtime.routing import websocket_application  # noqa: E402

wsgi = get_wsgi_application()
if settings.PARLEY_SERVE_STATIC:
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    wsgi = StaticFilesHandler(wsgi)

http = WSGIBridge(wsgi, threads=settings.PARLEY_HTTP_THREADS)
# WebSocket handshakes get an access-log line (P18), IP shortened; HTTP requests get theirs from the middleware.
router = ProtocolTypeRouter({"http": http, "websocket": WebSocketAccessLog(websocket_application), "lifespan": http})


async def application(scope: dict, receive: Callable, send: Callable) -> None:
    bind_loop(asyncio.get_running_loop())  # where views' after-commit realtime events are sent from
    await router(scope, receive, send)
