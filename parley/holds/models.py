"""Legal holds: data that must be kept for legal reasons is blocked instead of deleted (P26, Art. 18 GDPR).

A hold names its target by type and id ("interaction" or "user"); while it is active the target is kept (no
deletion, erasure or retention purge) and no longer used: it disappears from every list, search, export and
statistic, and only the legal-hold list in the admin portal opens it, read-only.

Release keeps the row as the record that a hold existed (who placed and released it, when) but wipes the reason,
which may name people or proceedings: the released row holds ids and timestamps only.

A hold on a person ("user") deactivates the account while it lasts (no sign-in, not offered to customers, not in
the accounts list, not erasable); the conversations the person advises are not held by it: hold those one by one.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.core.models import BaseModel
from parley.crypto.fields import EncryptedTextField
from parley.crypto.services import Scope


class LegalHold(BaseModel):
    class TargetType(models.TextChoices):
        INTERACTION = "interaction", _("Conversation")
        USER = "user", _("Person")

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    target_type = models.CharField(_("type"), max_length=16, choices=TargetType.choices)
    # No foreign key: the target type varies, and a hold must never cascade away with (or block the schema of) it.
    target_id = models.UUIDField()
    # Why the data is kept (statute, proceedings); encrypted under the tenant's key, wiped on release.
    reason = EncryptedTextField(_("reason"), null=True, blank=True)
    placed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    placed_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A held person's account is deactivated (no sign-in, not offered, not listed); True when the hold did that, so
    # release reactivates only an account that was active before.
    deactivated_account = models.BooleanField(default=False)

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "target_type", "target_id"],
                condition=models.Q(released_at__isnull=True),
                name="legal_hold_one_active_per_target",
            )
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="legal_hold_target")]

    def __str__(self) -> str:
        return f"LegalHold {self.id}"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="tenant", scope_id=self.tenant_id)

    @property
    def is_active(self) -> bool:
        return self.released_at is None
