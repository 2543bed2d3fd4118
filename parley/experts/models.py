from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.core.models import BaseModel
from parley.crypto.fields import EncryptedJSONField, EncryptedTextField
from parley.crypto.services import Scope


class ExpertProfile(BaseModel):
    """What end customers see of an expert: photo, description, languages and online status."""

    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        OFFLINE = "offline", _("Offline")

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="expert_profiles")
    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="expert_profile")
    description = EncryptedTextField(_("description"), null=True, blank=True)
    languages = EncryptedJSONField(_("languages"), null=True, blank=True)
    photo = models.ForeignKey("files.StoredFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OFFLINE)
    topics = models.ManyToManyField("experts.Topic", blank=True, related_name="experts", verbose_name=_("topics"))
    # Which pages of the tenant's website offer this expert: path patterns such as /loans/*, one per line.
    page_include = models.TextField(_("show on pages"), blank=True, help_text=_("Empty: every page."))
    page_exclude = models.TextField(_("never on pages"), blank=True)

    def __str__(self) -> str:
        return f"ExpertProfile {self.id}"

    def crypto_scope(self) -> Scope:
        return Scope(tenant_id=self.tenant_id, scope_type="person", scope_id=self.user_id)


class Topic(BaseModel):
    """A subject or team under which a tenant groups its experts, so a visitor can pick a topic first."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta(BaseModel.Meta):
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="topic_name_unique_per_tenant")]

    def __str__(self) -> str:
        return self.name
