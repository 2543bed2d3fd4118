"""Live chat through real `parley serve` processes on 127.0.0.1: delivery between two processes through Redis, and
a visitor resuming after a server restart without losing or repeating a message (docs/decisions/0004-live-advisory.md).

Each test prepares its own data directory (`parley migrate`, `parley demo`), starts uvicorn through `parley serve` in
its own process group and stops it in a `finally`, also when an assertion fails. Every receive has a timeout, and a
failure message carries the server's output.
"""

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PASSWORD = "realtime-serve-test-password-1"
EXPERT_EMAIL = "anna.keller@demo.parley.test"
EXPERT_NAME = "Anna Keller"
RECEIVE_TIMEOUT = 15.0  # generous: CI machines are small and busy


# --- processes ------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _redis_url() -> str | None:
    """REDIS_URL from the environment, else the local default when something answers on 127.0.0.1:6379."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    try:
        with socket.create_connection((HOST, 6379), timeout=1):
            return f"redis://{HOST}:6379/0"
    except OSError:
        return None


def _env(data: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without Parley's settings (pytest's included): local settings on `data`."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "DJANGO_")) and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.django.local",
        PARLEY_DATA_DIR=str(data),
        PARLEY_DEMO_PASSWORD=PASSWORD,
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def _parley(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "parley"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, f"parley {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _prepare(data: Path, **extra: str) -> dict[str, str]:
    env = _env(data, **extra)
    _parley(env, "migrate", "--no-input")
    _parley(env, "demo")
    return env


class Serve:
    """One `parley serve` process in its own process group; its output goes to a file (a full pipe would block it)."""

    def __init__(self, name: str, env: dict[str, str], port: int, log_dir: Path) -> None:
        self.name, self.env, self.port = name, env, port
        self.log = log_dir / f"serve-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def output(self) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no output)"
        return f"--- output of parley serve {self.name} (:{self.port}) ---\n" + "\n".join(text.splitlines()[-60:])

    def start(self, timeout: float = 60.0) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "parley"), "serve", "--host", HOST, "--port", str(self.port)],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise AssertionError(f"parley serve {self.name} exited with {self.process.returncode}\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"parley serve {self.name} did not answer /healthz within {timeout:.0f} s\n{self.output()}")
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM to the process group (uvicorn shuts down gracefully), SIGKILL after 15 s; wait for the exit."""
        process, self.process = self.process, None
        if process is None:
            return
        for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(process.pid, signal.SIGKILL)  # whatever else of the group outlived its leader
        except ProcessLookupError:
            pass


# --- HTTP -----------------------------------------------------------------------------------------------------


def _start_conversation(server: Serve, *, message: str) -> tuple[str, dict[str, Any]]:
    """POST /api/v1/widget/demo/conversations with the demo expert Anna Keller; returns (token, response body)."""
    config = httpx.get(server.base + "/api/v1/widget/demo/config", timeout=10)
    assert config.status_code == 200, f"config answered {config.status_code}: {config.text}\n{server.output()}"
    expert_ids = [e["id"] for e in config.json()["experts"] if e["name"] == EXPERT_NAME]
    assert expert_ids, f"{EXPERT_NAME} is not in the widget config: {config.text}"
    started = httpx.post(
        server.base + "/api/v1/widget/demo/conversations",
        json={"expert_id": expert_ids[0], "name": "Vera Visitor", "email": "vera@example.test", "message": message},
        timeout=10,
    )
    assert started.status_code == 201, (
        f"starting a conversation answered {started.status_code}: {started.text}\n{server.output()}"
    )
    body = started.json()
    return body["token"], body


