"""Open positions on the tenant's careers page and the applications sent to them (P22).

Everything personal of an application (name, e-mail, phone, LinkedIn profile, cover letter, the CV's name, the
administrators' notes) is encrypted under the application's own data key, and so are its CV and photo files:
deleting it (by an administrator or by the retention engine 12 months after the process ended) destroys one key.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.core.models import BaseModel
from parley.crypto.fields import EncryptedTextField
from parley.crypto.services import Scope


class Position(BaseModel):
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_open = models.BooleanField(_("open for applications"), default=True)

    def __str__(self) -> str:
        return f"Position {self.id}"


class Application(BaseModel):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_REVIEW = "in-review", _("In review")
        INTERVIEW = "interview", _("Interview")
        OFFER = "offer", _("Offer")
        HIRED = "hired", _("Hired")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # The process has ended in these: the 12 months of retention run from then (P22).
    ENDED_STATUSES = (Status.HIRED, Status.REJECTED, Status.WITHDRAWN)

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    position = models.ForeignKey(Position, on_delete=models.RESTRICT, related_name="applications")
    name = EncryptedTextField(_("name"))
    email = EncryptedTextField(_("e-mail"))
    # Keyed hash of the e-mail (parley.crypto.blind_index.email_index): a data-subject request finds the application
    # by it (P28, P29). Set by the careers services whenever the e-mail is written.
    email_index = models.CharField(max_length=64, editable=False, default="", db_index=True)
    phone = EncryptedTextField(_("phone"), null=True, blank=True)
    linkedin_url = EncryptedTextField(_("LinkedIn profile"), null=True, blank=True)
    cover_letter = EncryptedTextField(_("cover letter"))
    cv = models.ForeignKey("files.StoredFile", null=True, on_delete=models.SET_NULL, related_name="+")
    cv_filename = EncryptedTextField(_("CV file name"))
    photo = models.ForeignKey("files.StoredFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    notes = EncryptedTextField(_("notes"), null=True, blank=True)
    process_ended_at = models.DateTimeField(null=True, blank=True, db_index=True)  # retention runs from here (P22)

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["tenant", "-created_at"], name="application_list")]

    def __str__(self) -> str:
        return f"Application {self.id}"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="application", scope_id=self.id)
