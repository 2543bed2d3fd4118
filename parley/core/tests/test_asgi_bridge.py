"""WSGIBridge driven directly with tiny WSGI apps: no server, no network, no database."""

import asyncio
import threading
import time
from collections.abc import MutableMapping
from typing import Any

import pytest
from django.http import HttpResponse

from parley.core import asgi_bridge
from parley.core.asgi_bridge import WSGIBridge


def http_scope(path: str = "/", **overrides: Any) -> dict[str, Any]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000")],
        "client": ("203.0.113.7", 51234),
        "server": ("127.0.0.1", 8000),
    }
    scope.update(overrides)
    return scope


def serve(app, scope: dict[str, Any], chunks: list[bytes] | None = None, *, threads: int = 2):
    """Run one request through a fresh bridge; return (status, headers, body) as the server would send them."""
    return asyncio.run(_serve(WSGIBridge(app, threads=threads), scope, chunks))


async def _serve(bridge: WSGIBridge, scope: dict[str, Any], chunks: list[bytes] | None = None):
    incoming = (
        [{"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)]
        if chunks
        else [{"type": "http.request", "body": b"", "more_body": False}]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    try:
        await bridge(scope, receive, send)
    finally:
        bridge.workers.stop()
    if not sent:
        return None
    start, body = sent
    assert start["type"] == "http.response.start" and body["type"] == "http.response.body"
    assert not body.get("more_body", False)
    return start["status"], start["headers"], body["body"]


class Recorder:
    """A WSGI app that remembers the environ it saw (and the body it read) and answers 200 "ok"."""

    def __init__(self) -> None:
        self.environ: dict[str, Any] = {}
        self.body = b""

    def __call__(self, environ, start_response):
        self.environ = environ
        self.body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def test_it_passes_a_request_body_sent_in_several_chunks_to_the_app():
    app = Recorder()
    scope = http_scope("/upload/", method="POST", headers=[(b"content-type", b"application/octet-stream")])
    status, _, _ = serve(app, scope, [b"first,", b"", b"second,", b"\x00\xff third"])
    assert status == 200
    assert app.body == b"first,second,\x00\xff third"
    assert app.environ["CONTENT_LENGTH"] == str(len(app.body))
    assert app.environ["CONTENT_TYPE"] == "application/octet-stream"
    assert "HTTP_CONTENT_TYPE" not in app.environ and "HTTP_CONTENT_LENGTH" not in app.environ


def test_it_joins_repeated_request_headers_with_a_comma():
    app = Recorder()
    headers = [(b"accept", b"text/html"), (b"x-tag", b"a"), (b"accept", b"application/json"), (b"x-tag", b"b c")]
    serve(app, http_scope(headers=headers))
    assert app.environ["HTTP_ACCEPT"] == "text/html,application/json"
    assert app.environ["HTTP_X_TAG"] == "a,b c"


def test_it_passes_header_values_that_are_not_ascii_as_latin_1():
    app = Recorder()
    serve(app, http_scope(headers=[(b"x-name", "Zürich".encode("latin-1"))]))
    assert app.environ["HTTP_X_NAME"] == "Zürich"


def test_it_drops_header_names_with_an_underscore_so_they_cannot_pose_as_dashed_ones():
    app = Recorder()
    headers = [(b"x-forwarded-proto", b"http"), (b"x_forwarded_proto", b"https"), (b"x_other", b"1")]
    serve(app, http_scope(headers=headers))
    assert app.environ["HTTP_X_FORWARDED_PROTO"] == "http"
    assert "HTTP_X_OTHER" not in app.environ


def test_it_passes_the_query_string_as_sent():
    app = Recorder()
    serve(app, http_scope(query_string=b"q=caf%C3%A9&tag=a&tag=b&empty="))
    assert app.environ["QUERY_STRING"] == "q=caf%C3%A9&tag=a&tag=b&empty="


def test_it_gives_a_non_ascii_path_to_django_as_utf_8_bytes_in_latin_1():
    app = Recorder()
    serve(app, http_scope("/t/zürich/ärzte/"))
    # PEP 3333: PATH_INFO carries the raw bytes, decoded as latin-1; Django turns them back into UTF-8.
    assert app.environ["PATH_INFO"].encode("latin-1").decode("utf-8") == "/t/zürich/ärzte/"

    from django.core.handlers.wsgi import WSGIRequest

    assert WSGIRequest(app.environ).path == "/t/zürich/ärzte/"


def test_it_keeps_the_mount_point_in_script_name_and_out_of_path_info():
    app = Recorder()
    serve(app, http_scope("/parley/healthz", root_path="/parley"))
    assert app.environ["SCRIPT_NAME"] == "/parley"
    assert app.environ["PATH_INFO"] == "/healthz"


def test_it_sets_remote_addr_server_and_scheme_from_the_scope():
    app = Recorder()
    serve(app, http_scope(scheme="https", server=("10.0.0.2", 443), http_version="2"))
    assert app.environ["REMOTE_ADDR"] == "203.0.113.7"
    assert (app.environ["SERVER_NAME"], app.environ["SERVER_PORT"]) == ("10.0.0.2", "443")
    assert app.environ["wsgi.url_scheme"] == "https"
    assert app.environ["SERVER_PROTOCOL"] == "HTTP/2"
    assert app.environ["REQUEST_METHOD"] == "GET"


def test_it_keeps_every_set_cookie_header():
    def app(environ, start_response):
        # The way Django's WSGIHandler hands over a response: its headers, then one Set-Cookie per cookie.
        response = HttpResponse(b"hello")
        response.set_cookie("parley_session", "abc", httponly=True, samesite="Lax")
        response.set_cookie("csrftoken", "xyz", samesite="Lax")
        response.set_cookie("django_language", "de")
        headers = [*response.items(), *(("Set-Cookie", c.output(header="")) for c in response.cookies.values())]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return response

    status, headers, body = serve(app, http_scope())
    assert (status, body) == (200, b"hello")
    cookies = [value.decode().strip() for name, value in headers if name == b"set-cookie"]
    assert len(cookies) == 3
    assert cookies[0].startswith("parley_session=abc;") and "HttpOnly" in cookies[0]
    assert cookies[1].startswith("csrftoken=xyz;")
    assert cookies[2].startswith("django_language=de;")
    assert all(name == name.lower() for name, _ in headers)


def test_it_sends_the_status_code_and_the_response_headers_in_order():
    def app(environ, start_response):
        start_response("302 Found", [("Location", "/t/demo/login/"), ("Vary", "Cookie"), ("X-Frame-Options", "DENY")])
        return [b""]

    status, headers, body = serve(app, http_scope())
    assert status == 302
    assert headers == [(b"location", b"/t/demo/login/"), (b"vary", b"Cookie"), (b"x-frame-options", b"DENY")]
    assert body == b""


@pytest.mark.parametrize("code", [201, 204, 400, 403, 404, 429, 500, 503])
def test_it_passes_every_status_code_through(code):
    def app(environ, start_response):
        start_response(f"{code} Whatever", [])
        return []

    assert serve(app, http_scope())[0] == code


def test_it_joins_the_response_iterable_and_data_given_to_write_in_order():
    def app(environ, start_response):
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"one ")
        return iter([b"two ", b"", b"three"])

    assert serve(app, http_scope())[2] == b"one two three"


def test_it_closes_the_response_iterable():
    closed = []

    class Body:
        def __iter__(self):
            yield b"data"

        def close(self):
            closed.append(True)

    def app(environ, start_response):
        start_response("200 OK", [])
        return Body()

    assert serve(app, http_scope())[2] == b"data"
    assert closed == [True]


def test_it_raises_what_the_app_raises_to_the_server():
    def app(environ, start_response):
        raise LookupError("broken")

    with pytest.raises(LookupError, match="broken"):
        serve(app, http_scope())


def test_it_runs_the_app_in_a_worker_thread_not_on_the_event_loop():
    seen = []

    def app(environ, start_response):
        seen.append(threading.current_thread().name)
        start_response("200 OK", [])
        return [b""]

    serve(app, http_scope())
    assert seen[0].startswith("parley-http")
    assert seen[0] != threading.main_thread().name


def test_it_lets_waiting_requests_run_side_by_side_up_to_the_thread_count():
    barrier = threading.Barrier(3, timeout=5)

    def app(environ, start_response):
        barrier.wait()  # only returns once three requests are inside the app at the same time
        start_response("200 OK", [])
        return [environ["PATH_INFO"].encode()]

    async def three():
        bridge = WSGIBridge(app, threads=3, stall=0.01)
        try:
            return await asyncio.gather(*(_serve(bridge, http_scope(f"/{i}")) for i in range(3)))
        finally:
            bridge.workers.stop()

    results = asyncio.run(three())
    assert [r[2] for r in results] == [b"/0", b"/1", b"/2"]


class Overlap:
    """A WSGI app that records how many requests were inside it at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.inside = 0
        self.most = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        threading.Event().wait(self.seconds)
        with self.lock:
            self.inside -= 1
        start_response("200 OK", [])
        return [b"ok"]


def _concurrently(bridge: WSGIBridge, count: int):
    async def run():
        try:
            return await asyncio.gather(*(_serve(bridge, http_scope(f"/{i}")) for i in range(count)))
        finally:
            bridge.workers.stop()

    return asyncio.run(run())


def test_it_runs_quick_requests_one_at_a_time_though_it_has_more_threads():
    app = Overlap(0.005)
    started = time.monotonic()
    results = _concurrently(WSGIBridge(app, threads=4, fresh=1, stall=5.0), 6)
    assert [r[0] for r in results] == [200] * 6
    assert app.most == 1
    assert time.monotonic() - started < 2.5  # each passed the turn on when done; none sat out the 5 s stall time


def test_it_lets_the_next_request_in_once_the_running_one_has_waited_for_the_stall_time():
    released = threading.Event()
    order = []

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            # Waits (GIL released, like a password hash or a mail server) for the quick request behind it.
            order.append("slow waits")
            assert released.wait(5), "the quick request never ran while the slow one waited"
        else:
            order.append("quick runs")
            released.set()
        start_response("200 OK", [])
        return [environ["PATH_INFO"].encode()]

    async def run():
        bridge = WSGIBridge(app, threads=2, fresh=1, stall=0.05)
        try:
            slow = asyncio.create_task(_serve(bridge, http_scope("/slow")))
            await asyncio.sleep(0.01)
            return await asyncio.gather(slow, _serve(bridge, http_scope("/quick")))
        finally:
            bridge.workers.stop()

    slow, quick = asyncio.run(run())
    assert (slow[2], quick[2]) == (b"/slow", b"/quick")
    assert order == ["slow waits", "quick runs"]


def test_it_runs_waiting_requests_in_the_order_they_came():
    order = []

    def app(environ, start_response):
        order.append(environ["PATH_INFO"])
        threading.Event().wait(0.3 if environ["PATH_INFO"] == "/0" else 0.002)
        start_response("200 OK", [])
        return [b"ok"]

    async def run():
        bridge = WSGIBridge(app, threads=4, fresh=1, stall=5.0)
        tasks = []
        try:
            for i in range(8):
                tasks.append(asyncio.create_task(_serve(bridge, http_scope(f"/{i}"))))
                await asyncio.sleep(0.02)
            return await asyncio.gather(*tasks)
        finally:
            bridge.workers.stop()

    assert [r[0] for r in asyncio.run(run())] == [200] * 8
    assert order == [f"/{i}" for i in range(8)]


def test_it_never_runs_more_requests_at_once_than_it_has_threads():
    app = Overlap(0.05)
    results = _concurrently(WSGIBridge(app, threads=2, fresh=1, stall=0.001), 6)
    assert [r[0] for r in results] == [200] * 6
    assert app.most == 2


def test_a_request_that_raises_gives_up_its_turn():
    calls = []

    def app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        if environ["PATH_INFO"] == "/broken":
            raise LookupError("broken")
        start_response("200 OK", [])
        return [b"ok"]

    async def run():
        bridge = WSGIBridge(app, threads=2, fresh=1, stall=60)
        try:
            with pytest.raises(LookupError):
                await _serve(bridge, http_scope("/broken"))
            return await asyncio.wait_for(_serve(bridge, http_scope("/fine")), 5)
        finally:
            bridge.workers.stop()

    assert asyncio.run(run())[0] == 200
    assert calls == ["/broken", "/fine"]


def test_it_answers_413_to_a_body_over_the_limit_without_calling_the_app(monkeypatch):
    monkeypatch.setattr(asgi_bridge, "MAX_BODY", 10)
    app = Recorder()
    status, headers, body = serve(app, http_scope(method="POST"), [b"123456", b"789012", b"never read"])
    assert status == 413
    assert (b"content-length", str(len(body)).encode()) in headers
    assert app.environ == {}
    # Up to the limit is fine.
    assert serve(app, http_scope(method="POST"), [b"12345", b"67890"])[0] == 200


def test_it_does_not_call_the_app_when_the_client_leaves_during_the_body():
    app = Recorder()

    async def run():
        bridge = WSGIBridge(app, threads=1)
        messages = [{"type": "http.request", "body": b"part", "more_body": True}, {"type": "http.disconnect"}]
        sent = []

        async def receive():
            return messages.pop(0)

        async def send(message):
            sent.append(dict(message))

        await bridge(http_scope(method="POST"), receive, send)
        bridge.workers.stop()
        return sent

    assert asyncio.run(run()) == []
    assert app.environ == {}


def test_it_completes_the_lifespan_protocol():
    async def run():
        bridge = WSGIBridge(Recorder(), threads=1)
        messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        sent = []

        async def receive():
            return messages.pop(0)

        async def send(message):
            sent.append(message["type"])

        await bridge({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        # Requests after a shutdown (a test harness reusing the bridge) still work: the threads start again.
        after = await _serve(bridge, http_scope())
        return sent, after

    sent, after = asyncio.run(run())
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert after[0] == 200


def test_it_serves_through_the_asgi_application_of_config_asgi():
    from config.asgi import http, router

    assert isinstance(http, WSGIBridge)
    assert router.application_mapping["http"] is http
    assert router.application_mapping["lifespan"] is http
