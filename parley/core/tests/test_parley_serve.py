"""`parley serve` end to end: a real uvicorn process on 127.0.0.1 serving HTTP through the WSGI bridge and
WebSockets through Channels, with the demo data of `parley demo`."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.django.local",
            "PARLEY_DATA_DIR": str(data),
            "PARLEY_DEMO_PASSWORD": "serve-test-password-1",
        }
    )
    for command in (["migrate", "--no-input"], ["demo"]):
        subprocess.run([str(BIN / "parley"), *command], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    port = _free_port()
    process = subprocess.Popen(
        [str(BIN / "parley"), "serve", "--port", str(port), "--with-worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("parley serve did not start: " + process.stdout.read().decode() if process.stdout else "")
            time.sleep(0.2)
        yield base, port, data
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_it_serves_health_static_files_and_the_api(server):
    base, _, _ = server
    assert httpx.get(base + "/healthz").json() == {"status": "ok", "database": "up"}
    css = httpx.get(base + "/static/parley/portal.css")
    assert css.status_code == 200 and "--primary" in css.text
    experts = httpx.get(base + "/api/v1/tenants/demo/experts/").json()["experts"]
    assert {e["name"] for e in experts} == {"Anna Keller", "Marc Dubois"}


def test_it_signs_in_through_the_login_form_with_csrf_and_session_cookies(server):
    base, _, _ = server
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        page = client.get("/t/demo/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = client.post(
            "/t/demo/login/",
            data={"csrfmiddlewaretoken": token, "email": "anna.keller@demo.parley.test", "password": "serve-test-password-1"},
            headers={"Referer": base + "/t/demo/login/"},
        )
        assert response.status_code == 302
        assert response.headers["location"] == "/t/demo/expert/"
        assert len(response.headers.get_list("set-cookie")) == 2  # session and rotated CSRF cookie both arrive
        profile = client.get("/t/demo/expert/")
        assert profile.status_code == 200
        assert "Anna Keller" in client.get("/t/demo/account/").text


def test_it_answers_a_bad_request_with_a_4xx_and_no_trace(server):
    base, _, _ = server
    response = httpx.post(base + "/t/demo/login/", data={"email": "x"})  # no CSRF token
    assert response.status_code == 403
    assert "Traceback" not in response.text


def test_it_refuses_a_cross_origin_websocket(server):
    _, port, _ = server
    import asyncio

    import websockets
    from websockets.typing import Origin

    async def attempt() -> None:
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/anything/", origin=Origin("https://evil.example")):
            pass

    with pytest.raises(websockets.InvalidStatus):
        asyncio.run(attempt())
