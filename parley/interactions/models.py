"""Conversations between an end customer and an expert: the interaction, its messages and documents (P04).

Everything personal here is encrypted under the interaction's own data key, so deleting an interaction (P08) or
letting it expire (P06) destroys one key and every copy of its content, backups included, becomes unreadable.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.core.models import BaseModel
from parley.crypto.fields import EncryptedTextField
from parley.crypto.services import Scope


class Side(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    EXPERT = "expert", _("Expert")
    SYSTEM = "system", _("Parley")


class Interaction(BaseModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="interactions")
    expert = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="interactions")
    topic = models.ForeignKey("experts.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    customer_name = EncryptedTextField(_("name"))
    customer_email = EncryptedTextField(_("e-mail"))
    customer_language = models.CharField(max_length=8, default="en")
    customer_timezone = models.CharField(max_length=64, default="UTC")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # Messages are numbered 1, 2, 3... per interaction; clients resume from the last number they saw.
    last_seq = models.PositiveIntegerField(default=0)
    expert_delivered_seq = models.PositiveIntegerField(default=0)
    expert_read_seq = models.PositiveIntegerField(default=0)
    customer_delivered_seq = models.PositiveIntegerField(default=0)
    customer_read_seq = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(db_index=True)  # retention runs from here (P06)
    # Set when an e-mail about unseen messages went out; cleared when that side reads, so one mail per absence.
    expert_notified_at = models.DateTimeField(null=True, blank=True)
    customer_notified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["tenant", "expert", "-last_activity_at"], name="interaction_inbox")]

    def __str__(self) -> str:
        return f"Interaction {self.id}"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="interaction", scope_id=self.id)


class VisitorAccess(BaseModel):
    """A bearer token that opens one interaction without an account: kept by the visitor's browser (P16) or sent
    in a 'continue the conversation' e-mail. Only its SHA-256 is stored."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="accesses")
    token_hash = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return f"VisitorAccess {self.id}"


class SearchToken(models.Model):
    """Keyed hashes of the customer's name words and e-mail, so an expert can find a conversation without Parley
    storing searchable plaintext (blind index)."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="search_tokens")
    token = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["tenant", "token"], name="interaction_search")]

    def __str__(self) -> str:
        return f"SearchToken {self.id}"


class Document(BaseModel):
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="documents")
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")
    filename = EncryptedTextField()
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sender = models.CharField(max_length=10, choices=Side.choices)

    def __str__(self) -> str:
        return f"Document {self.id}"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="interaction", scope_id=self.interaction_id)


class Message(BaseModel):
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    sender = models.CharField(max_length=10, choices=Side.choices)
    author = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = EncryptedTextField(null=True, blank=True)
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta(BaseModel.Meta):
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["interaction", "seq"], name="message_seq_unique")]

    def __str__(self) -> str:
        return f"Message {self.interaction_id}#{self.seq}"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="interaction", scope_id=self.interaction_id)
