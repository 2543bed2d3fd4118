"""Appointments: what a tenant offers (types), when an expert works (weekly and extra hours, absences), what is
booked, and the busy time synced from their calendars. Instants are UTC; wall-clock rules carry their IANA zone
(the expert's account time zone); a booking keeps the customer's zone for their mails."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.core.models import BaseModel
from parley.crypto.fields import EncryptedTextField
from parley.crypto.services import Scope


class AppointmentType(BaseModel):
    """Defined by the tenant's admins, e.g. "video consultation, 30 min"; experts may adjust the times."""

    class Channel(models.TextChoices):
        VIDEO = "video", _("Video call")
        PHONE = "phone", _("Phone call")

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="appointment_types")
    name = models.CharField(_("name"), max_length=80)
    channel = models.CharField(_("how"), max_length=10, choices=Channel.choices, default=Channel.VIDEO)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=30, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    buffer_before_minutes = models.PositiveSmallIntegerField(
        _("buffer before (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        _("buffer after (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    min_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"), default=120, validators=[MaxValueValidator(60 * 24 * 30)]
    )
    max_days_ahead = models.PositiveSmallIntegerField(
        _("bookable up to (days ahead)"), default=56, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta(BaseModel.Meta):
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="appointment_type_name_unique")]

    def __str__(self) -> str:
        return self.name


class ExpertTypeSetting(BaseModel):
    """An expert's own times for one appointment type; empty values fall back to the type's."""

    expert = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="type_settings")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.CASCADE, related_name="expert_settings")
    enabled = models.BooleanField(default=True)
    duration_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    buffer_before_minutes = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(240)])
    buffer_after_minutes = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(240)])
    min_notice_minutes = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(60 * 24 * 30)])
    max_days_ahead = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )

    class Meta(BaseModel.Meta):
        constraints = [models.UniqueConstraint(fields=["expert", "appointment_type"], name="expert_type_setting_unique")]

    def __str__(self) -> str:
        return f"ExpertTypeSetting {self.id}"


class WeeklyHours(BaseModel):
    expert = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])  # 0 = Monday
    start = models.TimeField()
    end = models.TimeField()  # 00:00 = midnight at the end of the day

    class Meta(BaseModel.Meta):
        ordering = ["weekday", "start"]

    def __str__(self) -> str:
        return f"WeeklyHours {self.weekday} {self.start}-{self.end}"


class ExtraHours(BaseModel):
    """One-off hours on a local date, beside the weekly ones."""

    expert = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="extra_hours")
    date = models.DateField()
    start = models.TimeField()
    end = models.TimeField()

    class Meta(BaseModel.Meta):
        ordering = ["date", "start"]

    def __str__(self) -> str:
        return f"ExtraHours {self.date}"


class Absence(BaseModel):
    expert = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="absences")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta(BaseModel.Meta):
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"Absence {self.id}"


class Appointment(BaseModel):
    """A booked (or requested) appointment; the customer's name and e-mail are on its interaction."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PROPOSED = "proposed", _("Other time proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    interaction = models.ForeignKey("interactions.Interaction", on_delete=models.CASCADE, related_name="appointments")
    expert = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="appointments")
    appointment_type = models.ForeignKey(AppointmentType, null=True, on_delete=models.SET_NULL, related_name="+")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    # Copied at booking, so later changes to the type do not move what was agreed.
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0)
    customer_timezone = models.CharField(max_length=64, default="UTC")
    status = models.CharField(max_length=10, choices=Status.choices)
    proposed_starts_at = models.DateTimeField(null=True, blank=True)
    note = EncryptedTextField(null=True, blank=True)
    expert_message = EncryptedTextField(null=True, blank=True)  # why declined, cancelled or another time
    # The customer's reschedule/cancel link: looked up by hash, kept encrypted so every mail can carry it.
    manage_token_hash = models.CharField(max_length=64, unique=True)
    manage_token = EncryptedTextField()
    sequence = models.PositiveIntegerField(default=0)  # iCalendar SEQUENCE: raised on every change
    reminders_sent = models.JSONField(default=list)  # offsets (minutes) already sent

    class Meta(BaseModel.Meta):
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["expert", "starts_at"], name="appointment_expert_start")]

    def __str__(self) -> str:
        return f"Appointment {self.id}"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="interaction", scope_id=self.interaction_id)


class BusyInterval(models.Model):
    """P12: of a synced calendar event Parley keeps its start and end, nothing else."""

    id = models.BigAutoField(primary_key=True)
    connection = models.ForeignKey("scheduling.CalendarConnection", on_delete=models.CASCADE, related_name="busy")
    expert = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expert", "starts_at"], name="busy_expert_start")]

    def __str__(self) -> str:
        return f"BusyInterval {self.id}"


class CalendarConnection(BaseModel):
    class Provider(models.TextChoices):
        GOOGLE = "google", "Google Calendar"
        MICROSOFT = "microsoft", "Microsoft 365 / Outlook.com"
        CALDAV = "caldav", "CalDAV"

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    expert = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="calendar_connections")
    provider = models.CharField(max_length=12, choices=Provider.choices)
    # Tokens and CalDAV credentials, encrypted under the expert's person key (gone with the account, P09).
    access_token = EncryptedTextField(null=True, blank=True)
    refresh_token = EncryptedTextField(null=True, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    caldav_url = EncryptedTextField(null=True, blank=True)
    caldav_username = EncryptedTextField(null=True, blank=True)
    caldav_password = EncryptedTextField(null=True, blank=True)
    write_back = models.BooleanField(default=False)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)  # a fixed sentence, never a provider's text
    retry_after = models.DateTimeField(null=True, blank=True)
    error_notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"CalendarConnection {self.id} ({self.provider})"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="person", scope_id=self.expert_id)


class OAuthState(BaseModel):
    """A pending authorisation-code flow: state and the PKCE verifier, single use, minutes long."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    expert = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=12)
    state_hash = models.CharField(max_length=64, unique=True)
    code_verifier = EncryptedTextField()

    def __str__(self) -> str:
        return f"OAuthState {self.id}"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="person", scope_id=self.expert_id)
