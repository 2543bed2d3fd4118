"""HTTP for `parley serve`: uvicorn speaks ASGI, Django runs its synchronous handler in a small pool of threads.

Why not Django's ASGI handler: in async mode every MiddlewareMixin middleware adds sync↔async thread hops, and on
these machines each hop costs 0.2-0.6 ms (../shared/stack-notes.md); the stock handler needs 2-3× the CPU per
request of this bridge (bench/http/README.md). Here a request makes exactly one hop: the whole body is read on the
event loop, the WSGI handler (middleware, view, template) runs in one worker thread, and the finished response is
sent back. Responses are buffered, which suits Parley's pages and JSON; large file transfers should use a dedicated
route later.

Two things keep the serving cost down (figures in bench/http/README.md):
- The hop is a queue.SimpleQueue read by the worker threads, which hand the result back with
  loop.call_soon_threadsafe: 13 µs per hop under uvloop against 54 µs for loop.run_in_executor with a
  ThreadPoolExecutor. With a trivial WSGI app the bridge serves about three quarters of a bare Starlette app's
  requests per second (before: under half).
- One request at a time runs Django unless the running one has been at it for 20 ms (waiting on a password hash,
  a mail server, a slow query): several threads running Python at once on two cores fight for the GIL and cost
  30-70 % more CPU per request (_Workers).
"""

import asyncio
import io
import queue
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Response = tuple[int, list[tuple[bytes, bytes]], bytes]

MAX_BODY = 60 * 1024 * 1024  # a 50 MB document (the largest a tenant may allow) plus multipart overhead
FRESH_REQUESTS = 1  # requests running Django at once while none of them has run for STALL_SECONDS (_Workers)
STALL_SECONDS = 0.02


