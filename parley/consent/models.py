"""Consent records: proof of what a person agreed to, under which privacy-notice version, and when they withdrew
(Art. 7(1) and 7(3) GDPR).

A record names its person only by a keyed hash: the per-tenant e-mail blind index (the same value as
`User.email_index` in that tenant, so a data-subject request finds it) or, for someone Parley knows no e-mail of,
a random subject id the caller keeps (e.g. in the visitor's browser). No plaintext e-mail, no IP address. The
one-click withdrawal link carries a random token; only its SHA-256 is stored.

Each act of consent is its own record (the notice version may differ between them); a withdrawal ends every
standing record of that person and scope. Standing records are kept while the consent stands; withdrawn ones
PARLEY_CONSENT_PROOF_MONTHS (default 36: the regular limitation period of claims, §195 BGB) as proof, then
housekeeping deletes them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.core.models import BaseModel


class ConsentScope(models.TextChoices):
    NEWSLETTER = "newsletter", _("Newsletter by e-mail")
    OPTIONAL_COOKIES = "optional-cookies", _("Optional cookies")


class SubjectKind(models.TextChoices):
    EMAIL_INDEX = "email-index", _("E-mail blind index")
    RANDOM_ID = "random-id", _("Random subject id")


class ConsentRecord(BaseModel):
    """One act of consent by one person for one scope, and its withdrawal."""

    class Ended(models.TextChoices):
        LINK = "link", _("Withdrawn by the link")
        REQUEST = "request", _("Withdrawn through a data-subject request")
        SERVICE = "service", _("Withdrawn in the application")

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    subject_kind = models.CharField(max_length=16, choices=SubjectKind.choices)
    subject_index = models.CharField(max_length=64)  # HMAC e-mail index or random id; never the e-mail itself
    scope = models.CharField(max_length=32, choices=ConsentScope.choices)
    notice_version = models.CharField(max_length=40)
    source = models.CharField(max_length=32, blank=True)  # where it was given: "widget", "public-site", ...
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_via = models.CharField(max_length=16, choices=Ended.choices, blank=True)
    withdrawal_token_hash = models.CharField(max_length=64, unique=True)

    class Meta(BaseModel.Meta):
        indexes = [
            models.Index(fields=["tenant", "subject_index", "scope"], name="consent_subject_scope"),
            models.Index(fields=["withdrawn_at"], name="consent_withdrawn_at"),
        ]

    def __str__(self) -> str:
        return f"ConsentRecord {self.id}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None
