"""The privacy registry: what personal data Parley stores, why, on which legal basis and for how long (P13, P30).

Each app declares its models in its `privacy.py`; `parley.privacy.checks` fails start-up (and CI) when a model
under `parley.` is undeclared, when a field that holds personal data is not declared, or when a declared field is
not stored as declared (encrypted, hashed or keyed-hash). Later the register of processing activities and the
published privacy notice are generated from this table.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_noop


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
    DSR_REQUEST = "dsr-request"  # data-subject request: PARLEY_DSR_RETENTION_MONTHS after it was closed (P29)
    CONSENT_PROOF = "consent-proof"  # while consent stands, then PARLEY_CONSENT_PROOF_MONTHS after withdrawal
    JOB_APPLICATION = "job-application"  # 12 months after the application process ended (P22)


# Texts the privacy notice shows are marked with gettext_noop (by that name: makemessages finds no alias) and
# translated when the notice is rendered (parley/privacy/notice.py).
RETENTION_TEXT = {
    Retention.ACCOUNT: gettext_noop(
        "Until the account is deleted by an administrator; deletion is irrevocable (crypto-shredding)."
    ),
    Retention.TENANT: gettext_noop("For the duration of the contract with the tenant."),
    Retention.INVITATION: gettext_noop("Until the invitation is accepted or expires."),
    Retention.SESSION: gettext_noop("Until logout or session expiry."),
    Retention.THROTTLE: gettext_noop("Until the lock-out window ends."),
    Retention.DEV_OUTBOX: gettext_noop("Development installations only; 30 days."),
    # The notice shows the tenant's own period instead (notice._service_retention).
    Retention.SERVICE_12_MONTHS: "12 months after the last activity, or earlier on request.",
    # The notice shows these two with the configured values (parley.privacy.notice), translated there.
    Retention.DSR_REQUEST: "36 months after the request was closed (PARLEY_DSR_RETENTION_MONTHS); unconfirmed ones 48 hours.",
    Retention.CONSENT_PROOF: "While the consent stands; after withdrawal 36 months as proof (PARLEY_CONSENT_PROOF_MONTHS).",
    Retention.JOB_APPLICATION: gettext_noop("12 months after the application process ended."),
}

CONTRACT = gettext_noop("Art. 6(1)(b) GDPR: performance of the contract with the tenant")
LEGITIMATE_INTEREST = gettext_noop("Art. 6(1)(f) GDPR: legitimate interest in securing the service")
LEGAL_OBLIGATION = gettext_noop("Art. 6(1)(c) GDPR: legal obligation")
CONSENT = gettext_noop("Art. 6(1)(a) GDPR: consent, withdrawable at any time (Art. 7(3))")


@dataclass(frozen=True)
class PersonalField:
    category: str
    purpose: str
    legal_basis: str
    retention: Retention
    storage: Storage = Storage.ENCRYPTED
    # Whose data it is (end customers, experts, ...) for the register of processing activities (P30); empty: derived
    # from the model by parley.privacy.register.
    subjects: tuple[str, ...] = ()


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
