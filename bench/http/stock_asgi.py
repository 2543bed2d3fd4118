"""For comparison only (run.py --variant 'stock:APP=stock_asgi:application'): Parley's HTTP through Django's stock
ASGI handler instead of parley.core.asgi_bridge.WSGIBridge, WebSockets through Channels as in config/asgi.py."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.local")

import django  # noqa: E402

django.setup()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from parley.realtime.routing import websocket_application  # noqa: E402

http = get_asgi_application()
if settings.PARLEY_SERVE_STATIC:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    http = ASGIStaticFilesHandler(http)


async def lifespan(scope, receive, send):  # type: ignore[no-untyped-def]
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


application = ProtocolTypeRouter({"http": http, "websocket": websocket_application, "lifespan": lifespan})
