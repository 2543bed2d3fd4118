"""The data-subject export (P28): everything the registry lists for an end customer, as one documented JSON file
plus their documents, in a ZIP that is built while it is sent and never stored.

Which models belong to an end customer is read from the privacy registry: the Interaction itself and every declared
model with a foreign key to it (messages, documents, appointments, access and search tokens, and whatever is added
later). Each declared personal field is exported with its value; values stored only as keyed hashes, and secret link
tokens, are listed with a note instead (they mean nothing to the person, or would let anyone holding the ZIP act for
them).
"""

import json
import mimetypes
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.http import StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation

from parley.core.exceptions import ApplicationError
from parley.crypto.fields import EncryptedField
from parley.dsr.models import DataSubjectRequest
from parley.files.models import StoredFile
from parley.files.services import file_read
from parley.interactions.models import Interaction
from parley.privacy import declarations_loaded
from parley.privacy.registry import RETENTION_TEXT, ModelDeclaration, PersonalField, Storage, declarations
from parley.tenants.models import Tenant

SCHEMA_NAME = "parley.data-subject-export"
SCHEMA_VERSION = 1
DATA_FILE = "data.json"
README_FILE = "README.txt"
SECRET_CATEGORIES = {"access token"}  # bearer secrets: listed, never copied into an export
_HASHED = {Storage.KEYED_HASH, Storage.PSEUDONYMOUS, Storage.PASSWORD_HASH}


def subject_models() -> list[tuple[ModelDeclaration, str]]:
    """(declaration, lookup to the interaction id) for the Interaction and each declared model that points at it."""
    declarations_loaded()
    found: list[tuple[ModelDeclaration, str]] = []
    for declaration in declarations():
        model = declaration.model
        if model is Interaction:
            found.append((declaration, "id"))
            continue
        for model_field in model._meta.concrete_fields:
            if model_field.is_relation and model_field.related_model is Interaction:
                found.append((declaration, f"{model_field.name}_id"))
                break
    return found


@dataclass
class ExportBundle:
    data: dict[str, Any]
    files: list[tuple[str, StoredFile]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    linked: set[type[models.Model]] = field(default_factory=set)  # models whose records are in this export


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict | str | int | float | bool) or value is None:
        return value
    return str(value)


def _safe_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in name).strip(" .") or "document"
    return cleaned[:120]


def _withheld(personal: PersonalField) -> dict[str, str] | None:
    if personal.storage in _HASHED:
        return {"withheld": "Stored only as a keyed hash: it cannot be turned back into the original value."}
    if personal.category in SECRET_CATEGORIES:
        return {"withheld": "A secret link token: not copied into exports. Use the link in the e-mails you received."}
    return None


def _personal_value(obj: models.Model, model_field: models.Field, personal: PersonalField, bundle: ExportBundle) -> Any:
    withheld = _withheld(personal)
    if withheld is not None:
        return withheld
    if personal.storage == Storage.ENCRYPTED_FILE:
        stored = getattr(obj, model_field.name)
        if stored is None:
            return None
        label = getattr(obj, "filename", "") or "file"
        path = f"documents/{obj.pk}/{_safe_name(str(label))}"
        bundle.files.append((path, stored))
        return {"file": path, "content_type": stored.content_type, "size": stored.size}
    return _plain(getattr(obj, model_field.name))


def _related_value(obj: models.Model, model_field: models.Field, bundle: ExportBundle) -> tuple[str, Any] | None:
    """A foreign key as something the person can read: the other record's id inside this export, or a name."""
    target = model_field.related_model
    raw = getattr(obj, model_field.attname)
    if raw is None:
        return model_field.name, None
    if target is Tenant:
        return None
    if target in bundle.linked:
        return f"{model_field.name}_id", str(raw)
    related = getattr(obj, model_field.name)
    label = getattr(related, "name", None)
    return (model_field.name, str(label)) if label is not None else None


def _record(obj: models.Model, declaration: ModelDeclaration, bundle: ExportBundle) -> dict[str, Any]:
    record: dict[str, Any] = {"id": str(obj.pk)}
    for model_field in obj._meta.concrete_fields:
        if model_field.primary_key:
            continue
        personal = declaration.fields.get(model_field.name)
        if personal is not None:
            record[model_field.name] = _personal_value(obj, model_field, personal, bundle)
        elif isinstance(model_field, EncryptedField):
            continue  # cannot happen: the registry check demands a declaration
        elif model_field.is_relation:
            pair = _related_value(obj, model_field, bundle)
            if pair is not None:
                record[pair[0]] = pair[1]
        else:
            record[model_field.name] = _plain(getattr(obj, model_field.attname))
    return record


