"""Data-subject requests (P28, P29): a person asks the tenant, in their own words, to see, export, correct, erase,
restrict or stop using their data.

The request itself holds personal data (the person's e-mail, name and words), so it is a small personal-data store
of its own: those fields are encrypted under a key of the request alone, and PARLEY_DSR_RETENTION_MONTHS after the
request was closed they are shredded (key destroyed, fields emptied). What remains is a skeleton without personal
data - number, right, dates, status - that shows the tenant answered in time. Unconfirmed requests are deleted
after 48 hours.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.core.models import BaseModel
from parley.crypto.fields import EncryptedJSONField, EncryptedTextField
from parley.crypto.services import Scope


class Right(models.TextChoices):
    ACCESS = "access", _("Access to my data (Art. 15)")
    PORTABILITY = "portability", _("A copy of my data to take elsewhere (Art. 20)")
    RECTIFICATION = "rectification", _("Correct my data (Art. 16)")
    ERASURE = "erasure", _("Erase my data (Art. 17)")
    RESTRICTION = "restriction", _("Restrict the use of my data (Art. 18)")
    OBJECTION = "objection", _("Object to the use of my data (Art. 21)")
    WITHDRAWAL = "withdrawal", _("Withdraw my consent (Art. 7(3))")
    OTHER = "other", _("Something else")


class DataSubjectRequest(BaseModel):
    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Not confirmed yet")
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING_IDENTITY = "waiting_identity", _("Waiting for identity")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")

    OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING_IDENTITY)
    CLOSED_STATUSES = (Status.DONE, Status.REJECTED)

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(null=True, blank=True)  # per tenant, given when the person confirms
    right = models.CharField(_("right"), max_length=16, choices=Right.choices, default=Right.OTHER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNCONFIRMED)
    # Personal fields, encrypted under the request's own key (scope "dsr"); emptied when shredded.
    email = EncryptedTextField(null=True, blank=True)
    name = EncryptedTextField(null=True, blank=True)
    text = EncryptedTextField(null=True, blank=True)
    # What was done, step by step: [{"at", "action", "by", "summary", "counts"}]; ids and counts, no copied data.
    outcome = EncryptedJSONField(null=True, blank=True)
    # Keyed hash of the e-mail: finds the person's interactions (same index as the conversations' search tokens).
    subject_index = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=8, default="en")
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)  # single-use confirmation link
    token_expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)  # confirmed + 1 month (Art. 12(3))
    closed_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    shredded_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="dsr_number_unique_per_tenant")]
        indexes = [models.Index(fields=["tenant", "status", "due_at"], name="dsr_queue")]

    def __str__(self) -> str:
        return f"DataSubjectRequest {self.id}"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="dsr", scope_id=self.id)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES
