"""The register of processing activities (Art. 30 GDPR; P13, P30), built from the privacy registry.

`register_build` is a pure function: declarations, further stores and processors in, one row per personal-data
category out. `parley register` prints it as Markdown or CSV and the privacy notice (parley/privacy/notice.py) shows
the same rows, so the published notice and the register cannot drift apart.
"""

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from importlib import import_module
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_noop

from parley.privacy.registry import RETENTION_TEXT, ModelDeclaration, Retention, Storage

# Data subjects: whose data a field holds. A PersonalField may name them (`subjects=`); otherwise they follow from
# the model or, failing that, its app. Marked for makemessages: the privacy notice translates them.
END_CUSTOMERS = gettext_noop("end customers")
EXPERTS = gettext_noop("experts")
ADMINISTRATORS = gettext_noop("administrators")
INVITEES = gettext_noop("invited experts and administrators")
TENANT_CONTACTS = gettext_noop("contact persons named by the tenant (controller, data-protection officer)")
REQUESTERS = gettext_noop("people making a data-subject request")
CONSENTING = gettext_noop("people who gave or withdrew consent")
WEBSITE_VISITORS = gettext_noop("visitors of the web app and portals")
UNSPECIFIED = gettext_noop("unspecified")

SUBJECTS_BY_MODEL: dict[str, tuple[str, ...]] = {
    "accounts.Invitation": (INVITEES,),
    "scheduling.Appointment": (END_CUSTOMERS,),
    "notifications.OutboxMail": (END_CUSTOMERS, EXPERTS, ADMINISTRATORS),
    "holds.LegalHold": (END_CUSTOMERS, EXPERTS, ADMINISTRATORS),
}
SUBJECTS_BY_APP: dict[str, tuple[str, ...]] = {
    "accounts": (EXPERTS, ADMINISTRATORS),
    "experts": (EXPERTS,),
    "scheduling": (EXPERTS,),
    "interactions": (END_CUSTOMERS,),
    "tenants": (TENANT_CONTACTS,),
    "dsr": (REQUESTERS,),
    "consent": (CONSENTING,),
    "accesslog": (WEBSITE_VISITORS,),
}

STORAGE_TEXT = {
    Storage.ENCRYPTED: "encrypted (AES-256-GCM, per-scope key)",
    Storage.ENCRYPTED_FILE: "encrypted file (AES-256-GCM, per-scope key)",
    Storage.PASSWORD_HASH: "password hash (Argon2id, not reversible)",
    Storage.KEYED_HASH: "keyed hash (HMAC-SHA256 blind index, per tenant)",
    Storage.PSEUDONYMOUS: "pseudonymous (random id or keyed hash)",
}

# Keys a module-level dict in an app's privacy.py carries when it describes a store that is not a model (e.g. the
# access log files of parley/accesslog/privacy.py).
STORE_KEYS = frozenset({"store", "category", "fields", "purpose", "legal_basis", "retention"})


@dataclass(frozen=True)
class Processor:
    """A recipient of personal data acting for the controller (Art. 28 GDPR)."""

    name: str
    service: str
    location: str = ""


@dataclass(frozen=True)
class Store:
    """Personal data kept outside the database models (log files, ...), described for the register."""

    store: str
    category: str
    fields: tuple[str, ...]
    purpose: str
    legal_basis: str
    retention: str
    subjects: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegisterRow:
    """One personal-data category: every field that holds it, with the distinct purposes, bases and retentions."""

    category: str
    subjects: tuple[str, ...]
    fields: tuple[str, ...]
    purposes: tuple[str, ...]
    legal_bases: tuple[str, ...]
    retention: tuple[str, ...]  # the rule's text, per distinct retention rule
    retention_periods: tuple[str, ...]  # the period as this installation is configured
    retention_rules: tuple[str, ...]  # the Retention values (or "store") the engine enforces
    storage: tuple[str, ...]
    recipients: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- inputs -------------------------------------------------------------------------------------------------------


def _engine_limits() -> dict[Retention, str]:
    """The period each rule of the retention engine (parley/privacy/retention.py) enforces, in words."""
    try:
        from parley.privacy.retention import rules
    except ImportError:  # pragma: no cover - the engine ships with this module
        return {}
    return {rule.retention: rule.limit() for rule in rules()}


