"""Data-subject requests (P28, P29): intake confirmed through a single-use e-mail link, the admins' queue with a
one-month due date, and the actions that carry out each right across every store, recorded on the request.

The request log keeps what was done (counts, ids of nobody, the admin's notes), never a copy of the person's data.
"""

import calendar
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import User
from parley.core.exceptions import ApplicationError, NotFound
from parley.crypto.blind_index import normalise_email
from parley.crypto.services import data_keys_destroy
from parley.dsr.models import DataSubjectRequest, Right
from parley.dsr.selectors import (
    access_pending_request,
    optional_module,
    split_held,
    subject_applications,
    subject_index_for,
    subject_interactions,
    token_hash,
)
from parley.interactions.models import Document, Message, SearchToken
from parley.interactions.selectors import search_tokens_for
from parley.interactions.services import interaction_delete
from parley.notifications.models import OutboxMail
from parley.notifications.services import mail_send
from parley.tenants.models import Membership, Tenant

CONFIRM_HOURS = 24  # the confirmation link works this long
UNCONFIRMED_KEEP_HOURS = 48  # then the unconfirmed request is deleted
MAX_TEXT_CHARS = 5000
MAX_PENDING_PER_ADDRESS = 3  # unconfirmed requests per address and day: no mail bombing through this form
UI_LANGUAGES = ("en", "de", "fr", "it")
Status = DataSubjectRequest.Status


