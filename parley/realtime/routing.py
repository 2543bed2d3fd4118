"""WebSocket routes. Portal sockets are origin-checked and cookie-authenticated; widget sockets (issue 3) will use
a per-tenant origin allowlist and a widget token instead of cookies."""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator

portal_routes: list = []

websocket_application = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(portal_routes)))