def _post_visitor_message(server: Serve, token: str, body: str) -> dict[str, Any]:
    response = httpx.post(
        server.base + "/api/v1/widget/demo/conversation/messages",
        json={"body": body},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 201, f"posting a message answered {response.status_code}: {response.text}\n{server.output()}"
    return response.json()


def _login(server: Serve) -> str:
    """The expert signs in through the real login form; returns the Cookie header (session and CSRF cookies)."""
    with httpx.Client(base_url=server.base, follow_redirects=False, timeout=20) as client:
        page = client.get("/t/demo/login/")
        assert page.status_code == 200, f"the login page answered {page.status_code}\n{server.output()}"
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match and "csrftoken" in client.cookies, "the login page carries no CSRF token and cookie"
        response = client.post(
            "/t/demo/login/",
            data={"csrfmiddlewaretoken": match.group(1), "email": EXPERT_EMAIL, "password": PASSWORD},
            headers={"Origin": server.base, "Referer": server.base + "/t/demo/login/"},
        )
        assert response.status_code == 302 and "parley_session" in client.cookies, (
            f"signing in answered {response.status_code}: {response.text[:500]}\n{server.output()}"
        )
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


# --- WebSockets -----------------------------------------------------------------------------------------------


def _connect(server: Serve, path: str, cookie: str = "") -> Any:
    return websockets.connect(
        f"ws://{HOST}:{server.port}{path}",
        origin=Origin(server.base),
        additional_headers={"Cookie": cookie} if cookie else None,
        open_timeout=RECEIVE_TIMEOUT,
        close_timeout=5,
    )


async def _receive(ws: Any, what: str, servers: list[Serve]) -> dict[str, Any]:
    try:
        raw = await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT)
    except TimeoutError:
        outputs = "\n".join(s.output() for s in servers)
        raise AssertionError(f"no frame within {RECEIVE_TIMEOUT:.0f} s while waiting for {what}\n{outputs}") from None
    return json.loads(raw)