def retention_months() -> int:
    return int(settings.PARLEY_DSR_RETENTION_MONTHS)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (or the month's last day): the GDPR's "one month" (Art. 12(3))."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _absolute(path: str) -> str:
    return settings.PARLEY_BASE_URL + path


def _log(
    request: DataSubjectRequest, *, action: str, actor: User | None = None, counts: dict | None = None, note: str = ""
) -> None:
    entry: dict[str, Any] = {"at": timezone.now().isoformat(), "action": action}
    if actor is not None:
        entry["by"] = str(actor.id)
    if counts:
        entry["counts"] = counts
    if note:
        entry["note"] = note
    request.outcome = [*(request.outcome or []), entry]


def _clean_email(email: Any) -> str:
    email = email.strip() if isinstance(email, str) else ""
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise ApplicationError(
            _("Enter a valid e-mail address."), {"fields": {"email": _("Enter a valid e-mail address.")}}
        ) from None
    return email


# --- intake ---------------------------------------------------------------------------------------------------


@transaction.atomic
def request_submit(
    *,
    tenant: Tenant,
    email: str,
    text: str,
    right: str = "",
    name: str = "",
    language: str = "",
    source_interaction_id: uuid.UUID | None = None,
) -> None:
    """Store an unconfirmed request and mail a single-use confirmation link to `email`.

    Says nothing about whether Parley knows the address: the answer is the same either way, and only whoever reads
    that mailbox can confirm (identity verification for people without an account).

    `source_interaction_id`: sent from the web app by the visitor of that conversation (their token was checked by
    the caller); the log records the conversation's id, nothing else, so the admins see where it came from. Who the
    person is, is still confirmed by the e-mail link alone."""
    email = _clean_email(email)
    name = (name or "").strip()[:120]
    text = (text or "").strip()
    right = right if right in Right.values else Right.OTHER
    if len(text) > MAX_TEXT_CHARS:
        raise ApplicationError(_("Please write at most %(n)s characters.") % {"n": MAX_TEXT_CHARS})
    if not text and right == Right.OTHER:
        raise ApplicationError(_("Tell us what you would like us to do, or choose one of the rights."))
    index = subject_index_for(tenant_id=tenant.id, email=email)
    recent = DataSubjectRequest.objects.filter(
        tenant=tenant, subject_index=index, status=Status.UNCONFIRMED, created_at__gt=timezone.now() - timedelta(days=1)
    )
    if recent.count() >= MAX_PENDING_PER_ADDRESS:
        return  # silently: the person already has links in their mailbox
    token = secrets.token_urlsafe(32)
    request = DataSubjectRequest.objects.create(
        tenant=tenant,
        right=right,
        email=email,
        name=name or None,
        text=text or None,
        outcome=[],
        subject_index=index,
        language=language if language in UI_LANGUAGES else tenant.default_language,
        token_hash=token_hash(token),
        token_expires_at=timezone.now() + timedelta(hours=CONFIRM_HOURS),
    )
    if source_interaction_id is not None:
        _log(request, action="widget", counts={"interaction": str(source_interaction_id)})
        request.save(update_fields=["outcome"])
    link = _absolute(reverse("dsr:confirm", kwargs={"slug": tenant.slug, "token": token}))
    mail_send(
        tenant=tenant,
        to=email,
        template="dsr/mail/confirm.txt",
        context={"link": link, "hours": CONFIRM_HOURS, "right": Right(right).label},
        language=request.language,
        related_id=request.id,
    )


@transaction.atomic
def request_confirm(*, tenant: Tenant, token: str) -> DataSubjectRequest:
    """The person opened the link and confirmed: the request enters the admins' queue, due one month later, and
    the person gets a receipt. The link works once."""
    pending = access_pending_request(tenant=tenant, token=token)
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()  # numbers are given one at a time per tenant
    request = DataSubjectRequest.objects.select_for_update().get(pk=pending.pk)
    if request.status != Status.UNCONFIRMED or request.token_hash is None:
        raise NotFound(_("This confirmation link is not valid (any more)."))
    now = timezone.now()
    last = DataSubjectRequest.objects.filter(tenant=tenant).aggregate(n=Max("number"))["n"] or 0
    request.number = last + 1
    request.status = Status.NEW
    request.confirmed_at = now
    request.due_at = add_months(now, 1)
    request.token_hash = None
    request.token_expires_at = None
    _log(request, action="received")
    request.save()
    context = {
        "number": request.number,
        "received": request.confirmed_at,
        "due": request.due_at,
        "right": Right(request.right).label,
    }
    mail_send(
        tenant=tenant,
        to=request.email or "",
        template="dsr/mail/receipt.txt",
        context=context,
        language=request.language,
        related_id=request.id,
    )
    link = _absolute(reverse("dsr:detail", kwargs={"slug": tenant.slug, "request_id": request.id}))
    for admin in User.objects.filter(tenant=tenant, is_active=True, membership__role=Membership.Role.ADMIN):
        mail_send(
            tenant=tenant,
            to=admin.email,
            template="dsr/mail/admin_new.txt",
            context={**context, "link": link},
            language=admin.language or None,
            related_id=request.id,
        )
    return request


# --- the queue ------------------------------------------------------------------------------------------------


def _require_open(request: DataSubjectRequest) -> None:
    if request.shredded_at is not None:
        raise ApplicationError(_("This request was closed long ago; its details have been deleted."))
    if not request.is_open:
        raise ApplicationError(_("This request is closed. Reopen it first."))


def _start(request: DataSubjectRequest, actor: User) -> None:
    if request.status == Status.NEW:
        request.status = Status.IN_PROGRESS
    request.handled_by = actor


@transaction.atomic
def request_status_set(
    *, actor: User, request: DataSubjectRequest, status: str, note: str = "", tell_person: bool = False
) -> None:
    """Move the request through new → in progress / waiting for identity → done or rejected (or reopen it)."""
    if request.shredded_at is not None:
        raise ApplicationError(_("This request was closed long ago; its details have been deleted."))
    if status not in (*DataSubjectRequest.OPEN_STATUSES, *DataSubjectRequest.CLOSED_STATUSES):
        raise ApplicationError(_("Unknown status."))
    note = (note or "").strip()[:MAX_TEXT_CHARS]
    request.status = status
    request.handled_by = actor
    request.closed_at = timezone.now() if status in DataSubjectRequest.CLOSED_STATUSES else None
    _log(request, action="status", actor=actor, counts={"status": status}, note=note)
    if tell_person and status in DataSubjectRequest.CLOSED_STATUSES and request.email:
        mail_send(
            tenant=request.tenant,
            to=request.email,
            template="dsr/mail/closed.txt",
            context={"number": request.number, "done": status == Status.DONE, "note": note},
            language=request.language,
            related_id=request.id,
        )
        _log(request, action="closed_mail", actor=actor)
    request.save()


@transaction.atomic
def request_note_add(*, actor: User, request: DataSubjectRequest, note: str) -> None:
    note = (note or "").strip()[:MAX_TEXT_CHARS]
    if not note:
        raise ApplicationError(_("Write a note."))
    if request.shredded_at is not None:
        raise ApplicationError(_("This request was closed long ago; its details have been deleted."))
    _log(request, action="note", actor=actor, note=note)
    request.save()


def request_export_logged(*, actor: User, request: DataSubjectRequest, counts: dict[str, int]) -> None:
    """Record that the admin downloaded the export (what it held, not the data)."""
    with transaction.atomic():
        request = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        _start(request, actor)
        _log(request, action="export", actor=actor, counts=counts)
        request.save()


@transaction.atomic
def request_erase(*, actor: User, request: DataSubjectRequest) -> dict[str, int]:
    """Art. 17: every conversation and booking of the person in this tenant goes through the one deletion path
    (messages, documents and their files, appointments, name and e-mail; the data keys are destroyed). Conversations
    under legal hold are skipped and counted. Mails still queued to the person are dropped too."""
    _require_open(request)
    interactions = list(subject_interactions(tenant=request.tenant, subject_index=request.subject_index))
    free, held = split_held(interactions)
    ids = [i.id for i in free]
    counts = {
        "interactions": len(free),
        "messages": Message.objects.filter(interaction_id__in=ids).count(),
        "documents": Document.objects.filter(interaction_id__in=ids).count(),
        "appointments": _appointment_count(ids),
        "held": len(held),
        "mails": _queued_mails_drop(request),
    }
    for interaction in free:
        interaction_delete(interaction=interaction, rule="dsr")
    counts["applications"] = _applications_erase(request)
    _start(request, actor)
    _log(request, action="erasure", actor=actor, counts=counts)
    request.save()
    return counts


def _applications_erase(request: DataSubjectRequest) -> int:
    """The person's job applications (parley.careers) with CV, photo and data key, through the careers module's
    one deletion path, ledger rule "dsr"."""
    ids = list(subject_applications(tenant=request.tenant, email=request.email).values_list("id", flat=True))
    if not ids:
        return 0
    from parley.careers.services import applications_erase

    return applications_erase(application_ids=ids, rule="dsr")


def _appointment_count(interaction_ids: list) -> int:
    from parley.scheduling.models import Appointment

    return Appointment.objects.filter(interaction_id__in=interaction_ids).count()


def _queued_mails_drop(request: DataSubjectRequest) -> int:
    """Outbox rows addressed to the person (unsent mails, or a development outbox's copies), except this request's
    own mails. Recipients are encrypted, so they are opened one by one: the outbox is small (sent mails are deleted)."""
    wanted = normalise_email(request.email or "")
    ids = [
        mail.id
        for mail in OutboxMail.objects.filter(tenant_id=request.tenant_id).exclude(template__startswith="dsr/")
        if normalise_email(mail.recipient) == wanted
    ]
    OutboxMail.objects.filter(id__in=ids).delete()
    data_keys_destroy(scope_type="mail", scope_ids=ids)
    return len(ids)


@transaction.atomic
def request_rectify(*, actor: User, request: DataSubjectRequest, name: str = "", email: str = "") -> dict[str, int]:
    """Art. 16: correct the customer's name and/or e-mail address on each of their conversations (and the search
    index built from them). Held conversations are left as they are and counted."""
    _require_open(request)
    name = (name or "").strip()
    email = email.strip() if email else ""
    if not name and not email:
        raise ApplicationError(_("Enter the corrected name or e-mail address."))
    if name and len(name) > 120:
        raise ApplicationError(_("Enter a name of at most 120 characters."))
    if email:
        email = _clean_email(email)
    interactions = list(subject_interactions(tenant=request.tenant, subject_index=request.subject_index))
    free, held = split_held(interactions)
    for interaction in free:
        fields = ["updated_at"]
        if name:
            interaction.customer_name = name
            fields.append("customer_name")
        if email:
            interaction.customer_email = email
            fields.append("customer_email")
        interaction.save(update_fields=fields)
        SearchToken.objects.filter(interaction=interaction).delete()
        SearchToken.objects.bulk_create(
            SearchToken(tenant_id=interaction.tenant_id, interaction=interaction, token=t)
            for t in search_tokens_for(
                tenant_id=interaction.tenant_id, name=interaction.customer_name, email=interaction.customer_email
            )
        )
    applications = list(subject_applications(tenant=request.tenant, email=request.email))
    if applications:
        from parley.careers.services import application_contact_correct

        for application in applications:
            application_contact_correct(application=application, name=name, email=email)
    if email:
        # The request follows the person to their corrected address: later actions (export, erasure) find the
        # conversations and applications there, and the closing mail reaches them there.
        request.subject_index = subject_index_for(tenant_id=request.tenant_id, email=email)
        request.email = email
    counts = {"interactions": len(free), "held": len(held), "applications": len(applications)}
    _start(request, actor)
    _log(request, action="rectification", actor=actor, counts=counts)
    request.save()
    return counts


@transaction.atomic
def request_restrict(*, actor: User, request: DataSubjectRequest) -> dict[str, int]:
    """Art. 18: place each of the person's conversations under legal hold (parley.holds): kept, but hidden from
    every view, export and statistic and skipped by retention until the hold is lifted."""
    _require_open(request)
    holds = optional_module("holds", "services")
    counts: dict[str, int]
    if holds is None:
        counts = {"unavailable": 1}
    else:
        interactions = list(subject_interactions(tenant=request.tenant, subject_index=request.subject_index))
        free, held = split_held(interactions)
        reason = _("Restriction requested by the data subject (request #%(n)s, Art. 18 GDPR)") % {"n": request.number}
        for interaction in free:
            holds.hold_place_on_interaction(actor=actor, interaction_id=interaction.id, reason=reason)
        counts = {"held_now": len(free), "already_held": len(held)}
    # Legal holds know conversations and accounts only: job applications cannot be blocked, and the log says so.
    unsupported = subject_applications(tenant=request.tenant, email=request.email).count()
    if unsupported:
        counts["applications_not_restricted"] = unsupported
    _start(request, actor)
    _log(request, action="restriction", actor=actor, counts=counts)
    request.save()
    return counts


@transaction.atomic
def request_consent_withdraw(*, actor: User, request: DataSubjectRequest) -> dict[str, int]:
    """Art. 7(3) / 21: withdraw every consent the person gave this tenant (parley.consent), effective at once."""
    _require_open(request)
    consent = optional_module("consent", "services")
    counts: dict[str, int]
    if consent is None:
        counts = {"unavailable": 1}
    else:
        withdrawn = consent.consents_withdraw_for_email(tenant=request.tenant, email=request.email or "")
        counts = {"withdrawn": int(withdrawn or 0)}
    _start(request, actor)
    _log(request, action="consent", actor=actor, counts=counts)
    request.save()
    return counts


# --- retention of the requests themselves ---------------------------------------------------------------------


def requests_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Housekeeping: unconfirmed requests go after 48 hours; a closed request's personal fields (e-mail, name, text,
    log) are shredded PARLEY_DSR_RETENTION_MONTHS after it was closed, leaving number, right, status and dates."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            DataSubjectRequest.objects.filter(
                status=Status.UNCONFIRMED, created_at__lt=now - timedelta(hours=UNCONFIRMED_KEEP_HOURS)
            ).values_list("id", flat=True)
        )
        DataSubjectRequest.objects.filter(id__in=stale).delete()
        data_keys_destroy(scope_type="dsr", scope_ids=stale)
    cutoff = add_months(now, -retention_months())
    with transaction.atomic():
        old = list(
            DataSubjectRequest.objects.filter(
                status__in=DataSubjectRequest.CLOSED_STATUSES, closed_at__lt=cutoff, shredded_at__isnull=True
            ).values_list("id", flat=True)
        )
        DataSubjectRequest.objects.filter(id__in=old).update(
            email=None, name=None, text=None, outcome=None, subject_index="", token_hash=None, shredded_at=now
        )
        data_keys_destroy(scope_type="dsr", scope_ids=old)
    return {"unconfirmed": len(stale), "shredded": len(old)}
