import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from parley.scheduling.calendars.tests.fakes import FakeGoogle, FakeMicrosoft
from parley.scheduling.models import CalendarConnection


@pytest.fixture(scope="session")
def _google_server() -> Iterator[FakeGoogle]:
    server = FakeGoogle().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _microsoft_server() -> Iterator[FakeMicrosoft]:
    server = FakeMicrosoft().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def google(settings, _google_server) -> FakeGoogle:
    """A local Google (OAuth, Calendar API, revocation) that Parley's settings point at, fresh for each test."""
    _google_server.reset()
    for name, value in _google_server.settings().items():
        setattr(settings, name, value)
    return _google_server


@pytest.fixture
def microsoft(settings, _microsoft_server) -> FakeMicrosoft:
    _microsoft_server.reset()
    for name, value in _microsoft_server.settings().items():
        setattr(settings, name, value)
    return _microsoft_server


def oauth_connection(fake, expert, provider: str, *, scope: str, expires_in: timedelta = timedelta(hours=1), **fields):
    """A connection as the OAuth flow leaves it, with tokens the fake server knows."""
    issued = fake.state.issue(scope)
    return CalendarConnection.objects.create(
        tenant=expert.tenant,
        expert=expert,
        provider=provider,
        access_token=issued["access_token"],
        refresh_token=issued["refresh_token"],
        token_expires_at=datetime.now(UTC) + expires_in,
        **fields,
    )


def book_with_write_back(world, google, capture_on_commit, *, name: str, email: str, note: str = ""):
    """Acme writes appointments back; Eve has a Google connection that may write; a customer books Monday 08:00 UTC.
    Returns (appointment, start)."""
    from parley.scheduling.calendars.providers.google import SCOPE_READ, SCOPE_WRITE
    from parley.scheduling.services import appointment_book
    from parley.scheduling.tests.conftest import bookable, next_monday_utc

    world.acme.calendar_write_back = True
    world.acme.save(update_fields=["calendar_write_back"])
    kind, profile = bookable.__wrapped__(world)  # type: ignore[attr-defined]  # the fixture's function, called directly
    oauth_connection(google, world.acme_expert, "google", scope=f"{SCOPE_READ} {SCOPE_WRITE}", write_back=True)
    start = next_monday_utc(8)
    with capture_on_commit(execute=True):
        appointment, _manage, _visitor = appointment_book(
            tenant=world.acme,
            appointment_type_id=kind.id,
            starts_at=start,
            expert_profile_id=profile.id,
            name=name,
            email=email,
            note=note,
        )
    return appointment, start


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Radicale:
    base: str

    def calendar(self, *events: str, user: str = "expert") -> str:
        """A fresh calendar collection holding `events` (VEVENT texts); returns its URL."""
        from caldav.davclient import DAVClient

        with DAVClient(url=self.base + "/", username=user, password="unused", enable_rfc6764=False) as client:
            calendar = client.principal().make_calendar(name="Work", cal_id=uuid.uuid4().hex)
            for event in events:
                calendar.add_event(wrap(event))
            return str(calendar.url)


BERLIN = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE"""


def wrap(vevent: str) -> str:
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Parley tests//EN\n{BERLIN}\n{vevent.strip()}\nEND:VCALENDAR\n"


@pytest.fixture(scope="session")
def _radicale_server() -> Iterator[Radicale]:
    """A real Radicale 3 server on a free 127.0.0.1 port, authentication off, storage in a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="parley-radicale-"))
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--config",
            "",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--storage-filesystem-folder",
            str(folder / "collections"),
            "--auth-type",
            "none",
            "--logging-level",
            "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Radicale did not start") from None
                time.sleep(0.05)
        yield Radicale(base=f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def radicale(settings, _radicale_server) -> Radicale:
    settings.PARLEY_CALDAV_ALLOW_PRIVATE = True  # the test server speaks http on 127.0.0.1
    return _radicale_server
