"""The deletion engine's writes: erase interactions, files and accounts' traces, keep the erasure ledger, unlink
files after commit (P06, P08, P09, P25, G17).

Every deletion path (retention purge, early deletion, account deletion, data-subject erasure, restore-check) comes
through here, so each one deletes the same rows, destroys the same data keys and writes the same ledger rows. One
call is one transaction: either all of a batch is gone (rows, keys, ledger) or none of it.
"""

import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from parley.crypto.services import data_keys_destroy
from parley.privacy.models import ErasureRecord, PendingFileDeletion
from parley.privacy.registry import Retention

logger = logging.getLogger("parley.privacy")

Rule = ErasureRecord.Rule


def ledger_write(
    *,
    tenant_ids: Mapping[uuid.UUID, uuid.UUID | None],
    target_type: str,
    category: str,
    rule: str,
    now: datetime | None = None,
) -> None:
    """Record erased targets (target id -> tenant id): ids, category, rule and time only, never personal data."""
    if not tenant_ids:
        return
    now = now or timezone.now()
    ErasureRecord.objects.bulk_create(
        ErasureRecord(
            tenant_id=tenant_id, target_type=target_type, target_id=target_id, category=category, rule=rule, erased_at=now
        )
        for target_id, tenant_id in tenant_ids.items()
    )


# --- files ----------------------------------------------------------------------------------------------------------


def storage_key(tenant_id: uuid.UUID, file_id: uuid.UUID) -> str:
    return f"{tenant_id}/{file_id.hex}"


def _path(key: str) -> Path:
    tenant, name = key.split("/", 1)
    return Path(settings.FILES_DIR) / tenant / name


def files_erase(
    *, files: Iterable[tuple[uuid.UUID, uuid.UUID]], category: str, rule: str, now: datetime | None = None, ledger: bool = True
) -> int:
    """Delete StoredFile rows ((file id, tenant id) pairs) and queue their blobs: unlinked after this transaction
    commits, retried by housekeeping if that fails. A rollback keeps both row and file."""
    from parley.files.models import StoredFile

    pairs = dict(files)
    if not pairs:
        return 0
    keys = [storage_key(tenant_id, file_id) for file_id, tenant_id in pairs.items()]
    with transaction.atomic():
        StoredFile.objects.filter(id__in=list(pairs)).delete()
        PendingFileDeletion.objects.bulk_create([PendingFileDeletion(storage_key=k) for k in keys], ignore_conflicts=True)
        if ledger:
            ledger_write(tenant_ids=pairs, target_type="file", category=category, rule=rule, now=now)
        transaction.on_commit(lambda: pending_files_process(keys=keys))
    return len(pairs)


def pending_files_process(*, keys: list[str] | None = None, limit: int = 10_000) -> int:
    """Unlink queued files (these keys, or every queued one); rows go once their file is gone. Returns files done."""
    queue = PendingFileDeletion.objects.order_by("id")
    if keys is not None:
        queue = queue.filter(storage_key__in=keys)
    done: list[int] = []
    failed: list[int] = []
    for pending_id, key in queue.values_list("id", "storage_key")[:limit]:
        try:
            _path(key).unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("file deletion failed, will retry: %s", type(exc).__name__)
            failed.append(pending_id)
        else:
            done.append(pending_id)
    PendingFileDeletion.objects.filter(id__in=done).delete()
    if failed:
        PendingFileDeletion.objects.filter(id__in=failed).update(attempts=F("attempts") + 1)
    return len(done)


# --- interactions ---------------------------------------------------------------------------------------------------


