from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from parley.core.exceptions import ApplicationError, NotFound
from parley.experts.pages import clean_path_patterns
from parley.files.services import image_replace
from parley.tenants.document_types import DOCUMENT_TYPES
from parley.tenants.models import Tenant
from parley.tenants.origins import clean_origins

if TYPE_CHECKING:
    from parley.accounts.models import User

SETTINGS_FIELDS = (
    "name",
    "controller_contact",
    "dpo_contact",
    "primary_colour",
    "accent_colour",
    "default_language",
    "chat_enabled",
    "documents_enabled",
    "appointments_enabled",
    "calls_enabled",
    "calls_relay_only",
    "retention_months",
    "require_two_factor",
)


@transaction.atomic
def tenant_create(*, slug: str, name: str, **settings: Any) -> Tenant:
    tenant = Tenant(slug=slug, name=name, **settings)
    _validate(tenant)
    tenant.save(force_insert=True)
    return tenant


def _validate(tenant: Tenant) -> None:
    try:
        tenant.full_clean(exclude=["logo", "controller_contact", "dpo_contact"], validate_unique=True)
    except ValidationError as exc:
        messages = [f"{_label(field)}: {' '.join(errors)}" for field, errors in exc.message_dict.items()]
        raise ApplicationError(" ".join(messages)) from None


def _label(field: str) -> str:
    if field == "__all__":
        return _("Settings")
    model_field = Tenant._meta.get_field(field)
    return str(getattr(model_field, "verbose_name", field)).capitalize()


@transaction.atomic
def tenant_settings_update(*, tenant: Tenant, **changes: Any) -> Tenant:
    """Change an organisation's settings; unknown keys are refused, values are validated before saving."""
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown settings: %(names)s") % {"names": ", ".join(sorted(unknown))})
    for field, value in changes.items():
        setattr(tenant, field, value)
    _validate(tenant)
    tenant.save(update_fields=[*changes, "updated_at"])
    return tenant


def tenant_logo_set(*, tenant: Tenant, data: bytes | None) -> Tenant:
    """Store a new logo (re-encoded, at most 400 px); None removes it."""
    image_replace(
        owner=tenant,
        field="logo",
        scope=tenant.crypto_scope(),
        data=data,
        max_bytes=settings.PARLEY_MAX_PHOTO_BYTES,
        max_pixels=400,
    )
    return tenant


WIDGET_FIELDS = (
    "website_origins",
    "privacy_notice_url",
    "proactive_delay_seconds",
    "proactive_text",
    "proactive_pages",
    "document_max_mb",
    "document_types",
)


@transaction.atomic
def tenant_widget_update(
    *,
    actor: "User",
    tenant: Tenant,
    website_origins: str,
    privacy_notice_url: str,
    proactive_delay_seconds: int | None,
    proactive_text: str,
    proactive_pages: str,
    document_max_mb: int,
    document_types: list[str],
) -> Tenant:
    """Change how the tenant's website embeds Parley: allowed origins, privacy notice, proactive invitation and
    documents. Origins and page patterns are normalised; nothing is saved unless every value is valid."""
    if actor.tenant_id != tenant.id:
        raise NotFound(_("No such organisation."))
    unknown = [key for key in document_types if key not in DOCUMENT_TYPES]
    if unknown:
        raise ApplicationError(_("Unknown document types: %(names)s") % {"names": ", ".join(sorted(unknown))})
    if not document_types:
        raise ApplicationError(_("Choose at least one document type."))
    if proactive_delay_seconds is not None and not proactive_text.strip():
        raise ApplicationError(_("Write the invitation text, or leave the delay empty to invite nobody."))
    try:
        tenant.website_origins = clean_origins(website_origins)
        tenant.proactive_pages = clean_path_patterns(proactive_pages)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages)) from None
    privacy_notice_url = privacy_notice_url.strip()
    if privacy_notice_url:
        try:
            URLValidator(schemes=["http", "https"])(privacy_notice_url)
        except ValidationError:
            raise ApplicationError(_("Enter the privacy notice's web address, starting with https://")) from None
    tenant.privacy_notice_url = privacy_notice_url
    tenant.proactive_delay_seconds = proactive_delay_seconds
    tenant.proactive_text = proactive_text.strip()
    tenant.document_max_mb = document_max_mb
    tenant.document_types = [key for key in DOCUMENT_TYPES if key in document_types]
    _validate(tenant)
    tenant.save(update_fields=[*WIDGET_FIELDS, "updated_at"])
    return tenant