def retention_period(rule: Retention) -> str:
    """The period of a retention rule as this installation is configured: the engine's own limit where it has one."""
    enforced = _engine_limits().get(rule)
    if enforced:
        return enforced
    months_dsr = settings.PARLEY_DSR_RETENTION_MONTHS
    months_consent = getattr(settings, "PARLEY_CONSENT_PROOF_MONTHS", 36)
    periods = {
        Retention.ACCOUNT: "lifetime of the account",
        Retention.TENANT: "duration of the contract",
        Retention.INVITATION: f"at most {settings.PARLEY_INVITATION_DAYS} days",
        Retention.SESSION: f"at most {settings.PARLEY_REMEMBER_ME_DAYS} days",
        Retention.THROTTLE: f"{settings.PARLEY_LOGIN_LOCK_MINUTES} minutes",
        Retention.DEV_OUTBOX: "30 days",
        Retention.SERVICE_12_MONTHS: "at most 12 months (the tenant may set less)",
        Retention.DSR_REQUEST: f"{months_dsr} months after closing",
        Retention.CONSENT_PROOF: f"{months_consent} months after withdrawal",
    }
    return periods.get(rule, "")


def subjects_for(declaration: ModelDeclaration, declared: tuple[str, ...]) -> tuple[str, ...]:
    if declared:
        return declared
    label = declaration.model._meta.label
    return SUBJECTS_BY_MODEL.get(label) or SUBJECTS_BY_APP.get(declaration.model._meta.app_label, (UNSPECIFIED,))


def stores_declared() -> list[Store]:
    """Stores described (not declared as models) in the apps' privacy.py modules, e.g. the access log."""
    from django.apps import apps

    from parley.privacy import declarations_loaded

    declarations_loaded()
    found: list[Store] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("parley."):
            continue
        try:
            module = import_module(f"{config.name}.privacy")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, Mapping) and STORE_KEYS <= set(value):
                found.append(
                    Store(
                        store=str(value["store"]),
                        category=str(value["category"]),
                        fields=tuple(str(f) for f in value["fields"]),
                        purpose=str(value["purpose"]),
                        legal_basis=str(value["legal_basis"]),
                        retention=str(value["retention"]),
                        subjects=tuple(value.get("subjects", ())) or SUBJECTS_BY_APP.get(config.label, (UNSPECIFIED,)),
                    )
                )
    return found


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def processors_configured() -> list[Processor]:
    """The platform's processors: derived from the settings that send data somewhere, plus PARLEY_PROCESSORS."""
    found: list[Processor] = []
    if settings.PARLEY_OPERATOR:
        found.append(Processor(settings.PARLEY_OPERATOR, "Operating the Parley platform: servers, database, files and backups"))
    if settings.PARLEY_SMTP_URL:
        found.append(Processor(f"Mail server {_host(settings.PARLEY_SMTP_URL)}", "Delivering e-mails"))
    if settings.PARLEY_TURN_SECRET:
        turn = [url for url in settings.PARLEY_ICE_SERVERS if url.startswith(("turn:", "turns:"))]
        for host in sorted({_host("//" + url.split(":", 1)[1].split("?")[0]) for url in turn}):
            found.append(Processor(f"TURN relay {host}", "Relaying encrypted call media, which it cannot decrypt (P05)"))
    if settings.PARLEY_GOOGLE_CLIENT_ID:
        found.append(Processor("Google (Google Calendar)", "Busy times of experts who connect their calendar (P12)"))
    if settings.PARLEY_MICROSOFT_CLIENT_ID:
        found.append(Processor("Microsoft (Outlook calendar)", "Busy times of experts who connect their calendar (P12)"))
    found.extend(_processors_from_setting(settings.PARLEY_PROCESSORS))
    return found


def _processors_from_setting(raw: str) -> list[Processor]:
    if not raw.strip():
        return []
    problem = 'PARLEY_PROCESSORS must be a JSON list of {"name": ..., "service": ..., "location": ...} objects.'
    try:
        items = json.loads(raw)
    except ValueError:
        raise ImproperlyConfigured(problem) from None
    if not isinstance(items, list):
        raise ImproperlyConfigured(problem)
    processors = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            raise ImproperlyConfigured(problem)
        processors.append(Processor(item["name"].strip(), str(item.get("service", "")), str(item.get("location", ""))))
    return processors


def processor_line(processor: Processor) -> str:
    line = f"{processor.name}: {processor.service}" if processor.service else processor.name
    return f"{line} ({processor.location})" if processor.location else line