async def _receive_until(
    ws: Any, done: Callable[[dict[str, Any]], bool], what: str, servers: list[Serve]
) -> list[dict[str, Any]]:
    """Frames up to and including the first for which `done` is true (every receive with a timeout)."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + RECEIVE_TIMEOUT * 2
    while time.monotonic() < deadline:
        frame = await _receive(ws, f"{what} (seen so far: {frames})", servers)
        assert frame.get("type") != "error", f"the server answered an error while waiting for {what}: {frame}"
        frames.append(frame)
        if done(frame):
            return frames
    raise AssertionError(f"{what} did not arrive; frames: {frames}\n" + "\n".join(s.output() for s in servers))


def _is_message(seq: int | None = None, sender: str | None = None) -> Callable[[dict[str, Any]], bool]:
    def check(frame: dict[str, Any]) -> bool:
        if frame.get("type") != "message":
            return False
        message = frame["message"]
        return (seq is None or message["seq"] == seq) and (sender is None or message["sender"] == sender)

    return check


def _seqs(frames: list[dict[str, Any]]) -> list[int]:
    return [f["message"]["seq"] for f in frames if f.get("type") == "message"]


# --- tests ----------------------------------------------------------------------------------------------------


def test_two_serve_processes_deliver_to_each_other_through_redis(tmp_path):
    redis_url = _redis_url()
    if redis_url is None:
        pytest.skip("needs Redis: set REDIS_URL or run Redis on 127.0.0.1:6379 (CI's second run has REDIS_URL)")
    env = _prepare(tmp_path / "data", REDIS_URL=redis_url)  # one SQLite file, one Redis, two processes
    a = Serve("A", env, _free_port(), tmp_path)
    b = Serve("B", env, _free_port(), tmp_path)
    servers = [a, b]
    try:
        a.start()
        b.start()
        token, started = _start_conversation(a, message="I would like advice on a mortgage.")
        interaction_id = started["conversation"]["id"]
        cookie = _login(b)

        async def chat() -> None:
            async with _connect(a, "/ws/widget/demo/") as visitor, _connect(b, "/ws/t/demo/inbox/", cookie) as expert:
                await visitor.send(json.dumps({"type": "hello", "token": token, "after": 1}))
                ready = await _receive(visitor, "the visitor's ready", servers)
                assert ready["type"] == "ready", f"the visitor's hello was answered with {ready}"

                await expert.send(json.dumps({"type": "open", "interaction_id": interaction_id, "after": 0}))
                opened = await _receive_until(expert, _is_message(seq=1), "the expert's backlog", servers)
                assert any(f["type"] == "ready" and f.get("interaction_id") == interaction_id for f in opened), opened

                await visitor.send(json.dumps({"type": "message", "body": "Hello from process A"}))
                frames = await _receive_until(expert, _is_message(seq=2), "the visitor's message at the expert (A → B)", servers)
                message = frames[-1]["message"]
                assert (message["sender"], message["body"]) == ("customer", "Hello from process A")
                assert frames[-1]["interaction_id"] == interaction_id

                reply = {"type": "message", "interaction_id": interaction_id, "body": "Hello from process B"}
                await expert.send(json.dumps(reply))
                frames = await _receive_until(visitor, _is_message(seq=3), "the expert's reply at the visitor (B → A)", servers)
                message = frames[-1]["message"]
                assert (message["sender"], message["body"], message["author_name"]) == (
                    "expert",
                    "Hello from process B",
                    EXPERT_NAME,
                )
                assert _seqs(frames) == [2, 3], f"the visitor saw messages {_seqs(frames)}, not its own then the reply"

        asyncio.run(chat())
    finally:
        for server in servers:
            server.stop()


def test_a_visitor_resumes_without_loss_or_duplicates_after_the_server_restarts(tmp_path):
    env = _prepare(tmp_path / "data")  # no REDIS_URL: in-memory channel layer, one process
    server = Serve("single", env, _free_port(), tmp_path)
    try:
        server.start()
        token, started = _start_conversation(server, message="Message 1")
        interaction_id = started["conversation"]["id"]
        first_count = 4

        async def before_restart() -> int:
            async with _connect(server, "/ws/widget/demo/") as visitor:
                await visitor.send(json.dumps({"type": "hello", "token": token, "after": 0}))
                frames = await _receive_until(visitor, _is_message(seq=1), "the ready and the backlog", [server])
                assert [f["type"] for f in frames] == ["ready", "message"], frames
                for n in range(2, first_count + 1):
                    await visitor.send(json.dumps({"type": "message", "body": f"Message {n}"}))
                seen = _seqs(await _receive_until(visitor, _is_message(seq=first_count), "the visitor's own messages", [server]))
                assert seen == list(range(2, first_count + 1)), f"live messages arrived as {seen}"

                # The server goes down: the socket closes, and nothing more arrives.
                await asyncio.to_thread(server.stop)
                try:
                    extra = await asyncio.wait_for(visitor.recv(), RECEIVE_TIMEOUT)
                except websockets.ConnectionClosed:
                    pass
                else:
                    raise AssertionError(f"a frame arrived while the server shut down: {extra}")
                return first_count

        last_seen = asyncio.run(before_restart())
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.base + "/healthz", timeout=2)

        # While the server is down the expert answers from another process (the same services, another channel
        # layer: the event reaches nobody). Only the database knows the message.
        reply = "Expert reply while the server was down"
        _parley(
            env,
            "shell",
            "-c",
            "from parley.interactions.models import Interaction; from parley.interactions.services import message_post; "
            f"ix = Interaction.objects.select_related('expert', 'tenant').get(id={interaction_id!r}); "
            f"message_post(interaction=ix, sender='expert', author=ix.expert, body={reply!r})",
        )

        server.start()  # the same port
        posted = _post_visitor_message(server, token, "Message after the restart, over HTTP")
        assert posted["seq"] == last_seen + 2, f"the HTTP message got seq {posted['seq']}, expected {last_seen + 2}"

        async def after_restart() -> None:
            async with _connect(server, "/ws/widget/demo/") as visitor:
                await visitor.send(json.dumps({"type": "hello", "token": token, "after": last_seen}))
                frames = await _receive_until(visitor, _is_message(seq=last_seen + 2), "the missed messages", [server])
                # Everything the backlog and live events could still bring: a ping's pong comes after all of it.
                await visitor.send(json.dumps({"type": "ping"}))
                frames += await _receive_until(visitor, lambda f: f["type"] == "pong", "the pong", [server])
                assert frames[0]["type"] == "ready", frames
                assert frames[0]["conversation"]["last_seq"] == last_seen + 2
                assert _seqs(frames) == [last_seen + 1, last_seen + 2], (
                    f"after resuming from seq {last_seen} the visitor got {_seqs(frames)}: {frames}"
                )
                missed = [f["message"] for f in frames if f["type"] == "message"]
                assert [(m["sender"], m["body"]) for m in missed] == [
                    ("expert", reply),
                    ("customer", "Message after the restart, over HTTP"),
                ]

        asyncio.run(after_restart())

        # The whole conversation over HTTP: 1..n, each once.
        full = httpx.get(
            server.base + "/api/v1/widget/demo/conversation", headers={"Authorization": f"Bearer {token}"}, timeout=10
        ).json()
        assert [m["seq"] for m in full["messages"]] == list(range(1, last_seen + 3))
    finally:
        server.stop()
