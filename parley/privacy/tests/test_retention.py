"""P06, P25: the retention engine. Time-shifted data is purged with its files and data keys, the tenant's shorter
period applies, held conversations (P26) are skipped, every registry category has a rule, the purge is batched,
idempotent and resumable, runs on its own schedule, and the reconciliation check fails when data outlives its limit."""

import json
import secrets
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from parley.core.schedule import JOBS, run_due
from parley.core.testing import client_for
from parley.crypto.models import DataKey
from parley.files.models import StoredFile
from parley.files.services import file_path
from parley.holds.services import hold_place_on_interaction
from parley.interactions.models import Document, Interaction, Message, SearchToken, VisitorAccess
from parley.interactions.services import document_post
from parley.interactions.tests.conftest import png_bytes, start
from parley.privacy import declarations_loaded
from parley.privacy.models import ErasureRecord, PendingFileDeletion
from parley.privacy.registry import Retention, declarations
from parley.privacy.retention import add_months, purge, purge_plan, purge_run, reconcile, rules
from parley.scheduling.models import Appointment


def _age(interaction: Interaction, *, months: int, days: int = 1) -> None:
    """Shift an interaction's last activity back in time (the time machine of these tests)."""
    Interaction.objects.filter(id=interaction.id).update(
        last_activity_at=add_months(timezone.now(), -months) - timedelta(days=days)
    )


def _live_key(scope_id) -> bool:
    return DataKey.objects.filter(scope_id=scope_id, destroyed_at__isnull=True).exists()


def _with_document(world, **kwargs):
    interaction, _token, _message = start(world, **kwargs)
    document_post(interaction=interaction, sender="customer", filename="passport.png", data=png_bytes())
    stored = StoredFile.objects.get(scope_id=interaction.id)
    return interaction, stored, file_path(stored)


def _category(check_list, category):
    return next(c for c in check_list if c.category == category)


def test_p06_an_interaction_13_months_old_is_purged_with_its_files_on_disk_and_its_data_key(
    world, django_capture_on_commit_callbacks
):
    old, old_file, old_path = _with_document(world, name="Olga Old", email="olga@example.test")
    young, _young_file, young_path = _with_document(world, name="Yves Young", email="yves@example.test")
    _age(old, months=12)
    _age(young, months=11)
    assert old_path.exists() and _live_key(old.id)

    assert purge_plan()[Retention.SERVICE_12_MONTHS] == 1
    with django_capture_on_commit_callbacks(execute=True):
        deleted = purge_run()
    assert deleted[Retention.SERVICE_12_MONTHS] == 1

    assert not Interaction.objects.filter(id=old.id).exists()
    for model in (Message, Document, VisitorAccess, SearchToken):
        assert not model.objects.filter(interaction_id=old.id).exists()
    assert not StoredFile.objects.filter(id=old_file.id).exists()
    assert not old_path.exists()  # the encrypted blob is gone from disk, not just its row
    assert not PendingFileDeletion.objects.exists()
    key = DataKey.objects.get(scope_type="interaction", scope_id=old.id)
    assert key.destroyed_at is not None and bytes(key.wrapped) == b""  # crypto-shredded
    # The younger conversation is untouched.
    assert Interaction.objects.filter(id=young.id).exists() and young_path.exists() and _live_key(young.id)
    assert Message.objects.filter(interaction_id=young.id).count() == 2
    # The ledger names the erased ids and the rule, nothing else.
    records = ErasureRecord.objects.filter(rule="retention")
    assert {(r.target_type, r.target_id) for r in records} == {("interaction", old.id), ("file", old_file.id)}


def test_p06_a_tenant_with_a_shorter_retention_loses_its_conversations_sooner(world):
    world.acme.retention_months = 3
    world.acme.save(update_fields=["retention_months"])
    acme_old, _t, _m = start(world, name="Anna Acme", email="anna@example.test")
    globex_old, _t2, _m2 = start(world, tenant=world.globex, expert=world.globex_expert)
    _age(acme_old, months=4)
    _age(globex_old, months=4)

    list(purge())

    assert not Interaction.objects.filter(id=acme_old.id).exists()
    assert Interaction.objects.filter(id=globex_old.id).exists()  # globex keeps the default 12 months


