"""The baseline: a bare Starlette app answering the exact bytes Parley's expert list API answered.

run.py fetches /api/v1/tenants/demo/experts/ from Parley once, writes the body to a file and starts this app under
uvicorn (one worker) with BENCH_BARE_BODY_FILE naming that file. /healthz only tells run.py that the app is up.
"""

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = Path(os.environ["BENCH_BARE_BODY_FILE"]).read_bytes()
PATH = os.environ.get("BENCH_BARE_PATH", "/api/v1/tenants/demo/experts/")
JSON = "application/json; charset=utf-8"  # the header Parley's API sends


async def experts(request: Request) -> Response:
    return Response(BODY, media_type=JSON)


async def healthz(request: Request) -> Response:
    return Response(b'{"status": "ok"}', media_type=JSON)


app = Starlette(routes=[Route(PATH, experts), Route("/healthz", healthz)])
