"""P18: access logs keep date/time, browser, OS, referrer and the IP address shortened before anything is written,
in a separate store with its own retention; no other place stores a client's IP address.

Requests go through Django's test client (the same middleware stack `parley serve` runs), WebSocket handshakes
through Channels' communicator, and one test starts the real `parley serve` behind a trusted-proxy header.
"""

import ipaddress
import json
import logging
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from parley.accesslog.selectors import access_log_days, access_log_entries
from parley.accesslog.services import access_logs_prune, ip_truncate, path_redact, referrer_origin
from parley.core.testing import PASSWORD, World
from parley.experts.models import ExpertProfile

IPV4 = "203.0.113.77"
IPV4_NET = "203.0.113.0"
IPV6 = "2001:db8:85a3:1234:5678::1"
IPV6_NET = "2001:db8:85a3::"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"
SAFARI_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Mobile/15E148 Safari/604.1"
)
API = "/api/v1/widget"


def full_ip_forms() -> list[str | bytes]:
    """Every way a full client address could have been stored: text, expanded text, packed bytes."""
    forms: list[str | bytes] = []
    for text in (IPV4, IPV6):
        ip = ipaddress.ip_address(text)
        forms += [text, ip.exploded, ip.packed, text.encode()]
    forms.append(IPV6.upper())
    return forms


def holds_full_ip(value: object) -> bool:
    if isinstance(value, memoryview):
        value = value.tobytes()
    for form in full_ip_forms():
        if isinstance(value, str) and isinstance(form, str) and form.lower() in value.lower():
            return True
        if isinstance(value, bytes) and isinstance(form, bytes) and form in value:
            return True
    return False


@pytest.fixture(autouse=True)
def log_dir(settings, tmp_path):
    settings.PARLEY_ACCESS_LOG_DIR = tmp_path / "logs"
    cache.clear()
    yield settings.PARLEY_ACCESS_LOG_DIR
    cache.clear()


def entries() -> list[dict]:
    return [entry for day in access_log_days() for entry in access_log_entries(day=day)]


def raw_log_text(directory: Path) -> str:
    return "".join(path.read_text() for path in sorted(directory.glob("*"))) if directory.exists() else ""


# --- reduction of each value ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (IPV4, IPV4_NET),
        (IPV6, IPV6_NET),
        ("::ffff:203.0.113.77", IPV4_NET),  # IPv4-mapped: treated as IPv4
        ("fe80::1234:5678:9abc:def0%eth0", "fe80::"),  # zone id dropped
        ("[2001:db8:85a3:1234::9]", IPV6_NET),
        ("127.0.0.1", "127.0.0.0"),
        ("", ""),
        (None, ""),
        ("unix:/run/parley.sock", ""),
        ("999.1.1.1", ""),
    ],
)
def test_p18_client_addresses_are_shortened_to_24_and_48_bits(address, expected):
    assert ip_truncate(address) == expected


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        ("https://www.acme.test/loans/car?campaign=x&email=carla@example.test#top", "https://www.acme.test"),
        ("http://shop.example:8080/cart/123", "http://shop.example:8080"),
        ("https://203.0.113.77/private/page", "https://203.0.113.0"),
        ("https://[2001:db8:85a3:1234:5678::1]:8443/x", "https://[2001:db8:85a3::]:8443"),
        ("android-app://com.example/", ""),
        ("not a url", ""),
        ("", ""),
    ],
)
def test_p18_a_referrer_is_reduced_to_its_origin(referrer, expected):
    assert referrer_origin(referrer) == expected


def test_p18_link_tokens_and_addresses_in_paths_are_replaced():
    assert path_redact("/t/acme/invite/s3cr3t-t0ken/", {"slug": "acme", "token": "s3cr3t-t0ken"}) == "/t/acme/invite/<token>/"
    reset = path_redact("/t/acme/reset/MQ/abc-def/", {"slug": "acme", "uidb64": "MQ", "token": "abc-def"})
    assert reset.startswith("/t/acme/reset/<") and "MQ" not in reset and "abc-def" not in reset
    appointment = "/w/acme/appointments/manage-token-1/"
    assert path_redact(appointment, {"slug": "acme", "token": "manage-token-1"}) == "/w/acme/appointments/<token>/"
    assert "carla@example.test" not in path_redact("/search/carla@example.test/")
    assert path_redact("/x?token=abc") == "/x"