def test_p06_an_appointment_ending_after_the_cutoff_keeps_its_conversation(world):
    interaction, _t, _m = start(world)
    _age(interaction, months=13)
    starts = timezone.now() + timedelta(days=3)
    Appointment.objects.create(
        tenant=world.acme,
        interaction=interaction,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        status=Appointment.Status.CONFIRMED,
        manage_token_hash=secrets.token_hex(32),
        manage_token="manage-token",
    )
    list(purge())
    assert Interaction.objects.filter(id=interaction.id).exists()

    # Once the appointment itself lies 12 months back, both go.
    list(purge(now=timezone.now() + timedelta(days=400)))
    assert not Interaction.objects.filter(id=interaction.id).exists()
    assert not Appointment.objects.filter(interaction_id=interaction.id).exists()


def test_p06_p26_a_held_interaction_is_skipped_and_reported(world):
    held, _t, _m = start(world, name="Harriet Held", email="harriet@example.test")
    free, _t2, _m2 = start(world, name="Fred Free", email="fred@example.test")
    _age(held, months=14)
    _age(free, months=14)
    hold_place_on_interaction(actor=world.acme_admin, interaction_id=held.id, reason="Court order 1/26")

    assert purge_plan()[Retention.SERVICE_12_MONTHS] == 1
    list(purge())

    assert Interaction.objects.filter(id=held.id).exists() and _live_key(held.id)
    assert not Interaction.objects.filter(id=free.id).exists()
    service = _category(reconcile(), Retention.SERVICE_12_MONTHS)
    assert service.ok and service.held == 1  # held data is not overdue, and it is reported


def test_p25_every_retention_category_of_the_registry_has_a_rule_the_engine_enforces():
    declarations_loaded()
    enforced = {rule.retention for rule in rules()}
    assert enforced == set(Retention)
    used = {f.retention for d in declarations() for f in d.fields.values()}
    assert used <= enforced
    for rule in rules():
        assert rule.what and rule.limit()


def test_the_purge_is_resumable_after_an_interrupt_and_never_leaves_a_half_deleted_batch(world):
    conversations = [start(world, name=f"Customer {n}", email=f"c{n}@example.test")[0] for n in range(5)]
    for interaction in conversations:
        _age(interaction, months=13)

    run = purge(batch_size=2, only=Retention.SERVICE_12_MONTHS)
    first = next(run)
    run.close()  # Ctrl-C between batches
    assert first.batch == 2
    remaining = set(Interaction.objects.values_list("id", flat=True))
    assert len(remaining) == 3
    for interaction in conversations:  # each one either wholly gone or wholly there
        there = interaction.id in remaining
        assert Message.objects.filter(interaction_id=interaction.id).exists() == there
        assert _live_key(interaction.id) == there
        assert ErasureRecord.objects.filter(target_id=interaction.id).exists() != there

    steps = list(purge(batch_size=2, only=Retention.SERVICE_12_MONTHS))  # the rerun continues
    assert [s.batch for s in steps] == [2, 1]
    assert not Interaction.objects.exists()
    assert list(purge(batch_size=2, only=Retention.SERVICE_12_MONTHS)) == []  # and again: nothing left, no error
    assert ErasureRecord.objects.filter(target_type="interaction").count() == 5  # once each


