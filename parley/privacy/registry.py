"""The privacy registry: what personal data Parley stores, why, on which legal basis and for how long (P13, P30).

Each app declares its models in its `privacy.py`; `parley.privacy.checks` fails start-up (and CI) when a model
under `parley.` is undeclared, when a field that holds personal data is not declared, or when a declared field is
not stored as declared (encrypted, hashed or keyed-hash). Later the register of processing activities and the
published privacy notice are generated from this table.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.db import models


class Storage(StrEnum):
    ENCRYPTED = "encrypted"  # EncryptedField: AES-256-GCM under a scope key
    ENCRYPTED_FILE = "encrypted-file"  # a reference to an encrypted stored file
    PASSWORD_HASH = "password-hash"  # Argon2id, not reversible
    KEYED_HASH = "keyed-hash"  # HMAC blind index, per tenant, for lookups
    PSEUDONYMOUS = "pseudonymous"  # a random id, or a keyed hash that links to no one outside Parley


class Retention(StrEnum):
    ACCOUNT = "account"  # as long as the portal account exists; erased with it (P09)
    TENANT = "tenant"  # as long as the tenant's contract runs
    INVITATION = "invitation"  # until accepted or expired, at most PARLEY_INVITATION_DAYS
    SESSION = "session"  # until logout or expiry (at most PARLEY_REMEMBER_ME_DAYS)
    THROTTLE = "throttle"  # until the lock-out window ends
    DEV_OUTBOX = "dev-outbox"  # development only: 30 days
    SERVICE_12_MONTHS = "service-12-months"  # end-customer service data (P06)


RETENTION_TEXT = {
    Retention.ACCOUNT: "Until the account is deleted by an administrator; deletion is irrevocable (crypto-shredding).",
    Retention.TENANT: "For the duration of the contract with the tenant.",
    Retention.INVITATION: "Until the invitation is accepted or expires.",
    Retention.SESSION: "Until logout or session expiry.",
    Retention.THROTTLE: "Until the lock-out window ends.",
    Retention.DEV_OUTBOX: "Development installations only; 30 days.",
    Retention.SERVICE_12_MONTHS: "12 months after the last activity, or earlier on request.",
}

CONTRACT = "Art. 6(1)(b) GDPR: performance of the contract with the tenant"
LEGITIMATE_INTEREST = "Art. 6(1)(f) GDPR: legitimate interest in securing the service"
LEGAL_OBLIGATION = "Art. 6(1)(c) GDPR: legal obligation"


@dataclass(frozen=True)
class PersonalField:
    category: str
    purpose: str
    legal_basis: str
    retention: Retention
    storage: Storage = Storage.ENCRYPTED


@dataclass
class ModelDeclaration:
    model: type[models.Model]
    fields: dict[str, PersonalField] = field(default_factory=dict)
    not_personal: dict[str, str] = field(default_factory=dict)  # field -> why it is not personal data
    note: str = ""


_registry: dict[str, ModelDeclaration] = {}


def declare(
    model: type[models.Model],
    fields: dict[str, PersonalField] | None = None,
    *,
    not_personal: dict[str, str] | None = None,
    note: str = "",
) -> None:
    """Declare a model's personal-data fields (none: it holds none) and, with a reason, fields whose names look
    personal but are not."""
    _registry[model._meta.label] = ModelDeclaration(model=model, fields=fields or {}, not_personal=not_personal or {}, note=note)


def declaration_for(model: type[models.Model]) -> ModelDeclaration | None:
    return _registry.get(model._meta.label)


def declarations() -> list[ModelDeclaration]:
    return sorted(_registry.values(), key=lambda d: d.model._meta.label)
