"""P08, P09, G17: early deletion and account deletion go through the retention engine and into the erasure ledger;
after an expert is deleted no row refers to them, no file of theirs remains and a copy of the database taken before
no longer decrypts their data; `parley restore-check` erases again what a restored backup brought back."""

import datetime as dt
import json
import uuid
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models

from parley.accounts.models import User
from parley.accounts.services import user_erase
from parley.core.testing import client_for
from parley.crypto.aead import DecryptionError
from parley.crypto.fields import EncryptedField
from parley.crypto.models import DataKey
from parley.experts.models import ExpertProfile
from parley.experts.services import expert_photo_set
from parley.files.models import StoredFile
from parley.files.services import file_path
from parley.interactions.models import Document, Interaction, Message
from parley.interactions.services import document_post, interaction_delete, message_post
from parley.interactions.tests.conftest import png_bytes, start
from parley.privacy.models import ErasureRecord
from parley.scheduling.models import WeeklyHours
from parley.tenants.models import Membership

# What a backup holds of an expert, in the order its rows can be inserted again.
BACKUP_MODELS = [StoredFile, User, Membership, ExpertProfile, WeeklyHours, Interaction, Document, Message]


def _dump(model_list) -> dict[str, tuple[list[str], list[tuple]]]:
    """A raw copy of these tables, ciphertext and all: what a database backup contains."""
    copy = {}
    with connection.cursor() as cursor:
        for model in model_list:
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            copy[table] = ([c[0] for c in cursor.description], cursor.fetchall())
    return copy


def _restore(copy, model_list) -> int:
    """Put back every row of the copy that is missing now (restoring the backup); returns rows inserted."""
    inserted = 0
    with connection.cursor() as cursor:
        for model in model_list:
            table = model._meta.db_table
            columns, rows = copy[table]
            pk = columns.index(model._meta.pk.column)
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            placeholders = ", ".join(["%s"] * len(columns))
            for row in rows:
                key = connection.ops.quote_name(model._meta.pk.column)
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} WHERE {key} = %s", [row[pk]])
                if cursor.fetchone() is None:
                    cursor.execute(
                        f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({placeholders})",
                        [_raw(v) for v in row],
                    )
                    inserted += 1
    return inserted


