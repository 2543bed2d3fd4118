import uuid

from django.db import models


class DataKey(models.Model):
    """A data-encryption key (DEK), stored only wrapped by a key-encryption key; destroying it shreds its scope."""

    class Scope(models.TextChoices):
        TENANT = "tenant"
        PERSON = "person"
        INVITATION = "invitation"
        MAIL = "mail"
        INTERACTION = "interaction"
        CONTACT = "contact"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Not a foreign key: tenant rows are themselves encrypted under a key that must exist before they are inserted.
    tenant_id = models.UUIDField(db_index=True)
    scope_type = models.CharField(max_length=20, choices=Scope.choices)
    scope_id = models.UUIDField()
    kek_version = models.PositiveIntegerField()
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "crypto_key"
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["scope_type", "scope_id"], name="crypto_key_one_per_scope")]

    def __str__(self) -> str:
        return f"DataKey {self.id} ({self.scope_type})"
