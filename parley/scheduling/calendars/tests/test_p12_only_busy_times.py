"""P12: of a synced event Parley keeps its start and end only. An event whose title, description, location, organiser
and attendees carry a canary is synced from a real CalDAV server and from a Graph server that sends more than it was
asked for; the canary then appears nowhere in the database (the raw SQLite file with its WAL, or a pg_dump) and
nowhere in the logs, even at DEBUG."""

import logging
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection as db

from parley.core.testing import make_world
from parley.notifications.models import OutboxMail
from parley.scheduling.calendars import services
from parley.scheduling.calendars.tests.conftest import oauth_connection
from parley.scheduling.models import BusyInterval

CANARY = "CanaryP12-5e1b7d"


def _needles() -> list[bytes]:
    return [CANARY.encode(), CANARY.lower().encode(), CANARY.encode("utf-16-le")]


def _database_bytes() -> list[tuple[str, bytes]]:
    if db.vendor == "sqlite":
        with db.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(FULL)")
        path = Path(db.settings_dict["NAME"])
        return [(str(p), p.read_bytes()) for p in path.parent.glob(path.name + "*") if p.is_file()]
    if not shutil.which("pg_dump"):
        pytest.fail("pg_dump is needed to check PostgreSQL at rest")
    cfg = db.settings_dict
    cmd = ["pg_dump", "--data-only", "-h", cfg.get("HOST") or "127.0.0.1", "-p", str(cfg.get("PORT") or 5432)]
    cmd += ["-U", cfg.get("USER") or "postgres", cfg["NAME"]]
    env = {**os.environ, "PGPASSWORD": cfg.get("PASSWORD") or ""}
    dump = subprocess.run(cmd, env=env, capture_output=True, check=True, timeout=60).stdout
    assert b"scheduling_busyinterval" in dump
    return [("pg_dump", dump)]


@pytest.mark.django_db(transaction=True)
def test_p12_no_title_description_location_or_attendee_is_stored_or_logged(radicale, microsoft, caplog):
    caplog.set_level(logging.DEBUG)  # as with PARLEY_LOG_LEVEL=DEBUG
    world = make_world()
    expert = world.acme_expert
    soon = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    fmt = "%Y%m%dT%H%M%SZ"
    url = radicale.calendar(
        f"""BEGIN:VEVENT
UID:{CANARY}-uid@example.test
DTSTAMP:{soon.strftime(fmt)}
DTSTART:{soon.strftime(fmt)}
DTEND:{(soon + timedelta(hours=1)).strftime(fmt)}
SUMMARY:Divorce lawyer {CANARY}
DESCRIPTION:Bring the papers {CANARY}
LOCATION:Clinic {CANARY}
ORGANIZER;CN=Org {CANARY}:mailto:org.{CANARY.lower()}@example.test
ATTENDEE;CN=Guest {CANARY}:mailto:guest.{CANARY.lower()}@example.test
CATEGORIES:{CANARY}
END:VEVENT"""
    )
    caldav_connection = services.caldav_connect(actor=expert, url=url, username="expert", password="app-pw")

    graph = oauth_connection(microsoft, expert, "microsoft", scope="offline_access Calendars.ReadBasic")
    microsoft.state.events = [
        {
            "start": soon + timedelta(days=1),
            "end": soon + timedelta(days=1, hours=2),
            "subject": f"Therapy {CANARY}",
            "bodyPreview": f"Notes {CANARY}",
            "location": {"displayName": f"Room {CANARY}"},
            "attendees": [{"emailAddress": {"name": f"Guest {CANARY}", "address": f"g.{CANARY.lower()}@example.test"}}],
        }
    ]
    assert services.sync_connection(graph)
    # A failing sync writes its mail and log lines too: they must not carry content either.
    microsoft.state.invalid_grant = True
    graph.token_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    graph.save(update_fields=["token_expires_at"])
    assert not services.sync_connection(graph)

    rows = set(BusyInterval.objects.values_list("connection_id", "starts_at", "ends_at"))
    assert rows == {
        (caldav_connection.id, soon, soon + timedelta(hours=1)),
        (graph.id, soon + timedelta(days=1), soon + timedelta(days=1, hours=2)),
    }
    assert OutboxMail.objects.filter(template="calendars/mail/sync_failed.txt").exists()
    for where, blob in _database_bytes():
        for needle in _needles():
            assert needle not in blob, f"calendar content found in {where}"
    assert any(r.name == "parley.calendars" for r in caplog.records)
    assert CANARY.lower() not in caplog.text.lower()
