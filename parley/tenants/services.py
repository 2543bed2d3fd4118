from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from parley.core.exceptions import ApplicationError
from parley.files.services import image_replace
from parley.tenants.models import Tenant

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
