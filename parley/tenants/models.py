from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.core.models import BaseModel
from parley.crypto.fields import EncryptedTextField
from parley.crypto.services import Scope

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #rrggbb."))
slug_validator = RegexValidator(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$", _("Use 1-40 lower-case letters, digits and dashes."))


def readable_text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with `background` (#rrggbb), per WCAG relative luminance."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(background[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def default_reminder_offsets() -> list[int]:
    return [24 * 60, 60]


def default_document_types() -> list[str]:
    return ["pdf", "image"]


MAX_RETENTION_MONTHS = 12  # P06: end-customer data is deleted after 12 months at the latest


class Tenant(BaseModel):
    """A company that runs Parley for its customers: the controller of its end customers' data."""

    slug = models.CharField(max_length=40, unique=True, validators=[slug_validator])
    name = models.CharField(_("organisation name"), max_length=120)
    # Controller and data-protection officer as shown in the privacy notice (P31); may name people.
    controller_contact = EncryptedTextField(_("controller (name, address, e-mail)"), null=True, blank=True)
    dpo_contact = EncryptedTextField(_("data-protection officer (name, e-mail)"), null=True, blank=True)
    primary_colour = models.CharField(_("primary colour"), max_length=7, default="#1f4e79", validators=[colour_validator])
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#f0a500", validators=[colour_validator])
    logo = models.ForeignKey("files.StoredFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    default_language = models.CharField(_("default language"), max_length=8, default="en")
    # P04: what is switched off stores nothing.
    chat_enabled = models.BooleanField(_("chat"), default=True)
    documents_enabled = models.BooleanField(_("documents"), default=True)
    appointments_enabled = models.BooleanField(_("appointments"), default=True)
    calls_enabled = models.BooleanField(_("audio and video calls"), default=True)
    # P05: the customer's browser uses TURN relay candidates only, so the expert never learns their IP address.
    calls_relay_only = models.BooleanField(_("calls: relay the customer's connection (hides their IP address)"), default=False)
    retention_months = models.PositiveSmallIntegerField(
        _("retention of customer data (months)"),
        default=MAX_RETENTION_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RETENTION_MONTHS)],
    )
    require_two_factor = models.BooleanField(_("require two-factor authentication"), default=False)
    # The end-customer web app (issue 3).
    website_origins = models.TextField(
        _("websites that embed Parley"), blank=True, help_text=_("One origin per line, e.g. https://www.example.com")
    )
    privacy_notice_url = models.URLField(_("address of your privacy notice"), blank=True)
    proactive_delay_seconds = models.PositiveSmallIntegerField(
        _("invite visitors after (seconds)"), null=True, blank=True, validators=[MinValueValidator(3), MaxValueValidator(600)]
    )
    proactive_text = models.CharField(_("invitation text"), max_length=200, blank=True)
    proactive_pages = models.TextField(
        _("invite on these pages"), blank=True, help_text=_("One path pattern per line, e.g. /loans/*")
    )
    document_max_mb = models.PositiveSmallIntegerField(
        _("largest document (MB)"), default=20, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    # Appointments (issue 4).
    booking_needs_confirmation = models.BooleanField(_("bookings are requests the expert accepts"), default=False)
    reminder_offsets = models.JSONField(_("reminders before an appointment (minutes)"), default=default_reminder_offsets)
    calendar_sync_minutes = models.PositiveSmallIntegerField(
        _("calendar sync every (minutes)"), default=15, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    calendar_stale_hours = models.PositiveSmallIntegerField(
        _("stop offering slots when a calendar has not synced for (hours)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
    )
    calendar_write_back = models.BooleanField(_("write booked appointments into connected calendars"), default=False)
    document_types = models.JSONField(_("document types customers and experts may send"), default=default_document_types)

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(retention_months__gte=1, retention_months__lte=MAX_RETENTION_MONTHS),
                name="tenant_retention_at_most_12_months",
            )
        ]

    def __str__(self) -> str:
        return self.slug

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.id, scope_type="tenant", scope_id=self.id)

    def website_origin_list(self) -> list[str]:
        return [line.strip().rstrip("/") for line in self.website_origins.splitlines() if line.strip()]


class Membership(BaseModel):
    """A portal account's role in its tenant."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        EXPERT = "expert", _("Expert")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=10, choices=Role.choices)

    def __str__(self) -> str:
        return f"{self.role} {self.user_id}"