def interactions_erase(
    *, interaction_ids: Iterable[uuid.UUID], rule: str, now: datetime | None = None, ledger: bool = True
) -> int:
    """Erase interactions with everything that hangs off them: messages, documents and their files, appointments,
    access tokens, search tokens, the customer's name and e-mail. Their data keys are destroyed and the ledger
    records each one, all in one transaction. Ids already gone are skipped (idempotent). Callers check holds and
    permissions; returns how many were erased."""
    from parley.files.models import StoredFile
    from parley.interactions.models import Document, Interaction, Message

    with transaction.atomic():
        # Locked (PostgreSQL): a concurrent run or deletion waits here, then finds the rows gone and skips them.
        rows = Interaction.objects.select_for_update().filter(id__in=list(interaction_ids))
        tenants = dict(rows.values_list("id", "tenant_id"))
        if not tenants:
            return 0
        ids = list(tenants)
        file_ids = set(StoredFile.objects.filter(scope_type="interaction", scope_id__in=ids).values_list("id", "tenant_id"))
        file_ids |= set(Document.objects.filter(interaction_id__in=ids).values_list("file_id", "tenant_id"))
        Message.objects.filter(interaction_id__in=ids).delete()
        Document.objects.filter(interaction_id__in=ids).delete()
        files_erase(files=file_ids, category=Retention.SERVICE_12_MONTHS, rule=rule, now=now, ledger=ledger)
        Interaction.objects.filter(id__in=ids).delete()  # appointments, visitor and search tokens cascade
        data_keys_destroy(scope_type="interaction", scope_ids=ids)
        if ledger:
            ledger_write(tenant_ids=tenants, target_type="interaction", category=Retention.SERVICE_12_MONTHS, rule=rule, now=now)
    return len(ids)


# --- accounts -------------------------------------------------------------------------------------------------------


def user_erasure_record(*, user_id: uuid.UUID, tenant_id: uuid.UUID, rule: str = Rule.ACCOUNT_DELETION) -> None:
    """Called by parley.accounts.services.user_erase inside its transaction, after the rows are gone."""
    ledger_write(tenant_ids={user_id: tenant_id}, target_type="user", category=Retention.ACCOUNT, rule=rule)


# --- the ledger's own retention ---------------------------------------------------------------------------------------


def ledger_prune(*, now: datetime | None = None) -> int:
    """Ledger rows outlive every backup they must be re-applied to (PARLEY_ERASURE_LEDGER_DAYS), then go."""
    from datetime import timedelta

    cutoff = (now or timezone.now()) - timedelta(days=settings.PARLEY_ERASURE_LEDGER_DAYS)
    return ErasureRecord.objects.filter(erased_at__lt=cutoff).delete()[0]


# --- after a backup restore -----------------------------------------------------------------------------------------


_KEY_SCOPES = {"interaction": "interaction", "user": "person", "application": "application"}


def ledger_reapply(*, dry_run: bool = False, batch_size: int = 500) -> dict[str, int]:
    """Re-apply the erasure ledger (G17): whatever a restored backup brought back of an erased target - its rows,
    a live data key, a file row or blob - is deleted or destroyed again. The ledger itself is not extended. With
    `dry_run`, only counts. Batched by ledger rows; each batch one transaction; safe to run again."""
    from parley.accounts.models import PortalSession, User
    from parley.careers.models import Application
    from parley.crypto.models import DataKey
    from parley.files.models import StoredFile
    from parley.interactions.models import Interaction

    found = {"interactions": 0, "applications": 0, "users": 0, "sessions": 0, "file_rows": 0, "file_blobs": 0, "data_keys": 0}
    for target_type in ("interaction", "user", "application", "file"):
        last = 0
        while True:
            chunk = list(
                ErasureRecord.objects.filter(target_type=target_type, id__gt=last)
                .order_by("id")
                .values_list("id", "target_id", "tenant_id")[:batch_size]
            )
            if not chunk:
                break
            last = chunk[-1][0]
            targets = {target_id: tenant_id for _, target_id, tenant_id in chunk}
            ids = list(targets)
            with transaction.atomic():
                scope_type = _KEY_SCOPES.get(target_type)
                if scope_type is not None:
                    live = DataKey.objects.filter(scope_type=scope_type, scope_id__in=ids, destroyed_at__isnull=True)
                    found["data_keys"] += live.count()
                if target_type == "interaction":
                    present = list(Interaction.objects.filter(id__in=ids).values_list("id", flat=True))
                    found["interactions"] += len(present)
                    if present and not dry_run:
                        interactions_erase(interaction_ids=present, rule=Rule.RESTORE, ledger=False)
                elif target_type == "application":
                    from parley.careers.services import applications_erase

                    present = list(Application.objects.filter(id__in=ids).values_list("id", flat=True))
                    found["applications"] += len(present)
                    if present and not dry_run:
                        applications_erase(application_ids=present, rule=Rule.RESTORE, ledger=False)
                elif target_type == "user":
                    present = list(User.objects.filter(id__in=ids).values_list("id", flat=True))
                    sessions = PortalSession.objects.filter(user_id__in=ids)
                    found["users"] += len(present)
                    found["sessions"] += sessions.count()
                    if not dry_run:
                        sessions.delete()
                        User.objects.filter(id__in=present).delete()
                else:
                    rows = list(StoredFile.objects.filter(id__in=ids).values_list("id", "tenant_id"))
                    keys = [storage_key(t, f) for f, t in targets.items() if t is not None]
                    blobs = [k for k in keys if _path(k).exists()]
                    found["file_rows"] += len(rows)
                    found["file_blobs"] += len(blobs)
                    if not dry_run:
                        StoredFile.objects.filter(id__in=[r[0] for r in rows]).delete()
                        PendingFileDeletion.objects.bulk_create(
                            [PendingFileDeletion(storage_key=k) for k in blobs], ignore_conflicts=True
                        )
                        transaction.on_commit(lambda blobs=blobs: pending_files_process(keys=blobs))  # type: ignore[misc]
                if scope_type is not None and not dry_run:
                    data_keys_destroy(scope_type=scope_type, scope_ids=ids)
    return found


