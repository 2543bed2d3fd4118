from django.db import models

from parley.core.models import BaseModel
from parley.crypto.fields import EncryptedTextField
from parley.crypto.services import Scope


class OutboxMail(BaseModel):
    """A mail waiting to be sent (transactional outbox). Sent mails are deleted and their key destroyed, except in
    development installations (PARLEY_DEV_OUTBOX), which keep them 30 days for the Outbox page."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    recipient = EncryptedTextField()
    subject = EncryptedTextField()
    body = EncryptedTextField()
    # An iCalendar attachment (text/calendar; method=REQUEST or CANCEL) for appointment mails.
    calendar = EncryptedTextField(null=True, blank=True)
    calendar_method = models.CharField(max_length=10, blank=True)
    template = models.CharField(max_length=100, blank=True)  # which mail this is, for the delivery list
    related_id = models.UUIDField(null=True, blank=True, db_index=True)  # e.g. the appointment it is about
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta(BaseModel.Meta):
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"OutboxMail {self.id}"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="mail", scope_id=self.id)