class _Workers:
    """A fixed number of daemon threads, started on first use, running one callable per request.

    Django's per-thread state (database connections, translations) stays on these threads, as it did with the
    ThreadPoolExecutor this replaces. stop() lets the threads finish what is queued and end; a later submit starts
    them again. Requests are taken from one queue, first come, first served.

    Turns: a thread needs a turn to take a request, and at most `fresh` turns are held by threads that are idle or
    whose request started less than `stall` seconds ago. The thread holding the turn keeps it from one request to
    the next (no hand-over, warm caches); the others sleep, GIL released. Why: on two cores, several threads
    running Django at once fight for the GIL (every SQLite call releases and re-takes it), which cost 30-70 %
    more CPU per request than one thread alone. One thread alone, though, would let a request that waits (an
    Argon2 hash, a mail server, a slow query) hold up everyone behind it; so once the running request has taken
    `stall` seconds, a sleeping thread takes a turn beside it, up to `threads` at once. The most recently idle
    thread is first in line and is the one that watches the clock; the others sleep until woken.
    """

    def __init__(self, threads: int, name: str, *, fresh: int, stall: float) -> None:
        if threads < 1 or fresh < 1:
            raise ValueError("threads and fresh must be at least 1")
        self.size = threads
        self.name = name
        self.fresh = fresh
        self.stall = stall
        self._queue: queue.SimpleQueue[tuple | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._mutex = threading.Lock()  # guards the four below
        self._turns: dict[int, float | None] = {}  # thread id -> start of its request (None: waiting for one)
        self._idle: list[int] = []  # thread ids without a turn; the last is first in line and watches the clock
        self._wakers: dict[int, threading.Lock] = {}  # thread id -> a lock it sleeps on
        self._watcher_asleep = False  # the first in line sleeps until a request starts

    def submit(self, fn: Callable[[Any], Response], arg: Any) -> "asyncio.Future[Response]":
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if len(self._threads) < self.size:
            self._start()
        self._queue.put((loop, future, fn, arg))
        return future

    def _start(self) -> None:
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < self.size:
                thread = threading.Thread(target=self._work, name=f"{self.name}_{len(self._threads)}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        with self._lock:
            threads, self._threads = self._threads, []
            for _ in threads:
                self._queue.put(None)

    def _work(self) -> None:
        get = self._queue.get
        gated = self.fresh < self.size
        me = threading.get_ident()
        if gated:
            waker = self._wakers[me] = threading.Lock()
            waker.acquire()
            self._take_turn(me, waker)
        try:
            while True:
                item = get()
                if item is None:
                    return
                loop, future, fn, arg = item
                del item
                if gated:
                    with self._mutex:
                        self._turns[me] = time.monotonic()
                        if self._watcher_asleep:  # it slept without a clock while every turn was idle
                            self._watcher_asleep = False
                            self._wake_first()
                try:
                    result = fn(arg)
                except BaseException as exc:  # handed to the awaiting request, as run_in_executor would
                    _post(loop, _fail, future, exc)
                else:
                    _post(loop, _resolve, future, result)
                    del result
                del loop, future, arg  # hold nothing of a finished request while waiting for the next
                if gated and not self._keep_turn(me):
                    self._take_turn(me, waker)
        finally:
            if gated:
                with self._mutex:
                    self._turns.pop(me, None)
                    self._wakers.pop(me, None)
                    self._wake_first()  # it may take the turn this thread held

    def _may_start_in(self, now: float) -> float:
        """0 if one more thread may take a turn now, else the seconds until that may change, or -1 when only idle
        turns hold it up (they wake the watcher when they start a request). Called with _mutex held."""
        fresh = 0
        soonest = -1.0
        threshold = now - self.stall
        for started in self._turns.values():
            if started is None:
                fresh += 1
            elif started > threshold:
                fresh += 1
                soonest = started - threshold if soonest < 0 else min(soonest, started - threshold)
        return 0.0 if fresh < self.fresh else soonest

    def _keep_turn(self, me: int) -> bool:
        """After a request: keep the turn, unless others took the fresh turns while this request was slow."""
        with self._mutex:
            del self._turns[me]
            if self._may_start_in(time.monotonic()) == 0.0:
                self._turns[me] = None
                return True
            return False

    def _take_turn(self, me: int, waker: threading.Lock) -> None:
        with self._mutex:
            if not self._idle and self._may_start_in(time.monotonic()) == 0.0:
                self._turns[me] = None
                return
            self._idle.append(me)
        while True:
            with self._mutex:
                if self._idle[-1] == me:
                    timeout = self._may_start_in(time.monotonic())
                    if timeout == 0.0:
                        self._idle.pop()
                        self._turns[me] = None
                        self._wake_first()  # the next in line watches the clock now
                        return
                    self._watcher_asleep = timeout < 0  # an idle server costs no wake-ups
                else:
                    timeout = -1  # not first in line: sleep until woken
            waker.acquire(timeout=timeout)  # a wake-up may be spurious: the loop looks again

    def _wake_first(self) -> None:
        if self._idle:
            waker = self._wakers.get(self._idle[-1])
            if waker is not None and waker.locked():
                waker.release()


def _post(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:  # the loop was closed meanwhile (shutdown): nobody is waiting any more
        pass


def _resolve(future: asyncio.Future, result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future, exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


class WSGIBridge:
    def __init__(
        self,
        wsgi_app: Callable[..., Iterable[bytes]],
        *,
        threads: int = 8,
        fresh: int = FRESH_REQUESTS,
        stall: float = STALL_SECONDS,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.workers = _Workers(threads, "parley-http", fresh=fresh, stall=stall)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body = message.get("body", b"")
        if message.get("more_body"):
            buffer = bytearray(body)
            while True:
                if len(buffer) > MAX_BODY:
                    break
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                buffer += message.get("body", b"")
                if not message.get("more_body"):
                    break
            body = bytes(buffer)
        if len(body) > MAX_BODY:
            await self._plain(send, 413, b"Request body too large.")
            return
        status, headers, payload = await self.workers.submit(self._run, self._environ(scope, body))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _run(self, environ: dict[str, Any]) -> Response:
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            started[:] = [status, headers]
            return chunks.append  # PEP 3333 write(): kept, in order, before the iterable's data

        result = self.wsgi_app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started
        encoded = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        return int(status.split(" ", 1)[0]), encoded, b"".join(chunks)

    @staticmethod
    def _environ(scope: Scope, body: bytes) -> dict[str, Any]:
        server = scope.get("server") or ("127.0.0.1", 80)
        client = scope.get("client") or ("", 0)
        root_path = scope.get("root_path", "")
        path = scope["path"]
        # ASGI servers put the mount point in both root_path and path (uvicorn does); WSGI wants it only in
        # SCRIPT_NAME. Older servers left it out of path, so strip it only where it is there.
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope["method"],
            "SCRIPT_NAME": root_path.encode("utf-8").decode("latin-1"),
            "PATH_INFO": path.encode("utf-8").decode("latin-1"),
            "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
            "SERVER_NAME": str(server[0]),
            "SERVER_PORT": str(server[1]),
            "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
            "REMOTE_ADDR": client[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.get("scheme", "http"),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
        }
        for raw_name, raw_value in scope.get("headers", ()):
            if b"_" in raw_name:
                # "X_Forwarded_Proto" would become HTTP_X_FORWARDED_PROTO just like "X-Forwarded-Proto" (trusted
                # by SECURE_PROXY_SSL_HEADER in production): dropped, as Django's runserver, gunicorn and nginx do.
                continue
            name = raw_name.decode("latin-1").upper().replace("-", "_")
            value = raw_value.decode("latin-1")
            if name == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
                continue
            if name == "CONTENT_LENGTH":
                continue
            key = f"HTTP_{name}"
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    @staticmethod
    async def _plain(send: Send, status: int, text: bytes) -> None:
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(text)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": text})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.workers.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return