# --- real requests ----------------------------------------------------------------------------------------------


def test_p18_an_ipv4_request_is_logged_with_the_address_shortened_to_24(world: World, log_dir):
    response = Client(REMOTE_ADDR=IPV4, HTTP_USER_AGENT=FIREFOX).get(
        "/t/acme/login/", HTTP_REFERER="https://www.acme.test/contact"
    )
    assert response.status_code == 200
    [entry] = entries()
    assert entry["ip"] == IPV4_NET
    assert entry["method"] == "GET" and entry["path"] == "/t/acme/login/" and entry["status"] == 200
    assert (entry["browser"], entry["browser_version"], entry["os"], entry["os_version"]) == ("Firefox", "132", "Windows", "10")
    assert entry["referrer"] == "https://www.acme.test"
    assert entry["kind"] == "http"
    logged_at = datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - logged_at) < timedelta(minutes=1)
    assert IPV4 not in raw_log_text(log_dir)
    assert sorted(log_dir.iterdir()) == [log_dir / f"access-{datetime.now(UTC).date().isoformat()}.log"]
    assert oct(os.stat(log_dir / f"access-{datetime.now(UTC).date().isoformat()}.log").st_mode & 0o777) == "0o600"


def test_p18_an_ipv6_request_is_logged_with_the_address_shortened_to_48(world: World, log_dir):
    Client(REMOTE_ADDR=IPV6, HTTP_USER_AGENT=SAFARI_IOS).get(f"{API}/acme/config")
    [entry] = entries()
    assert entry["ip"] == IPV6_NET
    assert (entry["browser"], entry["os"], entry["os_version"]) == ("Safari", "iOS", "17")
    text = raw_log_text(log_dir)
    assert IPV6 not in text and ipaddress.ip_address(IPV6).exploded not in text


def test_p18_query_strings_and_referrer_paths_are_not_logged(world: World, log_dir):
    client = Client(REMOTE_ADDR=IPV4)
    client.get(
        "/t/acme/login/?next=/t/acme/admin/&token=query-secret-123&email=carla@example.test",
        HTTP_REFERER="https://www.acme.test/private/path-secret-456?session=ref-secret-789",
    )
    client.get("/t/acme/invite/path-token-abcdef/")  # an invitation link: the token is part of the path
    text = raw_log_text(log_dir)
    for secret in ("query-secret-123", "carla@example.test", "path-secret-456", "ref-secret-789", "path-token-abcdef", "next="):
        assert secret not in text
    first, second = entries()
    assert first["path"] == "/t/acme/login/" and first["referrer"] == "https://www.acme.test"
    assert second["path"] == "/t/acme/invite/<token>/" and second["status"] == 404


def test_p18_health_checks_are_not_logged_but_errors_are(world: World, log_dir):
    Client(REMOTE_ADDR=IPV4).get("/healthz")
    Client(REMOTE_ADDR=IPV4).get("/t/nobody/login/")
    assert [(e["path"], e["status"]) for e in entries()] == [("/t/nobody/login/", 404)]


def test_p18_switched_off_nothing_is_written(world: World, log_dir, settings):
    settings.PARLEY_ACCESS_LOG = False
    Client(REMOTE_ADDR=IPV4).get("/t/acme/login/")
    assert not log_dir.exists()


def test_p18_an_unwritable_log_never_breaks_a_request(world: World, settings, tmp_path, caplog):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.PARLEY_ACCESS_LOG_DIR = blocker / "logs"
    with caplog.at_level(logging.WARNING, logger="parley.accesslog"):
        assert Client(REMOTE_ADDR=IPV4).get("/t/acme/login/").status_code == 200
    assert IPV4 not in caplog.text