# A blob is written just before its StoredFile row is saved (parley.files.services.file_store), and that row becomes
# visible only when the upload's transaction commits: a blob younger than this may be an upload in progress.
ORPHAN_BLOB_GRACE = timedelta(minutes=15)


def _uuid_or_none(name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(name)
    except ValueError:
        return None


def orphan_blobs_sweep(*, dry_run: bool = False, grace: timedelta = ORPHAN_BLOB_GRACE, batch_size: int = 500) -> dict[str, int]:
    """Blobs in the file store (FILES_DIR/<tenant id>/<file id hex>) without a StoredFile row: brought back by a file
    backup restored next to a newer database, or left by a crash between writing a blob and committing its row.
    They are counted and, unless `dry_run`, unlinked; blobs of files the erasure ledger names or the deletion
    queue holds are left to those. Blobs modified within `grace` are only counted
    (`orphan_blobs_recent`): their upload may still be committing; run again later, or with no grace while no
    server runs. Other names in the store are left alone. Safe to run again."""
    from parley.files.models import StoredFile

    found = {"orphan_blobs": 0, "orphan_blobs_recent": 0}
    root = Path(settings.FILES_DIR)
    if not root.is_dir():
        return found
    cutoff = time.time() - grace.total_seconds()

    def sweep(tenant_id: uuid.UUID, batch: dict[uuid.UUID, Path]) -> None:
        ids = list(batch)
        known = set(StoredFile.objects.filter(id__in=ids, tenant_id=tenant_id).values_list("id", flat=True))
        # Blobs the ledger names are ledger_reapply's (counted there); queued ones go with the deletion queue.
        known |= set(ErasureRecord.objects.filter(target_type="file", target_id__in=ids).values_list("target_id", flat=True))
        queued = PendingFileDeletion.objects.filter(storage_key__in=[storage_key(tenant_id, i) for i in ids])
        known |= {uuid.UUID(hex=key.split("/", 1)[1]) for key in queued.values_list("storage_key", flat=True)}
        for file_id, path in batch.items():
            if file_id in known:
                continue
            try:
                recent = path.stat().st_mtime > cutoff
            except FileNotFoundError:  # unlinked meanwhile (a queued deletion)
                continue
            if recent:
                found["orphan_blobs_recent"] += 1
                continue
            found["orphan_blobs"] += 1
            if not dry_run:
                path.unlink(missing_ok=True)

    for folder in sorted(root.iterdir()):
        tenant_id = _uuid_or_none(folder.name)
        if tenant_id is None or not folder.is_dir():
            continue
        batch: dict[uuid.UUID, Path] = {}
        for path in folder.iterdir():
            file_id = _uuid_or_none(path.name) if len(path.name) == 32 else None
            if file_id is None or not path.is_file():
                continue
            batch[file_id] = path
            if len(batch) >= batch_size:
                sweep(tenant_id, batch)
                batch = {}
        if batch:
            sweep(tenant_id, batch)
    if found["orphan_blobs"]:
        logger.info("restore-check: %s orphan file blobs %s", found["orphan_blobs"], "found" if dry_run else "removed")
    return found
