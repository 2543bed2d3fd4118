import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from parley.notifications.models import OutboxMail
from parley.tenants.models import Tenant

logger = logging.getLogger("parley.mail")


def mail_send(*, tenant: Tenant, to: str, template: str, context: dict, language: str | None = None) -> None:
    """Render `template` (subject on the first line, then the body) and send it after the transaction commits."""
    with translation.override(language or tenant.default_language):
        text = render_to_string(template, {"tenant": tenant, **context}).strip()
    subject, _, body = text.partition("\n")
    subject, body = subject.strip(), body.strip() + "\n"

    def send() -> None:
        message = EmailMessage(subject=subject, body=body, from_email=settings.PARLEY_MAIL_FROM, to=[to])
        try:
            message.send()
        except Exception as exc:
            # No traceback: SMTP errors quote recipient addresses.
            logger.error("Sending a mail failed (template %s): %s", template, type(exc).__name__)

    if settings.PARLEY_DEV_OUTBOX:
        OutboxMail.objects.create(tenant=tenant, recipient=to, subject=subject, body=body)
    transaction.on_commit(send, robust=True)


def outbox_prune() -> int:
    deleted, _ = OutboxMail.objects.filter(created_at__lt=timezone.now() - timedelta(days=30)).delete()
    return deleted