# --- the register -------------------------------------------------------------------------------------------------


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def register_build(
    *,
    declarations: Iterable[ModelDeclaration],
    stores: Iterable[Store] = (),
    processors: Iterable[Processor] = (),
) -> list[RegisterRow]:
    """One row per personal-data category, sorted by category. Pure: reads nothing but its arguments and settings'
    retention periods."""
    recipients = tuple(processor_line(p) for p in processors)
    grouped: dict[str, dict[str, list[str]]] = {}

    def add(category: str, **values: Iterable[str]) -> None:
        bucket = grouped.setdefault(category, {})
        for key, items in values.items():
            bucket.setdefault(key, []).extend(items)

    for declaration in declarations:
        label = declaration.model._meta.label
        for name, personal in declaration.fields.items():
            add(
                personal.category,
                subjects=subjects_for(declaration, personal.subjects),
                fields=[f"{label}.{name}"],
                purposes=[personal.purpose],
                legal_bases=[personal.legal_basis],
                retention=[RETENTION_TEXT[personal.retention]],
                retention_periods=[retention_period(personal.retention)],
                retention_rules=[str(personal.retention)],
                storage=[STORAGE_TEXT[personal.storage]],
            )
    for store in stores:
        add(
            store.category,
            subjects=store.subjects,
            fields=[f"{store.store}: {'; '.join(store.fields)}"],
            purposes=[store.purpose],
            legal_bases=[store.legal_basis],
            retention=[store.retention],
            retention_periods=[],
            retention_rules=["store"],
            storage=["files on the encrypted volume"],
        )
    return [
        RegisterRow(
            category=category,
            subjects=_unique(values["subjects"]),
            fields=_unique(values["fields"]),
            purposes=_unique(values["purposes"]),
            legal_bases=_unique(values["legal_bases"]),
            retention=_unique(values["retention"]),
            retention_periods=_unique(values["retention_periods"]),
            retention_rules=_unique(values["retention_rules"]),
            storage=_unique(values["storage"]),
            recipients=recipients,
        )
        for category, values in sorted(grouped.items())
    ]


def register_current() -> list[RegisterRow]:
    """The register of this installation: every declaration, described store and configured processor."""
    from parley.privacy import declarations_loaded
    from parley.privacy.registry import declarations

    declarations_loaded()
    return register_build(declarations=declarations(), stores=stores_declared(), processors=processors_configured())


# --- output -------------------------------------------------------------------------------------------------------

COLUMNS = [
    ("category", "Category"),
    ("subjects", "Data subjects"),
    ("fields", "Fields"),
    ("purposes", "Purposes"),
    ("legal_bases", "Legal bases"),
    ("retention", "Retention"),
    ("retention_periods", "Retention period"),
    ("storage", "Storage protection"),
    ("recipients", "Recipients / processors"),
]


def _cell(value: str | tuple[str, ...], separator: str) -> str:
    return value if isinstance(value, str) else separator.join(value)


def register_csv(rows: list[RegisterRow]) -> str:
    """CSV with a header row; multiple values in one cell are separated by " | "."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow([title for _key, title in COLUMNS])
    for row in rows:
        values = row.as_dict()
        writer.writerow([_cell(values[key], " | ") for key, _title in COLUMNS])
    return out.getvalue()


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def register_markdown(rows: list[RegisterRow], *, controller: str, dpo: str, version: str, on: date) -> str:
    lines = [
        "# Register of processing activities",
        "",
        f"- Controller: {_md(controller or 'not configured (PARLEY_OPERATOR)')}",
        f"- Data-protection contact: {_md(dpo or 'not configured (PARLEY_DPO)')}",
        f"- Date: {on.isoformat()}",
        f"- Version: {version}",
        "- Source: the privacy registry in code (parley/*/privacy.py); generated by `parley register`.",
        "",
        "| " + " | ".join(title for _key, title in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in rows:
        values = row.as_dict()
        lines.append("| " + " | ".join(_md(_cell(values[key], "<br>")) for key, _title in COLUMNS) + " |")
    recipients = rows[0].recipients if rows else ()
    lines += ["", "## Recipients and processors", ""]
    lines += [f"- {_md(r)}" for r in recipients] or ["- none configured (PARLEY_OPERATOR, PARLEY_PROCESSORS)"]
    return "\n".join(lines) + "\n"