def _model_description(declaration: ModelDeclaration) -> dict[str, Any]:
    return {
        "note": declaration.note,
        "personal_fields": {
            name: {
                "category": p.category,
                "purpose": p.purpose,
                "legal_basis": p.legal_basis,
                "retention": RETENTION_TEXT.get(p.retention, str(p.retention)),
                "storage": str(p.storage),
            }
            for name, p in declaration.fields.items()
        },
        "other_fields": dict(declaration.not_personal),
    }


_SCHEMA_DESCRIPTION = {
    "name": SCHEMA_NAME,
    "version": SCHEMA_VERSION,
    "description": (
        "The personal data an organisation keeps about one person in Parley (right of access, Art. 15 GDPR; "
        "portability, Art. 20). 'records' maps each kind of record (model label) to a list of objects; 'models' "
        "describes each kind: for every personal field its category, purpose, legal basis, retention and how it is "
        "stored. Times are ISO 8601 in UTC. A value {'withheld': reason} is data that exists but is not exported "
        "(a keyed hash, or a secret link token). A value {'file': path, ...} is a document inside this ZIP."
    ),
    "top_level": {
        "schema": "This description.",
        "generated_at": "When the export was made.",
        "organisation": "The controller: the organisation that runs this Parley.",
        "subject": "Whom the export is about.",
        "request": "The data-subject request it answers (number, dates), or null for a visitor's own export.",
        "models": "Kinds of record with their registry declarations.",
        "records": "The records, per kind.",
        "files": "Paths of the documents in this ZIP.",
        "not_included": "What exists but is left out, and why (e.g. conversations under legal hold).",
        "applications": "Job applications sent with this e-mail address (model careers.Application): every "
        "personal field, the position applied for, the status and dates; CV and photo are files inside this ZIP.",
    },
}


def export_build(
    *,
    tenant: Tenant,
    interactions: Iterable[Interaction],
    subject_email: str | None,
    request: DataSubjectRequest | None = None,
    held: int = 0,
    applications: Iterable[models.Model] | None = None,
) -> ExportBundle:
    """Collect every record of the given interactions (already filtered for access and legal holds).

    For a confirmed data-subject request (`request` given) the job applications of the confirmed address are added
    (P28); `applications` overrides that lookup. A visitor's own export (web app token) never includes them: their
    address was not confirmed."""
    interaction_ids = [i.id for i in interactions]
    bundle = ExportBundle(data={})
    described: dict[str, Any] = {}
    records: dict[str, list[dict[str, Any]]] = {}
    linked = subject_models()
    bundle.linked = {d.model for d, _lookup in linked}
    for declaration, lookup in linked:
        model = declaration.model
        label = model._meta.label
        described[label] = _model_description(declaration)
        qs = model._default_manager.filter(**{f"{lookup}__in": interaction_ids})
        order = [f for f in ("created_at", "seq", "pk") if f == "pk" or any(x.name == f for x in model._meta.concrete_fields)]
        records[label] = [_record(obj, declaration, bundle) for obj in qs.order_by(*order)]
    consent = _consent_records(tenant, subject_email)
    if consent is not None:
        described["consent.ConsentRecord"] = {
            "note": "Consent records: what was agreed to (scope), under which privacy-notice version, when, and "
            "whether and how it was withdrawn. The person is named there only by a keyed hash of the e-mail address.",
            "personal_fields": {},
            "other_fields": {},
        }
        records["consent.ConsentRecord"] = consent
    if applications is None and request is not None:
        from parley.dsr.selectors import subject_applications

        applications = subject_applications(tenant=tenant, email=request.email)
    application_records = _application_records(list(applications or []), bundle, described)
    bundle.counts = {
        "interactions": len(records.get("interactions.Interaction", [])),
        "messages": len(records.get("interactions.Message", [])),
        "documents": len(records.get("interactions.Document", [])),
        "appointments": len(records.get("scheduling.Appointment", [])),
        "held": held,
    }
    if application_records:
        bundle.counts["applications"] = len(application_records)
    bundle.data = {
        "schema": _SCHEMA_DESCRIPTION,
        "generated_at": timezone.now().isoformat(),
        "organisation": {"name": tenant.name, "slug": tenant.slug},
        "subject": {"email": subject_email},
        "request": (
            {
                "number": request.number,
                "right": request.right,
                "received_at": _plain(request.confirmed_at),
                "due_at": _plain(request.due_at),
            }
            if request is not None
            else None
        ),
        "models": described,
        "records": records,
        "applications": application_records,
        "files": [path for path, _stored in bundle.files],
        "not_included": {"interactions_under_legal_hold": held} if held else {},
    }
    return bundle


