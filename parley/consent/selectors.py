"""Reading consent records."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from parley.consent.models import ConsentRecord
from parley.consent.services import Subject, subject_for_email, token_hash
from parley.core.exceptions import NotFound
from parley.tenants.models import Tenant


def subject_of(record: ConsentRecord) -> Subject:
    return Subject(record.tenant_id, record.subject_kind, record.subject_index)


def consent_records_for_subject(*, subject: Subject) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(
        tenant_id=subject.tenant_id, subject_kind=subject.kind, subject_index=subject.index
    ).order_by("given_at", "id")


def consent_active(*, subject: Subject, scope: str) -> bool:
    """Does the person's consent for the scope stand now?"""
    return consent_records_for_subject(subject=subject).filter(scope=scope, withdrawn_at__isnull=True).exists()


def consent_get_by_token(*, tenant: Tenant, token: str) -> ConsentRecord:
    """The record a withdrawal link belongs to, in this tenant only; NotFound alike for unknown and foreign tokens."""
    if not token or len(token) > 100:
        raise NotFound(_("This link is not valid."))
    record = ConsentRecord.objects.filter(tenant=tenant, withdrawal_token_hash=token_hash(token)).first()
    if record is None:
        raise NotFound(_("This link is not valid."))
    return record


def consent_export_for_email(*, tenant: Tenant, email: str) -> list[dict[str, Any]]:
    """The person's consent records for a data-subject access request (parley.dsr): no hash, no token."""
    if not email:
        return []
    subject = subject_for_email(tenant=tenant, email=email)
    return [
        {
            "id": str(record.id),
            "scope": record.scope,
            "notice_version": record.notice_version,
            "source": record.source,
            "given_at": record.given_at,
            "withdrawn_at": record.withdrawn_at,
            "withdrawn_via": record.withdrawn_via,
        }
        for record in consent_records_for_subject(subject=subject)
    ]
