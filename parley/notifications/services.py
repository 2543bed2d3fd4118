"""Mail goes through an encrypted outbox: the row commits with the change that caused it, a task sends it.

Task arguments and results are stored in plain text by the task backend, so they carry only the outbox id; the
address, subject and body stay encrypted. Failures are logged by exception type only (SMTP errors quote addresses).
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from parley.crypto.services import data_keys_destroy
from parley.notifications.models import OutboxMail
from parley.tenants.models import Tenant

logger = logging.getLogger("parley.mail")

MAX_ATTEMPTS = 5


def mail_send(
    *,
    tenant: Tenant,
    to: str,
    template: str,
    context: dict,
    language: str | None = None,
    calendar: str | None = None,
    calendar_method: str = "",
    related_id: uuid.UUID | None = None,
) -> OutboxMail:
    """Render `template` (subject on the first line, then the body) and queue it to be sent after commit."""
    from parley.notifications.tasks import mail_deliver

    with translation.override(language or tenant.default_language):
        text = render_to_string(template, {"tenant": tenant, **context}).strip()
    subject, _, body = text.partition("\n")
    mail = OutboxMail.objects.create(
        tenant=tenant,
        recipient=to,
        subject=subject.strip(),
        body=body.strip() + "\n",
        calendar=calendar,
        calendar_method=calendar_method,
        template=template,
        related_id=related_id,
    )
    transaction.on_commit(lambda: mail_deliver.enqueue(mail_id=str(mail.id)), robust=True)
    return mail


def mail_deliver_now(*, mail_id: str) -> bool:
    """Send one queued mail; True once it is sent (or already was, or is gone)."""
    mail = OutboxMail.objects.filter(id=mail_id).select_related("tenant").first()
    if mail is None or mail.sent_at is not None:
        return True
    message = EmailMessage(subject=mail.subject, body=mail.body, from_email=settings.PARLEY_MAIL_FROM, to=[mail.recipient])
    if mail.calendar:
        method = mail.calendar_method or "REQUEST"
        message.attach("invite.ics", mail.calendar, f"text/calendar; method={method}; charset=utf-8")
    mail.attempts += 1
    try:
        message.send()
    except Exception as exc:
        logger.error("Sending mail %s failed (attempt %s): %s", mail.id, mail.attempts, type(exc).__name__)
        mail.save(update_fields=["attempts", "updated_at"])
        return False
    mail.sent_at = timezone.now()
    if settings.PARLEY_DEV_OUTBOX:
        mail.save(update_fields=["attempts", "sent_at", "updated_at"])
    else:
        _forget(mail)
    return True


@transaction.atomic
def _forget(mail: OutboxMail) -> None:
    mail_id = mail.id
    mail.delete()
    data_keys_destroy(scope_type="mail", scope_ids=[mail_id])


def mails_retry_unsent() -> int:
    """Re-send mails whose earlier attempts failed (housekeeping); gives up after MAX_ATTEMPTS."""
    sent = 0
    stale = timezone.now() - timedelta(minutes=1)
    for mail_id in OutboxMail.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS, updated_at__lt=stale).values_list(
        "id", flat=True
    )[:100]:
        sent += mail_deliver_now(mail_id=str(mail_id))
    return sent


def outbox_prune() -> int:
    """Drop sent development copies after 30 days and mails that could not be sent after MAX_ATTEMPTS for a week."""
    now = timezone.now()
    old = OutboxMail.objects.filter(sent_at__lt=now - timedelta(days=30)) | OutboxMail.objects.filter(
        sent_at__isnull=True, attempts__gte=MAX_ATTEMPTS, created_at__lt=now - timedelta(days=7)
    )
    ids = list(old.values_list("id", flat=True))
    with transaction.atomic():
        OutboxMail.objects.filter(id__in=ids).delete()
        data_keys_destroy(scope_type="mail", scope_ids=ids)
    return len(ids)
