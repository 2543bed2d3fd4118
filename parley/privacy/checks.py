"""System check: every personal-data field is declared in the registry and stored as declared."""

import re
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core import checks
from django.db import models

from parley.privacy.registry import Storage, declaration_for

# Column names that suggest personal data; such a column must be declared (or renamed).
_PERSONAL_NAME = re.compile(
    r"(^|_)(name|first_name|last_name|email|e_mail|phone|mobile|address|street|city|zip|birth|ip|ip_address|"
    r"photo|picture|avatar|description|bio|message|body|note|notes|comment|text|contact|token|secret|key)($|_)"
)
# Names that match the pattern but are not personal data.
_NOT_PERSONAL = {"slug", "scope_type", "kek_version", "content_type", "session_key"}


def _stored_as(field: models.Field) -> set[Storage]:
    from parley.crypto.fields import EncryptedField

    if isinstance(field, EncryptedField):
        return {Storage.ENCRYPTED}
    if field.is_relation and field.related_model is not None and field.related_model._meta.label == "files.StoredFile":
        return {Storage.ENCRYPTED_FILE}
    return {Storage.PASSWORD_HASH, Storage.KEYED_HASH, Storage.PSEUDONYMOUS}


def check_model(model: type[models.Model]) -> list[checks.CheckMessage]:
    from parley.crypto.fields import EncryptedField

    errors: list[checks.CheckMessage] = []
    label = model._meta.label
    declaration = declaration_for(model)
    if declaration is None:
        return [
            checks.Error(
                f"{label} is not declared in the privacy registry.",
                hint="Call parley.privacy.registry.declare() for it in its app's privacy.py (an empty dict if it "
                "holds no personal data).",
                obj=model,
                id="parley.E001",
            )
        ]
    field_names = {f.name for f in model._meta.concrete_fields}
    for name in [*declaration.fields, *declaration.not_personal]:
        if name not in field_names:
            errors.append(checks.Error(f"{label}.{name} is declared but does not exist.", obj=model, id="parley.E002"))
    for field in model._meta.concrete_fields:
        declared = declaration.fields.get(field.name)
        encrypted = isinstance(field, EncryptedField)
        if declared is None:
            if field.name in declaration.not_personal and not encrypted:
                continue
            if encrypted or (_PERSONAL_NAME.search(field.name) and field.name not in _NOT_PERSONAL):
                errors.append(
                    checks.Error(
                        f"{label}.{field.name} looks like personal data but is not declared in the privacy registry.",
                        hint="Declare its category, purpose, legal basis and retention in the app's privacy.py.",
                        obj=model,
                        id="parley.E003",
                    )
                )
            continue
        if declared.storage not in _stored_as(field):
            errors.append(
                checks.Error(
                    f"{label}.{field.name} is declared as {declared.storage} but is not stored that way "
                    f"(personal data must be encrypted at rest).",
                    obj=model,
                    id="parley.E004",
                )
            )
    if any(isinstance(f, EncryptedField) for f in model._meta.concrete_fields):
        if not isinstance(model._meta.pk, models.UUIDField) or not hasattr(model, "crypto_scope"):
            errors.append(
                checks.Error(
                    f"{label} has encrypted fields but no Python-made UUID primary key or crypto_scope().",
                    obj=model,
                    id="parley.E005",
                )
            )
    return errors


def parley_models() -> Iterable[type[models.Model]]:
    for model in apps.get_models():
        if model.__module__.startswith("parley.") and not model._meta.abstract:
            yield model


@checks.register("privacy")
def privacy_registry_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from parley.privacy import declarations_loaded

    declarations_loaded()
    errors: list[checks.CheckMessage] = []
    for model in parley_models():
        errors.extend(check_model(model))
    return errors
