"""Anonymous usage statistics (P10): daily counters per tenant, nothing that leads back to a person.

A row says "on this day, this many of this event happened [on this page | with this expert | on this topic | with
this media] [in this duration bucket]". It is incremented when the event is written (see services.py) and never
holds an IP address, an e-mail, a name, an interaction, customer, user or token id. Days are UTC calendar days:
tenants have no time zone of their own, and UTC days never repeat or skip an hour at a daylight-saving change.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    CONVERSATION_STARTED = "conversation_started", _("Conversations started")
    MESSAGE_CUSTOMER = "message_customer", _("Messages from customers")
    MESSAGE_EXPERT = "message_expert", _("Messages from experts")
    DOCUMENT_SHARED = "document_shared", _("Documents shared")
    APPOINTMENT_BOOKED = "appointment_booked", _("Appointments booked")
    APPOINTMENT_CANCELLED = "appointment_cancelled", _("Appointments cancelled")
    CALL = "call", _("Calls")
    FIRST_RESPONSE = "first_response", _("First replies")


class Dimension(models.TextChoices):
    ALL = "", _("All")
    PAGE = "page", _("Page")
    EXPERT = "expert", _("Expert")
    TOPIC = "topic", _("Topic")
    MEDIA = "media", _("Media")


class Bucket(models.TextChoices):
    """Durations (calls) and waiting times (first reply), coarse on purpose."""

    NONE = "", _("Any")
    UNDER_1 = "lt1", _("under 1 min")
    FROM_1_TO_5 = "1-5", _("1–5 min")
    FROM_5_TO_15 = "5-15", _("5–15 min")
    FROM_15_TO_60 = "15-60", _("15–60 min")
    OVER_60 = "gt60", _("over 60 min")


class DailyCount(models.Model):
    """One counter: (tenant, UTC day, metric, dimension, value, bucket) -> count.

    `dimension` "" with `value` "" is the total of the metric; "page" holds a normalised path of the tenant's website
    (services.page_normalise), "expert" the public id of an ExpertProfile (a staff member, never a customer),
    "topic" a Topic id, "media" "audio" or "video"."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    metric = models.CharField(max_length=32, choices=Metric.choices)
    dimension = models.CharField(max_length=16, choices=Dimension.choices, blank=True, default="")
    value = models.CharField(max_length=200, blank=True, default="")
    bucket = models.CharField(max_length=8, choices=Bucket.choices, blank=True, default="")
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "metric", "dimension", "value", "bucket"], name="stats_daily_count_unique"
            )
        ]
        indexes = [models.Index(fields=["tenant", "day"], name="stats_tenant_day")]

    def __str__(self) -> str:
        return f"DailyCount {self.day} {self.metric} {self.dimension}"
