"""P28: the admin's export for a data-subject request holds every category the privacy registry lists for an end
customer (iterated from the registry, not a hand-written list), with the documents themselves; it is built while it
downloads and never stored."""

from datetime import timedelta

from django.utils import timezone

from parley.dsr.export import DATA_FILE, README_FILE, SCHEMA_VERSION
from parley.dsr.models import DataSubjectRequest
from parley.dsr.tests.conftest import admin_client, confirmed_request, conversation_of, unzip
from parley.files.services import file_read
from parley.interactions.models import Document, Interaction
from parley.privacy import declarations_loaded
from parley.privacy.registry import Storage, declarations
from parley.scheduling.services import appointment_book, appointment_cancel
from parley.scheduling.tests.conftest import bookable, next_monday_utc  # noqa: F401 (fixture)


def _end_customer_declarations():
    """Registry declarations of the interaction and scheduling apps that hold an end customer's data: the
    Interaction and every model pointing at it."""
    declarations_loaded()
    found = []
    for declaration in declarations():
        model = declaration.model
        if model._meta.app_label not in ("interactions", "scheduling"):
            continue
        points_at_interaction = any(f.is_relation and f.related_model is Interaction for f in model._meta.concrete_fields)
        if model is Interaction or points_at_interaction:
            found.append(declaration)
    return found


def _book(world, kind, profile, email="carla@example.test"):
    appointment, _manage, _token = appointment_book(
        tenant=world.acme,
        appointment_type_id=kind.id,
        starts_at=next_monday_utc(9),
        expert_profile_id=profile.id,
        name="Carla Customer",
        email=email,
        note="About my mortgage",
    )
    return appointment_cancel(appointment=appointment, actor=world.acme_expert, message="Sorry, I am ill")


def test_p28_the_export_holds_every_registry_category_of_the_end_customer_and_the_documents(world, bookable):  # noqa: F811
    kind, profile = bookable
    interaction, _token = conversation_of(world)
    _book(world, kind, profile)
    conversation_of(world, email="someone.else@example.test", name="Other Person")
    conversation_of(world, tenant=world.globex, expert=world.globex_expert)  # same address, another tenant
    dsr = confirmed_request(world)

    response = admin_client(world).post(f"/t/acme/admin/requests/{dsr.id}/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip" and response["Cache-Control"] == "private, no-store"
    data, archive = unzip(b"".join(response.streaming_content))
    names = archive.namelist()
    assert README_FILE in names and DATA_FILE in names
    assert data["schema"]["version"] == SCHEMA_VERSION and data["schema"]["description"]
    assert data["subject"]["email"] == "carla@example.test"
    assert data["request"]["number"] == dsr.number

    declared = _end_customer_declarations()
    assert {d.model._meta.label for d in declared} >= {
        "interactions.Interaction",
        "interactions.Message",
        "interactions.Document",
        "scheduling.Appointment",
    }
    for declaration in declared:
        label = declaration.model._meta.label
        records = data["records"][label]
        assert records, f"no {label} records exported"
        assert data["models"][label]["personal_fields"].keys() == declaration.fields.keys()
        for record in records:
            for name, personal in declaration.fields.items():
                assert name in record, f"{label}.{name} ({personal.category}) missing from the export"
                if personal.storage in (Storage.KEYED_HASH, Storage.PSEUDONYMOUS) and record[name] is not None:
                    assert "withheld" in record[name]

    # Only this person's conversations (the chat and the booking), and the values themselves.
    interactions = data["records"]["interactions.Interaction"]
    assert len(interactions) == 2
    assert {i["customer_email"] for i in interactions} == {"carla@example.test"}
    assert {i["customer_name"] for i in interactions} == {"Carla Customer"}
    bodies = [m["body"] for m in data["records"]["interactions.Message"]]
    assert "Hello from Carla Customer" in bodies and "How can I help?" in bodies  # sent and received
    [appointment] = data["records"]["scheduling.Appointment"]
    assert appointment["note"] == "About my mortgage" and appointment["expert_message"] == "Sorry, I am ill"
    assert "withheld" in appointment["manage_token"]  # a secret link, not copied

    # The document file itself, byte for byte.
    [doc] = data["records"]["interactions.Document"]
    stored = Document.objects.get(id=doc["id"]).file
    assert doc["file"]["file"] in names and doc["file"]["file"] in data["files"]
    assert archive.read(doc["file"]["file"]) == file_read(stored=stored)
    assert doc["filename"] == "payslip.png"

    dsr.refresh_from_db()
    assert dsr.status == "in_progress"
    assert dsr.outcome[-1]["action"] == "export"
    assert dsr.outcome[-1]["counts"]["interactions"] == 2
    assert "carla" not in str(dsr.outcome).lower(), "the log keeps counts, not a copy of the data"


def test_p28_the_readme_explains_the_archive(world):
    conversation_of(world)
    dsr = confirmed_request(world)
    response = admin_client(world).post(f"/t/acme/admin/requests/{dsr.id}/export/")
    _data, archive = unzip(b"".join(response.streaming_content))
    readme = archive.read(README_FILE).decode()
    assert "Your data at Acme Bank" in readme and "data.json" in readme and "documents/" in readme
    assert "conversations 1, messages 3, documents 1, appointments 0." in readme


def test_p28_the_export_is_not_stored_anywhere(world, settings):
    from pathlib import Path

    conversation_of(world)
    dsr = confirmed_request(world)
    before = {p for p in Path(settings.FILES_DIR).rglob("*") if p.is_file()}
    response = admin_client(world).post(f"/t/acme/admin/requests/{dsr.id}/export/")
    b"".join(response.streaming_content)
    assert {p for p in Path(settings.FILES_DIR).rglob("*") if p.is_file()} == before


def test_p28_an_overdue_request_is_highlighted_in_the_queue(world):
    dsr = confirmed_request(world)
    DataSubjectRequest.objects.filter(pk=dsr.pk).update(due_at=timezone.now() - timedelta(days=1))
    html = admin_client(world).get("/t/acme/admin/requests/").content.decode()
    assert f'data-request="{dsr.id}" class="overdue"' in html and "overdue" in html
    html = admin_client(world).get("/t/acme/admin/requests/?show=overdue").content.decode()
    assert f'data-request="{dsr.id}"' in html


def test_p28_the_export_includes_consent_records_and_leaves_out_held_conversations(world):
    from parley.consent.services import consent_give, subject_for_email
    from parley.holds.services import hold_place_on_interaction

    shown, _ = conversation_of(world)
    held, _ = conversation_of(world)
    hold_place_on_interaction(actor=world.acme_admin, interaction_id=held.id, reason="Court order 4711")
    consent_give(subject=subject_for_email(tenant=world.acme, email="carla@example.test"), scope="newsletter", source="site")
    consent_give(subject=subject_for_email(tenant=world.globex, email="carla@example.test"), scope="newsletter")
    dsr = confirmed_request(world)
    response = admin_client(world).post(f"/t/acme/admin/requests/{dsr.id}/export/")
    data, archive = unzip(b"".join(response.streaming_content))
    assert [i["id"] for i in data["records"]["interactions.Interaction"]] == [str(shown.id)]
    assert data["not_included"] == {"interactions_under_legal_hold": 1}
    assert "under a legal hold" in archive.read(README_FILE).decode()
    [consent] = data["records"]["consent.ConsentRecord"]
    assert consent["scope"] == "newsletter" and consent["source"] == "site" and consent["withdrawn_at"] is None
    dsr.refresh_from_db()
    assert dsr.outcome[-1]["counts"]["held"] == 1
