"""P06, P25: `parley purge` is safe to interrupt and run again - for real, in its own process.

A throwaway data directory (SQLite database and file store) is migrated and seeded with expired conversations, each
with messages, a visitor token, a stored file on disk and its own data key, plus a few young ones. `parley purge`
runs with small batches; as soon as its first progress line reaches stderr it gets SIGINT (Ctrl-C). It must stop
with exit code 130 and say that it was interrupted and that a rerun continues; the database must hold no
half-deleted conversation: each one is either complete (messages, token, file, live key) or completely gone (no
rows, key destroyed, a ledger row). A second run removes the rest.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from parley.crypto.models import DataKey
from parley.files.models import StoredFile
from parley.interactions.models import Interaction, Message, VisitorAccess
from parley.privacy.models import ErasureRecord, PendingFileDeletion
from parley.privacy.registry import Retention

PARLEY = Path(sys.executable).parent / "parley"
ROOT = Path(__file__).resolve().parents[3]
EXPIRED = 400
YOUNG = 3
MESSAGES = 2
BATCH = 4

# Runs inside `parley shell` in the throwaway directory: bulk inserts with one stand-in ciphertext (the purge never
# decrypts), so seeding hundreds of conversations takes a second.
SEED = f"""
import os, uuid
from datetime import timedelta
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from parley.crypto.fields import Sealed
from parley.crypto.models import DataKey
from parley.files.models import StoredFile
from parley.interactions.models import Interaction, Message, VisitorAccess
from parley.privacy.retention import add_months
from parley.tenants.services import tenant_create

tenant = tenant_create(slug="purge-interrupt", name="Purge interrupt")
sealed = Sealed(b"\\x01" + os.urandom(60))
old = add_months(timezone.now(), -13)
recent = timezone.now() - timedelta(days=3)
folder = settings.FILES_DIR / str(tenant.id)
folder.mkdir(parents=True, exist_ok=True)
with transaction.atomic():
    items = [
        Interaction(id=uuid.uuid4(), tenant=tenant, customer_name=sealed, customer_email=sealed,
                    last_activity_at=old if n < {EXPIRED} else recent, last_seq={MESSAGES})
        for n in range({EXPIRED} + {YOUNG})
    ]
    Interaction.objects.bulk_create(items)
    Message.objects.bulk_create(
        Message(tenant=tenant, interaction=i, seq=s, sender="customer", body=sealed) for i in items
        for s in range(1, {MESSAGES} + 1)
    )
    VisitorAccess.objects.bulk_create(
        VisitorAccess(tenant=tenant, interaction=i, token_hash=uuid.uuid4().hex * 2) for i in items
    )
    DataKey.objects.bulk_create(
        DataKey(tenant_id=tenant.id, scope_type="interaction", scope_id=i.id, kek_version=1, wrapped=b"\\x02" * 60)
        for i in items
    )
    files = [StoredFile(id=uuid.uuid4(), tenant=tenant, scope_type="interaction", scope_id=i.id,
                        content_type="application/octet-stream", size=16) for i in items]
    StoredFile.objects.bulk_create(files)
for f in files:
    (folder / f.id.hex).write_bytes(os.urandom(16))