APPLICATION_LABEL = "careers.Application"


def _application_records(
    applications: list[models.Model], bundle: ExportBundle, described: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each job application with every field the registry declares for it (so fields added later are exported
    too), the position's title, status and dates; its files (CV, photo) go into the ZIP under applications/."""
    if not applications:
        return []
    declarations_loaded()
    declaration = next((d for d in declarations() if d.model._meta.label == APPLICATION_LABEL), None)
    if declaration is None:
        return []
    described[APPLICATION_LABEL] = _model_description(declaration)
    out = []
    for application in applications:
        record: dict[str, Any] = {"id": str(application.pk)}
        position = getattr(application, "position", None)
        record["position"] = getattr(position, "title", None)
        for model_field in application._meta.concrete_fields:
            if model_field.primary_key or model_field.name == "position":
                continue
            personal = declaration.fields.get(model_field.name)
            if personal is not None and personal.storage == Storage.ENCRYPTED_FILE:
                record[model_field.name] = _application_file(application, model_field, personal, bundle)
            elif personal is not None:
                record[model_field.name] = _personal_value(application, model_field, personal, bundle)
            elif isinstance(model_field, EncryptedField):
                continue  # cannot happen: the registry check demands a declaration
            elif model_field.is_relation:
                continue  # the tenant (named in 'organisation')
            else:
                record[model_field.name] = _plain(getattr(application, model_field.attname))
        out.append(record)
    return out


def _application_file(obj: models.Model, model_field: models.Field, personal: PersonalField, bundle: ExportBundle) -> Any:
    withheld = _withheld(personal)
    if withheld is not None:
        return withheld
    stored = getattr(obj, model_field.name)
    if stored is None:
        return None
    label = getattr(obj, f"{model_field.name}_filename", None) or (
        model_field.name + (mimetypes.guess_extension(stored.content_type or "") or "")
    )
    path = f"applications/{obj.pk}/{_safe_name(str(label))}"
    bundle.files.append((path, stored))
    return {"file": path, "content_type": stored.content_type, "size": stored.size}


def _consent_records(tenant: Tenant, email: str | None) -> list[dict[str, Any]] | None:
    from parley.dsr.selectors import optional_module

    consent = optional_module("consent", "selectors")
    if consent is None or not email or not hasattr(consent, "consent_export_for_email"):
        return None
    return [{k: _plain(v) for k, v in row.items()} for row in consent.consent_export_for_email(tenant=tenant, email=email)]


# --- the ZIP, streamed ----------------------------------------------------------------------------------------


class _Chunks:
    """A write-only, unseekable sink: zipfile then writes data descriptors and never seeks back."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def _readme(bundle: ExportBundle, language: str) -> str:
    with translation.override(language):
        return render_to_string("dsr/export_readme.txt", {"data": bundle.data, "counts": bundle.counts})


def export_zip_chunks(bundle: ExportBundle, *, language: str = "en") -> Iterator[bytes]:
    """The ZIP, produced piece by piece: README, data.json, then each document decrypted only as it is written."""
    sink = _Chunks()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(README_FILE, _readme(bundle, language))
        archive.writestr(DATA_FILE, json.dumps(bundle.data, ensure_ascii=False, indent=2))
        yield sink.take()
        for path, stored in bundle.files:
            try:
                content = file_read(stored=stored)
            except ApplicationError:
                content = b""  # the file is gone (deleted meanwhile): an empty entry keeps the listed path valid
            archive.writestr(path, content)
            yield sink.take()
    yield sink.take()


def export_response(bundle: ExportBundle, *, filename: str, language: str = "en") -> StreamingHttpResponse:
    response = StreamingHttpResponse(export_zip_chunks(bundle, language=language), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
