"""One access-log line per HTTP request (P18), written after the response is ready.

First in MIDDLEWARE, so the status is the one the client gets (redirects of SecurityMiddleware included). Not
logged: /healthz (a load balancer asks every few seconds; nothing personal to learn) and static files, which
`parley serve` answers before Django's middleware (StaticFilesHandler) and a front proxy answers itself.
"""

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from parley.accesslog.services import access_entry_build, access_entry_write

logger = logging.getLogger("parley.accesslog")

SKIP_PATHS = frozenset({"/healthz"})


def _skipped(path: str) -> bool:
    return path in SKIP_PATHS or bool(settings.STATIC_URL and path.startswith(settings.STATIC_URL))


def access_log_middleware(get_response: Callable[[HttpRequest], HttpResponseBase]) -> Callable:
    def middleware(request: HttpRequest) -> HttpResponseBase:
        at = datetime.now(UTC)
        started = time.monotonic()
        response = get_response(request)
        if settings.PARLEY_ACCESS_LOG and not _skipped(request.path_info):
            try:
                match = getattr(request, "resolver_match", None)
                entry = access_entry_build(
                    at=at,
                    kind="http",
                    method=request.method or "",
                    path=request.path,
                    status=response.status_code,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    client=request.META.get("REMOTE_ADDR"),
                    user_agent=request.META.get("HTTP_USER_AGENT"),
                    referrer=request.META.get("HTTP_REFERER"),
                    url_kwargs=match.kwargs if match else None,
                )
                access_entry_write(entry)
            except Exception as exc:  # the log never breaks a response
                logger.error("access log entry failed: %s", type(exc).__name__)
        return response

    return middleware
