from django.db import models

from parley.core.models import BaseModel
from parley.crypto.fields import EncryptedTextField
from parley.crypto.services import Scope


class OutboxMail(BaseModel):
    """A copy of a sent mail for the development outbox page (PARLEY_DEV_OUTBOX); never kept in production."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    recipient = EncryptedTextField()
    subject = EncryptedTextField()
    body = EncryptedTextField()

    class Meta(BaseModel.Meta):
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"OutboxMail {self.id}"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="mail", scope_id=self.id)
