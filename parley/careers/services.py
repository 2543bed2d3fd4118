"""Writes of the careers module: positions, applications, their status and deletion (P22).

Every deletion of an application - by an administrator or by the retention engine - goes through
`applications_erase`: rows, files (unlinked after commit), the data key and the erasure ledger in one transaction.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.careers.models import Application, Position
from parley.core.exceptions import ApplicationError
from parley.crypto.blind_index import email_index
from parley.crypto.services import data_keys_destroy
from parley.files.services import file_store, image_clean
from parley.interactions.documents import clean_filename, document_clean
from parley.privacy.registry import Retention
from parley.tenants.models import Tenant

CV_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_PIXELS = 1024
SCOPE = "application"


@transaction.atomic
def position_create(*, actor: User, title: str, description: str = "") -> Position:
    title = title.strip()
    if not title:
        raise ApplicationError(_("Give the position a title."))
    return Position.objects.create(tenant_id=actor.tenant_id, title=title[:200], description=description.strip())


@transaction.atomic
def position_open_set(*, actor: User, position: Position, is_open: bool) -> Position:
    position.is_open = is_open
    position.save(update_fields=["is_open", "updated_at"])
    return position


def application_submit(
    *,
    tenant: Tenant,
    position: Position,
    name: str,
    email: str,
    cover_letter: str,
    cv_data: bytes,
    cv_filename: str,
    phone: str = "",
    linkedin_url: str = "",
    photo_data: bytes | None = None,
) -> Application:
    """Store an application: the CV must be a PDF (rewritten without metadata, scripts or attachments), the photo
    an image (re-encoded from its pixels); both are encrypted under the application's key."""
    if position.tenant_id != tenant.id or not position.is_open:
        raise ApplicationError(_("This position is no longer open."))
    if len(cv_data) > CV_MAX_BYTES:
        raise ApplicationError(_("The CV is too large (at most %(mb)s MB).") % {"mb": CV_MAX_BYTES // (1024 * 1024)})
    # Cleaned before anything is written: a refused file leaves nothing behind.
    cv = document_clean(data=cv_data, allowed=["pdf"])
    photo = None
    if photo_data:
        photo = image_clean(data=photo_data, max_bytes=PHOTO_MAX_BYTES, max_pixels=PHOTO_MAX_PIXELS)
    with transaction.atomic():
        application = Application(
            tenant=tenant,
            position=position,
            name=name.strip(),
            email=email.strip(),
            email_index=email_index(tenant_id=tenant.id, email=email),
            phone=phone.strip() or None,
            linkedin_url=linkedin_url.strip() or None,
            cover_letter=cover_letter.strip(),
            cv_filename=clean_filename(cv_filename, cv.extension),
        )
        scope = application.crypto_scope()
        application.cv = file_store(scope=scope, data=cv.data, content_type=cv.content_type)
        if photo is not None:
            application.photo = file_store(scope=scope, data=photo[0], content_type=photo[1])
        application.save(force_insert=True)
    return application


@transaction.atomic
def application_status_set(*, actor: User, application: Application, status: str, now: datetime | None = None) -> Application:
    """The retention clock starts when the process ends (hired, rejected, withdrawn) and stops if it reopens."""
    if status not in Application.Status.values:
        raise ApplicationError(_("Unknown status."))
    ended = status in Application.ENDED_STATUSES
    if ended and application.process_ended_at is None:
        application.process_ended_at = now or timezone.now()
    elif not ended:
        application.process_ended_at = None
    application.status = status
    application.save(update_fields=["status", "process_ended_at", "updated_at"])
    return application


@transaction.atomic
def application_notes_set(*, actor: User, application: Application, notes: str) -> Application:
    application.notes = notes.strip() or None
    application.save(update_fields=["notes", "updated_at"])
    return application


@transaction.atomic
def application_contact_correct(*, application: Application, name: str = "", email: str = "") -> Application:
    """Rectification (Art. 16, P29): the applicant's corrected name and/or e-mail address; the e-mail is re-indexed
    so a later request finds the application under the new address."""
    fields = ["updated_at"]
    if name.strip():
        application.name = name.strip()
        fields.append("name")
    if email.strip():
        application.email = email.strip()
        application.email_index = email_index(tenant_id=application.tenant_id, email=email)
        fields += ["email", "email_index"]
    application.save(update_fields=fields)
    return application


def applications_erase(
    *, application_ids: Iterable[uuid.UUID], rule: str, now: datetime | None = None, ledger: bool = True
) -> int:
    """Erase applications with their CV and photo: rows, files (after commit), data keys, one ledger row each, all
    in one transaction. Ids already gone are skipped (idempotent); returns how many were erased."""
    from parley.files.models import StoredFile
    from parley.privacy.services import files_erase, ledger_write

    with transaction.atomic():
        rows = Application.objects.select_for_update().filter(id__in=list(application_ids))
        tenants = dict(rows.values_list("id", "tenant_id"))
        if not tenants:
            return 0
        ids = list(tenants)
        files = set(StoredFile.objects.filter(scope_type=SCOPE, scope_id__in=ids).values_list("id", "tenant_id"))
        Application.objects.filter(id__in=ids).delete()
        files_erase(files=files, category=Retention.JOB_APPLICATION, rule=rule, now=now, ledger=ledger)
        data_keys_destroy(scope_type=SCOPE, scope_ids=ids)
        if ledger:  # not when re-applied after a restore (parley restore-check)
            ledger_write(tenant_ids=tenants, target_type="application", category=Retention.JOB_APPLICATION, rule=rule, now=now)
    return len(ids)


def application_delete(*, actor: User, application: Application) -> None:
    """Early deletion by an administrator, through the same path as the retention engine."""
    from parley.privacy.services import Rule

    applications_erase(application_ids=[application.id], rule=Rule.MANUAL)