def test_a_batch_that_fails_midway_is_rolled_back_whole(world, monkeypatch):
    interaction, _t, _m = start(world)
    _age(interaction, months=13)

    def crash(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("parley.privacy.services.data_keys_destroy", crash)
    assert sum(step.batch for step in purge(only=Retention.SERVICE_12_MONTHS)) == 0
    assert Message.objects.filter(interaction_id=interaction.id).count() == 1  # deleted rows came back
    assert _live_key(interaction.id) and not ErasureRecord.objects.exists()


def test_purge_dry_run_lists_categories_and_purge_shows_progress_on_stderr(world):
    interaction, _t, _m = start(world)
    _age(interaction, months=13)
    out = StringIO()
    call_command("purge", "--dry-run", stdout=out)
    assert "service-12-months             1 would be deleted" in out.getvalue()
    assert Interaction.objects.filter(id=interaction.id).exists()

    out, err = StringIO(), StringIO()
    call_command("purge", stdout=out, stderr=err)
    assert "1/1" in err.getvalue() and "Done: 1 records deleted" in out.getvalue()
    assert not Interaction.objects.exists()


def test_retention_check_exits_non_zero_when_a_record_outlives_its_limit(world):
    interaction, _t, _m = start(world)
    out = StringIO()
    call_command("retention_check", stdout=out)  # nothing overdue: exit 0
    assert "ok       service-12-months" in out.getvalue()

    _age(interaction, months=12, days=3)  # past the limit by more than the grace period
    with pytest.raises(SystemExit) as exit_info:
        call_command("retention_check", "--json", stdout=(out := StringIO()), stderr=StringIO())
    assert exit_info.value.code == 1
    report = json.loads(out.getvalue())
    service = next(c for c in report["categories"] if c["category"] == "service-12-months")
    assert not report["ok"] and not service["ok"] and service["overdue_hours"] > 26

    list(purge())
    call_command("retention_check", stdout=StringIO())  # purged: exit 0 again


def test_healthz_shows_retention_details_to_a_signed_in_admin_only(world):
    anonymous = Client().get("/healthz")
    assert anonymous.json() == {"status": "ok", "database": "up"}
    assert client_for(world.acme_expert).get("/healthz").json() == {"status": "ok", "database": "up"}
    body = client_for(world.acme_admin).get("/healthz").json()
    assert body["status"] == "ok" and body["retention"]["ok"] is True
    assert {c["category"] for c in body["retention"]["categories"]} == set(Retention)


def test_the_retention_job_runs_on_its_own_schedule_once_per_slot(db):
    job = next(j for j in JOBS if j.name == "retention")
    now = timezone.now()
    assert run_due(now=now, jobs=[job]) == ["retention"]
    assert run_due(now=now, jobs=[job]) == []  # another worker, same slot: not again


def test_a_file_whose_unlink_failed_stays_queued_and_housekeeping_retries_it(world, monkeypatch):
    from pathlib import Path

    from parley.core.housekeeping import housekeeping_run
    from parley.files.services import file_delete
    from parley.privacy.services import pending_files_process

    interaction, stored, path = _with_document(world)
    Document.objects.filter(interaction=interaction).delete()
    real_unlink = Path.unlink

    def failing_unlink(self, missing_ok=False):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(Path, "unlink", failing_unlink)
    file_delete(stored=stored)
    assert not StoredFile.objects.filter(id=stored.id).exists()
    assert pending_files_process() == 0
    assert PendingFileDeletion.objects.get().attempts == 1 and path.exists()

    monkeypatch.setattr(Path, "unlink", real_unlink)
    assert housekeeping_run()["files_unlinked"] == 1
    assert not path.exists() and not PendingFileDeletion.objects.exists()


def test_p25_a_data_key_left_without_its_account_is_destroyed_by_the_account_rule(world):
    from parley.accounts.models import User

    eve_id = world.acme_expert.id
    assert _live_key(eve_id)
    User.objects.filter(id=eve_id).delete()  # deleted around the services (e.g. by hand in a shell)
    assert purge_plan()[Retention.ACCOUNT] == 1
    list(purge(only=Retention.ACCOUNT))
    assert not _live_key(eve_id)
    assert purge_plan()[Retention.ACCOUNT] == 0