print("seeded")
"""


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "DJANGO_")) and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(PARLEY_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="config.django.local", PYTHONUNBUFFERED="1")
    return env


def _parley(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(PARLEY), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def _state(data_dir: Path) -> dict[str, dict[str, object]]:
    """Per seeded conversation (by id hex), straight from the SQLite file: what is left of it."""
    table: dict[type, str] = {
        m: m._meta.db_table for m in (Interaction, Message, VisitorAccess, DataKey, StoredFile, ErasureRecord)
    }
    with sqlite3.connect(data_dir / "parley.sqlite3") as db:

        def counts(model: type, column: str) -> dict[str, int]:
            rows = db.execute(f"SELECT {column}, COUNT(*) FROM {table[model]} GROUP BY {column}")  # noqa: S608
            return dict(rows.fetchall())

        keys = dict(db.execute(f"SELECT scope_id, destroyed_at IS NULL FROM {table[DataKey]} WHERE scope_type = 'interaction'"))  # noqa: S608
        present = {row[0] for row in db.execute(f"SELECT id FROM {table[Interaction]}")}  # noqa: S608
        messages = counts(Message, "interaction_id")
        tokens = counts(VisitorAccess, "interaction_id")
        files = dict(db.execute(f"SELECT scope_id, id FROM {table[StoredFile]} WHERE scope_type = 'interaction'"))  # noqa: S608
        ledger = {row[0] for row in db.execute(f"SELECT target_id FROM {table[ErasureRecord]} WHERE target_type = 'interaction'")}  # noqa: S608
        file_ledger = {row[0] for row in db.execute(f"SELECT target_id FROM {table[ErasureRecord]} WHERE target_type = 'file'")}  # noqa: S608
        pending = db.execute(f"SELECT COUNT(*) FROM {PendingFileDeletion._meta.db_table}").fetchone()[0]  # noqa: S608
    state: dict[str, dict[str, object]] = {}
    for scope_id, live in keys.items():
        state[scope_id] = {
            "present": scope_id in present,
            "messages": messages.get(scope_id, 0),
            "tokens": tokens.get(scope_id, 0),
            "file": files.get(scope_id),
            "live_key": bool(live),
            "in_ledger": scope_id in ledger,
        }
    state["_"] = {"file_ledger": len(file_ledger), "pending": pending}
    return state


def _blobs(data_dir: Path) -> set[str]:
    return {p.name for p in (data_dir / "files").rglob("*") if p.is_file()}


def _whole_or_gone(state: dict[str, dict[str, object]]) -> tuple[int, int]:
    """Every conversation is complete or completely erased; returns (complete, erased)."""
    complete = erased = 0
    for scope_id, row in state.items():
        if scope_id == "_":
            continue
        if row["present"]:
            assert row == {**row, "messages": MESSAGES, "tokens": 1, "live_key": True, "in_ledger": False}, scope_id
            assert row["file"] is not None, scope_id
            complete += 1
        else:
            assert row == {**row, "messages": 0, "tokens": 0, "file": None, "live_key": False, "in_ledger": True}, scope_id
            erased += 1
    return complete, erased


def test_p06_p25_parley_purge_stopped_by_ctrl_c_leaves_nothing_half_deleted_and_a_rerun_finishes(tmp_path: Path):
    data_dir = tmp_path / "data"
    env = _env(data_dir)
    _parley(env, "migrate", "--no-input")
    assert "seeded" in _parley(env, "shell", "-c", SEED).stdout
    seeded = _state(data_dir)
    assert _whole_or_gone(seeded) == (EXPIRED + YOUNG, 0)
    assert len(_blobs(data_dir)) == EXPIRED + YOUNG

    process = subprocess.Popen(
        [str(PARLEY), "purge", "--batch-size", str(BATCH)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        seen = b""
        deadline = time.monotonic() + 60
        while f"/{EXPIRED} service-12-months".encode() not in seen:  # the first committed batch's progress line
            assert time.monotonic() < deadline, seen
            chunk = os.read(process.stderr.fileno(), 4096)
            assert chunk, f"purge ended before any progress: {seen!r}"
            seen += chunk
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = (seen + err).decode()

    assert process.returncode == 130, stderr
    assert "Interrupted after" in stderr and "Run it again to continue." in stderr
    assert "Traceback" not in stderr
    assert b"Done:" not in out  # it did not pretend to have finished

    interrupted = _state(data_dir)
    complete, erased = _whole_or_gone(interrupted)
    kept_files = {row["file"] for key, row in interrupted.items() if key != "_" and row["present"]}
    assert kept_files <= _blobs(data_dir), "a kept conversation lost its file"
    assert erased >= BATCH and erased % BATCH == 0, "whole batches only"
    assert complete > YOUNG, "the signal came before the purge finished"

    result = _parley(env, "purge")
    assert "Done:" in result.stdout
    after = _state(data_dir)
    assert _whole_or_gone(after) == (YOUNG, EXPIRED)
    assert after["_"] == {"file_ledger": EXPIRED, "pending": 0}
    assert len(_blobs(data_dir)) == YOUNG  # the expired conversations' files are gone from disk, too
    plan = json.loads(_parley(env, "purge", "--dry-run", "--json").stdout)
    assert plan["would_delete"][Retention.SERVICE_12_MONTHS] == 0