def _raw(value):
    """Back to what the driver takes (the dump came through Django's converters)."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.time):
        return connection.ops.adapt_timefield_value(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _rows_referring_to(value: uuid.UUID) -> dict[str, int]:
    """Every row in every table (Django's and Parley's) with `value` in a UUID, foreign-key or plain text column.
    Two kinds of rows are expected to remain and are left out: the erasure ledger, which exists to name erased ids
    (ids only, no personal data), and destroyed data keys (an id with no key material left: the proof of shredding)."""
    found = {}
    for model in apps.get_models():
        if model is ErasureRecord:
            continue
        qs = model._default_manager.all()
        if model is DataKey:
            assert not DataKey.objects.filter(scope_id=value, destroyed_at__isnull=False).exclude(wrapped=b"").exists()
            qs = qs.filter(destroyed_at__isnull=True)
        query = models.Q()
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedField):
                continue  # ciphertext; its row is found through the id columns
            target = field.target_field if isinstance(field, models.ForeignKey) else field
            if isinstance(target, models.UUIDField):
                query |= models.Q(**{field.attname: value})
            elif isinstance(field, (models.CharField, models.TextField)) and not field.is_relation:
                query |= models.Q(**{f"{field.attname}__contains": str(value)}) | models.Q(
                    **{f"{field.attname}__contains": value.hex}
                )
        if query and (count := qs.filter(query).count()):
            found[model._meta.label] = count
    return found


@pytest.fixture
def eve_with_data(world, django_capture_on_commit_callbacks):
    """Eve the expert with a photo, working hours, a portal session and a conversation with a document and a reply."""
    eve = world.acme_expert
    expert_photo_set(profile=ExpertProfile.objects.get(user=eve), data=png_bytes())
    WeeklyHours.objects.create(expert=eve, weekday=0, start="09:00", end="17:00")
    client_for(eve).get("/t/acme/expert/")  # a server-side session
    interaction, _token, _first = start(world, name="Carla Customer", email="carla@example.test")
    document_post(interaction=interaction, sender="customer", filename="contract.png", data=png_bytes())
    reply = message_post(interaction=interaction, sender="expert", body="Eve's confidential advice", author=eve)
    return eve, interaction, reply


def test_p08_an_early_deletion_goes_through_the_engine_and_into_the_ledger_without_personal_data(
    world, django_capture_on_commit_callbacks
):
    interaction, _token, _m = start(world, name="Petra Private", email="petra@example.test")
    document_post(interaction=interaction, sender="customer", filename="id.png", data=png_bytes())
    stored = StoredFile.objects.get(scope_id=interaction.id)
    with django_capture_on_commit_callbacks(execute=True):
        interaction_delete(interaction=interaction)

    assert not Interaction.objects.filter(id=interaction.id).exists() and not file_path(stored).exists()
    assert DataKey.objects.get(scope_id=interaction.id).destroyed_at is not None
    record = ErasureRecord.objects.get(target_type="interaction")
    assert (record.target_id, record.tenant_id, record.rule, record.category) == (
        interaction.id,
        world.acme.id,
        "manual",
        "service-12-months",
    )
    assert ErasureRecord.objects.get(target_type="file").target_id == stored.id
    ledger = repr(list(ErasureRecord.objects.values()))
    assert "Petra" not in ledger and "petra@" not in ledger and "id.png" not in ledger


def test_p09_after_deleting_an_expert_no_row_refers_to_them_no_file_remains_and_a_backup_no_longer_decrypts(
    world, eve_with_data, django_capture_on_commit_callbacks
):
    eve, interaction, reply = eve_with_data
    eve_id = eve.id  # delete() clears the instance's id
    photo = ExpertProfile.objects.get(user=eve).photo
    files = [file_path(photo), file_path(StoredFile.objects.get(scope_id=interaction.id))]
    assert all(f.exists() for f in files) and _rows_referring_to(eve_id)
    backup = _dump(BACKUP_MODELS)  # a copy of the database taken before the deletion

    with django_capture_on_commit_callbacks(execute=True):
        user_erase(actor=world.acme_admin, user=eve)

    assert _rows_referring_to(eve_id) == {}
    assert _rows_referring_to(interaction.id) == {}
    assert not any(f.exists() for f in files)
    assert DataKey.objects.get(scope_type="person", scope_id=eve_id).destroyed_at is not None
    assert {(r.target_type, r.rule) for r in ErasureRecord.objects.all()} == {
        ("user", "account-deletion"),
        ("interaction", "account-deletion"),
        ("file", "account-deletion"),
    }

    # The backup's rows, put back beside today's key store, no longer decrypt: their data keys are destroyed.
    assert _restore(backup, BACKUP_MODELS) > 0
    with pytest.raises(DecryptionError):
        User.objects.get(id=eve_id).name  # noqa: B018
    with pytest.raises(DecryptionError):
        Message.objects.get(id=reply.id).body  # noqa: B018
    with pytest.raises(DecryptionError):
        Interaction.objects.get(id=interaction.id).customer_email  # noqa: B018


def test_restore_check_erases_again_what_a_restored_backup_brought_back(world, eve_with_data, django_capture_on_commit_callbacks):
    eve, interaction, reply = eve_with_data
    eve_id = eve.id  # delete() clears the instance's id
    photo = ExpertProfile.objects.get(user=eve).photo
    photo_path = file_path(photo)
    backup = _dump([*BACKUP_MODELS, DataKey])  # the full backup: rows, wrapped keys ...
    blob = photo_path.read_bytes()  # ... and the file store
    with django_capture_on_commit_callbacks(execute=True):
        user_erase(actor=world.acme_admin, user=eve)

    # Restore the backup: rows, the key rows as they were (with their wrapped keys) and the photo file.
    _restore(backup, BACKUP_MODELS)
    columns, rows = backup[DataKey._meta.db_table]
    with connection.cursor() as cursor:
        for row in rows:
            values = dict(zip(columns, row, strict=True))
            cursor.execute(
                "UPDATE crypto_key SET wrapped = %s, destroyed_at = %s WHERE id = %s",
                [values["wrapped"], _raw(values["destroyed_at"]), values["id"]],
            )
    photo_path.write_bytes(blob)
    assert Message.objects.get(id=reply.id).body == "Eve's confidential advice"  # readable again: the danger

    out = StringIO()
    call_command("restore_check", "--dry-run", stdout=out)
    assert "interactions          1 would erase again" in out.getvalue()
    assert User.objects.filter(id=eve_id).exists()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("restore_check", stdout=(out := StringIO()))
    assert "users                 1 erased again" in out.getvalue()
    assert _rows_referring_to(eve_id) == {} and _rows_referring_to(interaction.id) == {}
    assert not photo_path.exists()
    assert not DataKey.objects.filter(scope_id__in=[eve_id, interaction.id], destroyed_at__isnull=True).exists()

    call_command("restore_check", stdout=(out := StringIO()))  # idempotent: nothing left to do
    assert "the ledger holds" in out.getvalue()


def test_restore_check_removes_file_blobs_that_have_no_record_and_keeps_the_rest(
    world, settings, tmp_path, django_capture_on_commit_callbacks
):
    """G17, P09: a file backup restored next to a newer database brings back blobs whose record is gone (and whose
    erasure the ledger may no longer name). restore-check reports them, removes them unless --dry-run, and keeps
    live files, blobs young enough to be an upload still committing, and names that are not Parley's."""
    import os
    import time

    from parley.crypto.services import Scope
    from parley.files.services import file_store

    settings.FILES_DIR = tmp_path / "files"
    live = file_store(
        scope=Scope(world.acme.id, "interaction", uuid.uuid4()), data=b"kept document", content_type="application/pdf"
    )
    folder = file_path(live).parent
    restored = folder / uuid.uuid4().hex  # from the file backup: its row was deleted after the backup was taken
    restored.write_bytes(b"\x01sealed bytes of an erased document")
    other_tenant = tmp_path / "files" / str(world.globex.id) / uuid.uuid4().hex  # a live row's id, wrong tenant
    other_tenant.parent.mkdir(parents=True)
    other_tenant.write_bytes(b"\x01sealed")
    misplaced_live = other_tenant.parent / live.id.hex
    misplaced_live.write_bytes(b"\x01sealed")
    uploading = folder / uuid.uuid4().hex  # written a moment ago; its row is not committed yet
    uploading.write_bytes(b"\x01sealed")
    foreign = folder / "README.txt"
    foreign.write_text("not a blob")
    ledgered_id = uuid.uuid4()  # an erased file the ledger names: ledger_reapply's, counted once
    ledgered = folder / ledgered_id.hex
    ledgered.write_bytes(b"\x01sealed")
    ErasureRecord.objects.create(
        tenant_id=world.acme.id,
        target_type="file",
        target_id=ledgered_id,
        category="x",
        rule="manual",
        erased_at=dt.datetime.now(dt.UTC),
    )
    hour_ago = time.time() - 3600
    for path in (file_path(live), restored, other_tenant, misplaced_live, foreign, ledgered):
        os.utime(path, (hour_ago, hour_ago))

    call_command("restore_check", "--dry-run", "--json", stdout=(out := StringIO()))
    report = json.loads(out.getvalue())
    assert report["found"]["orphan_blobs"] == 3 and report["kept_recent_blobs"] == 1
    assert report["found"]["file_blobs"] == 1  # the ledgered one, not counted twice
    assert restored.exists() and other_tenant.exists() and misplaced_live.exists()  # a dry run only counts

    with django_capture_on_commit_callbacks(execute=True):
        call_command("restore_check", stdout=(out := StringIO()))
    assert "orphan_blobs          3 erased again" in out.getvalue()
    assert "file_blobs            1 erased again" in out.getvalue()
    assert "1 file blobs without a record are younger than 15 minutes" in out.getvalue()
    assert not restored.exists() and not other_tenant.exists() and not misplaced_live.exists() and not ledgered.exists()
    assert file_path(live).exists() and uploading.exists() and foreign.exists()

    call_command("restore_check", "--file-grace-minutes", "0", stdout=(out := StringIO()))  # no server runs
    assert "orphan_blobs          1 erased again" in out.getvalue()
    assert not uploading.exists() and file_path(live).exists()
    call_command("restore_check", stdout=(out := StringIO()))
    assert "the ledger holds" in out.getvalue()


def test_restore_check_refuses_a_negative_grace(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--file-grace-minutes must be 0 or more"):
        call_command("restore_check", "--file-grace-minutes", "-1", stdout=StringIO())
