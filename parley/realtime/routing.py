"""WebSocket routes, origin-checked against ALLOWED_HOSTS. The widget's socket is opened by Parley's own page in the
iframe, so its origin is Parley's too; visitors authenticate with their token in the first frame, portal members
with the session cookie."""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from parley.calls.consumers import CallConsumer
from parley.interactions.consumers import PortalConsumer, WidgetConsumer

routes = [
    path("ws/widget/<str:slug>/", WidgetConsumer.as_asgi()),
    path("ws/t/<str:slug>/inbox/", PortalConsumer.as_asgi()),
    path("ws/call/<str:slug>/<uuid:interaction_id>/", CallConsumer.as_asgi()),
]

websocket_application = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(routes)))