def test_concurrent_writers_never_interleave_lines(log_dir):
    from concurrent.futures import ThreadPoolExecutor

    from parley.accesslog.services import access_entry_build, access_entry_write

    def write(worker: int) -> None:
        for n in range(300):
            entry = access_entry_build(
                at=datetime.now(UTC), kind="http", method="GET", path=f"/w{worker}/{n}/" + "x" * 300, status=200,
                duration_ms=1, client=IPV4, user_agent=FIREFOX, referrer=None,
            )  # fmt: skip
            access_entry_write(entry)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    logged = entries()
    assert len(logged) == 8 * 300 and {e["ip"] for e in logged} == {IPV4_NET}


def test_a_log_file_deleted_while_open_is_recreated(world: World, log_dir, monkeypatch):
    from parley.accesslog.services import _Sink

    monkeypatch.setattr(_Sink, "CHECK_SECONDS", 0.0)
    Client(REMOTE_ADDR=IPV4).get("/t/acme/login/")
    for path in log_dir.iterdir():
        path.unlink()
    Client(REMOTE_ADDR=IPV4).get("/t/acme/login/")
    assert len(entries()) == 1


def test_p18_retention_prune_removes_day_files_older_than_the_limit(settings, log_dir):
    settings.PARLEY_ACCESS_LOG_DAYS = 14
    now = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    log_dir.mkdir(parents=True)
    for age in (0, 1, 13, 14, 15, 40):
        day = (now - timedelta(days=age)).date()
        (log_dir / f"access-{day.isoformat()}.log").write_text('{"ip": "203.0.113.0"}\n')
    (log_dir / "README.txt").write_text("not ours")
    assert access_logs_prune(now=now) == 3  # 14 (its first entry is 14 days and 3 hours old), 15 and 40 days
    assert access_log_days() == [date(2026, 11, 14), date(2026, 11, 26), date(2026, 11, 27)]
    assert (log_dir / "README.txt").exists()
    assert access_logs_prune(now=now) == 0  # idempotent


def test_p18_housekeeping_prunes_the_access_log(db, log_dir):
    from parley.core.housekeeping import housekeeping_run

    log_dir.mkdir(parents=True)
    old = log_dir / "access-2020-01-01.log"
    old.write_text("{}\n")
    assert housekeeping_run()["access_logs"] == 1
    assert not old.exists()


# --- WebSockets -------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_p18_websocket_handshakes_are_logged_with_the_address_shortened(log_dir):
    from channels.testing import WebsocketCommunicator

    from parley.accesslog.asgi import WebSocketAccessLog
    from parley.realtime.routing import websocket_application

    app = WebSocketAccessLog(websocket_application)
    accepted = WebsocketCommunicator(app, "/ws/widget/acme/?t=ws-query-secret", headers=[(b"origin", b"http://127.0.0.1")])
    accepted.scope["client"] = (IPV6, 50000)
    assert (await accepted.connect())[0]
    await accepted.disconnect()
    refused = WebsocketCommunicator(
        app, "/ws/widget/acme/", headers=[(b"origin", b"https://evil.example"), (b"user-agent", FIREFOX.encode())]
    )
    refused.scope["client"] = (IPV4, 50001)
    assert not (await refused.connect())[0]
    first, second = entries()
    assert (first["kind"], first["path"], first["status"], first["ip"]) == ("websocket", "/ws/widget/acme/", 101, IPV6_NET)
    assert (second["status"], second["ip"], second["browser"], second["referrer"]) == (
        403,
        IPV4_NET,
        "Firefox",
        "https://evil.example",
    )
    text = raw_log_text(log_dir)
    assert IPV4 not in text and IPV6 not in text and "ws-query-secret" not in text


# --- no other place stores an IP address ------------------------------------------------------------------------


