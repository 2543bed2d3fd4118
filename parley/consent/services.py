"""Giving and withdrawing consent (Art. 7 GDPR). Writes only; reads are in selectors.py.

The caller decides when consent is needed (a newsletter sign-up, an optional-cookie banner) and calls consent_give
with the person's subject reference; it gets back the record and the withdrawal token, which it puts into the
withdrawal link (consent_withdrawal_url) of its confirmation page and of every mail. The token is shown once and
stored only as a hash.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.consent.models import ConsentRecord, ConsentScope, SubjectKind
from parley.core.exceptions import ApplicationError
from parley.crypto.blind_index import email_index
from parley.tenants.models import Tenant

TOKEN_BYTES = 32


@dataclass(frozen=True)
class Subject:
    """Who consented, as Parley may store it: a keyed hash or a random id, never an e-mail address."""

    tenant_id: uuid.UUID
    kind: str
    index: str


def subject_for_email(*, tenant: Tenant, email: str) -> Subject:
    if not email or "@" not in email:
        raise ApplicationError(_("An e-mail address is needed."))
    return Subject(tenant.id, SubjectKind.EMAIL_INDEX, email_index(tenant_id=tenant.id, email=email))


def subject_for_random_id(*, tenant: Tenant, subject_id: str) -> Subject:
    """A subject id the caller made with subject_id_new() and keeps (e.g. in the visitor's browser)."""
    if not 20 <= len(subject_id) <= 64 or not subject_id.replace("-", "").replace("_", "").isalnum():
        raise ApplicationError(_("This subject id is not valid."))
    return Subject(tenant.id, SubjectKind.RANDOM_ID, subject_id)


def subject_id_new() -> str:
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def notice_version_current() -> str:
    """The version of the generated privacy notice (parley/privacy/notice.py): it changes with the register."""
    from parley.privacy.notice import notice_version

    return notice_version()


@transaction.atomic
def consent_give(
    *,
    subject: Subject,
    scope: str,
    source: str = "",
    notice_version: str | None = None,
    now: datetime | None = None,
) -> tuple[ConsentRecord, str]:
    """Record one act of consent; return the record and its withdrawal token (shown once, stored hashed)."""
    if scope not in ConsentScope.values:
        raise ApplicationError(_("Unknown consent scope."))
    version = notice_version or notice_version_current()
    if not version or len(version) > 40:
        raise ApplicationError(_("A privacy notice version is needed."))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    record = ConsentRecord.objects.create(
        tenant_id=subject.tenant_id,
        subject_kind=subject.kind,
        subject_index=subject.index,
        scope=scope,
        notice_version=version,
        source=source[:32],
        given_at=now or timezone.now(),
        withdrawal_token_hash=token_hash(token),
    )
    return record, token


@transaction.atomic
def consent_withdraw(*, subject: Subject, scope: str, via: str = ConsentRecord.Ended.SERVICE, now: datetime | None = None) -> int:
    """End every standing consent of the person for the scope; return how many records it ended (0: nothing was
    standing, so calling it again changes nothing)."""
    return ConsentRecord.objects.filter(
        tenant_id=subject.tenant_id,
        subject_kind=subject.kind,
        subject_index=subject.index,
        scope=scope,
        withdrawn_at__isnull=True,
    ).update(withdrawn_at=now or timezone.now(), withdrawn_via=via)


@transaction.atomic
def consent_withdraw_by_token(*, tenant: Tenant, token: str) -> tuple[ConsentRecord, int]:
    """The one-click link: withdraw the consent the token belongs to (and any later consent of the same person and
    scope: whoever clicks an old link wants it to stop). Raises NotFound for an unknown token."""
    from parley.consent.selectors import consent_get_by_token, subject_of

    record = consent_get_by_token(tenant=tenant, token=token)
    ended = consent_withdraw(subject=subject_of(record), scope=record.scope, via=ConsentRecord.Ended.LINK)
    record.refresh_from_db()
    return record, ended


@transaction.atomic
def consents_withdraw_for_email(*, tenant: Tenant, email: str) -> int:
    """A data-subject request (Art. 7(3), 21): end every standing consent of the person in this tenant."""
    if not email:
        return 0
    subject = subject_for_email(tenant=tenant, email=email)
    return ConsentRecord.objects.filter(
        tenant_id=tenant.id, subject_kind=subject.kind, subject_index=subject.index, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now(), withdrawn_via=ConsentRecord.Ended.REQUEST)


def consent_withdrawal_url(*, tenant: Tenant, token: str) -> str:
    """The absolute one-click withdrawal link for mails and confirmation pages."""
    return settings.PARLEY_BASE_URL + reverse("consent:withdraw", kwargs={"slug": tenant.slug, "token": token})


def consent_records_prune(*, now: datetime | None = None) -> int:
    """Delete records withdrawn more than PARLEY_CONSENT_PROOF_MONTHS ago (housekeeping)."""
    months = settings.PARLEY_CONSENT_PROOF_MONTHS
    cutoff = (now or timezone.now()) - timedelta(days=round(months * 365.25 / 12))
    deleted, _ = ConsentRecord.objects.filter(withdrawn_at__lt=cutoff).delete()
    return deleted