def _scripted_traffic(world: World) -> None:
    """A portal login, a failed login, a password reset, the widget API and a consent withdrawal, from an IPv4 and an
    IPv6 client."""
    from parley.consent.services import consent_give, subject_for_email

    profile = ExpertProfile.objects.get(user=world.acme_expert)
    for address, agent in ((IPV4, FIREFOX), (IPV6, SAFARI_IOS)):
        client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=agent, HTTP_X_FORWARDED_FOR=address)
        assert client.post("/t/acme/login/", {"email": "eve@acme.test", "password": "wrong-password"}).status_code == 400
        assert client.post("/t/acme/login/", {"email": "eve@acme.test", "password": PASSWORD}).status_code == 302
        assert client.get("/t/acme/expert/").status_code == 200
        client.post("/t/acme/password-reset/", {"email": "eve@acme.test"})
        visitor = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=agent, HTTP_REFERER=f"https://www.acme.test/?ip={address}")
        assert visitor.get(f"{API}/acme/config", {"page": "/loans/"}).status_code == 200
        started = visitor.post(
            f"{API}/acme/conversations",
            {
                "expert_id": str(profile.id),
                "name": "Carla Customer",
                "email": "carla@example.test",
                "message": f"Hi from {address}?",
            },
            content_type="application/json",
        )
        assert started.status_code == 201
        token = started.json()["token"]
        assert visitor.get(f"{API}/acme/conversation", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
        _record, consent_token = consent_give(
            subject=subject_for_email(tenant=world.acme, email="carla@example.test"), scope="newsletter"
        )
        assert visitor.post(f"/t/acme/consent/withdraw/{consent_token}/").status_code == 200


def test_p18_after_scripted_traffic_no_table_and_no_log_holds_a_full_ip(world: World, log_dir, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    _scripted_traffic(world)

    # Every text and bytes column of every table. (The message text above names the address on purpose: the
    # visitor typed it, and it is stored encrypted, so even that is no plaintext IP.)
    assert columns_holding_a_full_ip() == []

    # Every log record (message, arguments, attached objects) and everything printed.
    for record in caplog.records:
        assert not holds_full_ip(record.getMessage()), record.getMessage()
        assert not holds_full_ip(repr(record.__dict__)), record.name
    out, err = capfd.readouterr()
    assert not holds_full_ip(out) and not holds_full_ip(err)

    # The access log has every request, shortened.
    text = raw_log_text(log_dir)
    assert not holds_full_ip(text) and "carla@example.test" not in text
    logged = entries()
    assert {e["ip"] for e in logged} == {IPV4_NET, IPV6_NET}
    assert len(logged) == 2 * 8
    assert {e["path"] for e in logged} >= {"/t/acme/login/", f"{API}/acme/conversations", "/t/acme/consent/withdraw/<token>/"}


def columns_holding_a_full_ip() -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (table names from introspection)
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                found += [f"{table}.{name}" for name, value in zip(columns, row, strict=True) if holds_full_ip(value)]
    return found


def test_the_database_scan_finds_an_address_where_there_is_one(world: World):
    from parley.consent.models import ConsentRecord
    from parley.consent.services import consent_give, subject_for_email

    record, _token = consent_give(subject=subject_for_email(tenant=world.acme, email="c@example.test"), scope="newsletter")
    ConsentRecord.objects.filter(id=record.id).update(source=IPV6.upper())
    assert columns_holding_a_full_ip() == ["consent_consentrecord.source"]


def test_p18_login_lockout_and_rate_limits_keep_only_keyed_hashes(world: World, log_dir):
    from parley.accounts.models import LoginThrottle

    client = Client(REMOTE_ADDR=IPV4)
    for _ in range(3):
        client.post("/t/acme/login/", {"email": "eve@acme.test", "password": "wrong-password"})
    Client(REMOTE_ADDR=IPV6).get(f"{API}/acme/config")
    keys = list(LoginThrottle.objects.values_list("key", flat=True))
    assert len(keys) == 1 and len(keys[0]) == 64 and not holds_full_ip(keys[0])
    cached = cache_entries()
    assert any(":rl:widget-config:" in key for key in cached)
    assert not any(holds_full_ip(key) for key in cached)
    assert not any(holds_full_ip(repr(value)) for value in cached.values())


def cache_entries() -> dict[str, object]:
    """Every key and raw value of the cache: LocMemCache on SQLite runs, Redis (REDIS_URL) in CI's second run."""
    store = cache._cache  # type: ignore[attr-defined]
    if hasattr(store, "get_client"):
        client = store.get_client()
        return {key.decode(): client.get(key) for key in client.keys("*")}
    return dict(store.items())


# --- the server -------------------------------------------------------------------------------------------------


def test_p18_parley_serve_runs_uvicorn_with_its_access_log_off(monkeypatch):
    import uvicorn
    from django.core.management import call_command

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    call_command("serve", "--port", "8765", "--forwarded-allow-ips", "10.0.0.1")
    [kwargs] = calls
    assert kwargs["access_log"] is False
    assert kwargs["log_config"] is None  # uvicorn's own lines go through Parley's scrubbing filter
    assert kwargs["forwarded_allow_ips"] == "10.0.0.1" and kwargs["proxy_headers"] is True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _websocket_refused(port: int, headers: dict[str, str]) -> None:
    import asyncio

    import websockets
    from websockets.typing import Origin

    async def attempt() -> None:
        uri = f"ws://127.0.0.1:{port}/ws/widget/acme/?t=ws-query-secret"
        async with websockets.connect(uri, origin=Origin("https://evil.example"), additional_headers=headers):
            pass

    with pytest.raises(websockets.InvalidStatus):
        asyncio.run(attempt())


def test_p18_the_real_server_behind_a_trusted_proxy_prints_no_client_ip_and_logs_it_shortened(tmp_path):
    """`parley serve` with --forwarded-allow-ips: uvicorn resolves X-Forwarded-For to the client's address, the access
    log gets its /24, and nothing the server prints holds the full address."""
    root = Path(__file__).resolve().parents[3]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.django.local", "PARLEY_DATA_DIR": str(tmp_path), "PARLEY_LOG_LEVEL": "DEBUG"})
    port = _free_port()
    output = tmp_path / "server-output.txt"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "parley"), "serve", "--port", str(port), "--forwarded-allow-ips", "127.0.0.1"],
            env=env,
            cwd=root,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(base + "/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    pass
                assert process.poll() is None and time.monotonic() < deadline, output.read_text()
                time.sleep(0.2)
            headers = {"X-Forwarded-For": IPV4, "User-Agent": FIREFOX, "Referer": "https://www.acme.test/a/b?c=d"}
            assert httpx.get(base + "/?token=query-secret-123", headers=headers).status_code == 200
            assert httpx.get(base + "/no-such-page/", headers=headers).status_code == 404
            headers["X-Forwarded-For"] = IPV6
            assert httpx.get(base + "/", headers=headers).status_code == 200
            _websocket_refused(port, {"X-Forwarded-For": IPV4, "User-Agent": FIREFOX})
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    printed = output.read_text()
    assert not holds_full_ip(printed), printed
    today = datetime.now(UTC).date().isoformat()
    logged = [json.loads(line) for line in (tmp_path / "logs" / f"access-{today}.log").read_text().splitlines()]
    assert [(e["path"], e["status"], e["ip"]) for e in logged] == [
        ("/", 200, IPV4_NET),
        ("/no-such-page/", 404, IPV4_NET),
        ("/", 200, IPV6_NET),
        ("/ws/widget/acme/", 403, IPV4_NET),
    ]
    assert logged[0]["browser"] == "Firefox" and logged[0]["referrer"] == "https://www.acme.test"
    raw = (tmp_path / "logs" / f"access-{today}.log").read_text()
    assert not holds_full_ip(raw) and "query-secret-123" not in raw and "ws-query-secret" not in raw
