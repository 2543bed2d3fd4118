"""P28, P29 for job applicants (parley.careers): a request for an applicant's e-mail address finds their
applications by the keyed e-mail index in the request's tenant, exports every field the registry declares for an
application with the CV and photo, erases them through the careers module's deletion path, corrects name and
address, and says that restriction is not supported for applications."""

from pathlib import Path

from parley.careers.models import Application, Position
from parley.careers.services import application_submit
from parley.careers.tests.conftest import jpeg_bytes, pdf_bytes
from parley.crypto.blind_index import email_index
from parley.crypto.models import DataKey
from parley.dsr.tests.conftest import admin_client, confirmed_request, unzip
from parley.files.models import StoredFile
from parley.files.services import file_path, file_read
from parley.privacy import declarations_loaded
from parley.privacy.models import ErasureRecord
from parley.privacy.registry import Storage, declarations

EMAIL = "carla@example.test"


def _apply(tenant, *, email=EMAIL, name="Carla Candidate") -> Application:
    position = Position.objects.create(tenant=tenant, title="Mortgage adviser")
    return application_submit(
        tenant=tenant,
        position=position,
        name=name,
        email=email,
        cover_letter="I would like to advise your customers.",
        cv_data=pdf_bytes("Curriculum vitae of Carla"),
        cv_filename="carla-cv.pdf",
        phone="+41 79 000 00 00",
        linkedin_url="https://www.linkedin.com/in/carla",
        photo_data=jpeg_bytes(),
    )


def _act(world, dsr, action, **data):
    return admin_client(world).post(f"/t/acme/admin/requests/{dsr.id}/action/", {"action": action, **data})


def _application_declaration():
    declarations_loaded()
    return next(d for d in declarations() if d.model is Application)


def test_p28_an_application_is_indexed_by_its_email_in_its_tenant(world):
    application = _apply(world.acme, email="Carla@Example.test ")
    assert application.email_index == email_index(tenant_id=world.acme.id, email=EMAIL)
    assert application.email_index != email_index(tenant_id=world.globex.id, email=EMAIL)


def test_p28_an_applicants_export_holds_every_declared_field_of_the_application_and_its_files(world):
    application = _apply(world.acme)
    _apply(world.acme, email="someone.else@example.test", name="Other Person")
    _apply(world.globex)  # same address, another tenant
    dsr = confirmed_request(world)

    page = admin_client(world).get(f"/t/acme/admin/requests/{dsr.id}/").content.decode()
    assert '<dd id="applications-found">1</dd>' in page

    response = admin_client(world).post(f"/t/acme/admin/requests/{dsr.id}/export/")
    assert response.status_code == 200
    data, archive = unzip(b"".join(response.streaming_content))

    declaration = _application_declaration()
    assert data["models"]["careers.Application"]["personal_fields"].keys() == declaration.fields.keys()
    [record] = data["applications"]
    assert record["id"] == str(application.id)
    for name in declaration.fields:  # read from the registry: fields declared later are covered too
        assert name in record, f"careers.Application.{name} missing from the export"
    assert record["position"] == "Mortgage adviser" and record["status"] == "received" and record["created_at"]
    assert record["name"] == "Carla Candidate" and record["email"] == EMAIL and record["phone"] == "+41 79 000 00 00"
    assert record["email_index"] == {"withheld": "Stored only as a keyed hash: it cannot be turned back into the original value."}

    for field, stored in (("cv", application.cv), ("photo", application.photo)):
        path = record[field]["file"]
        assert path in data["files"] and path in archive.namelist()
        assert archive.read(path) == file_read(stored=stored)
    assert record["cv"]["file"].endswith("carla-cv.pdf") and record["cv"]["content_type"] == "application/pdf"

    dsr.refresh_from_db()
    assert dsr.outcome[-1]["counts"]["applications"] == 1
    page = admin_client(world).get(f"/t/acme/admin/requests/{dsr.id}/").content.decode()
    assert "1 job application included." in page


def test_p29_erasure_removes_the_applicants_applications_with_files_key_and_ledger(world, django_capture_on_commit_callbacks):
    application = _apply(world.acme, email="Carla@EXAMPLE.test")
    files = [application.cv, application.photo]
    paths = [file_path(f) for f in files]
    other = _apply(world.acme, email="someone.else@example.test", name="Other Person")
    globex = _apply(world.globex)  # same address, another tenant: not this request's
    dsr = confirmed_request(world, right="erasure")

    with django_capture_on_commit_callbacks(execute=True):
        assert _act(world, dsr, "erase", confirm="erase").status_code == 302

    assert not Application.objects.filter(id=application.id).exists()
    assert not StoredFile.objects.filter(id__in=[f.id for f in files]).exists()
    assert not any(Path(p).exists() for p in paths)
    key = DataKey.objects.get(scope_type="application", scope_id=application.id)
    assert key.destroyed_at is not None
    records = ErasureRecord.objects.filter(rule="dsr", category="job-application")
    assert {(r.target_type, r.target_id) for r in records} == {
        ("application", application.id),
        *(("file", f.id) for f in files),
    }
    # Nobody else's application is touched, the same address in another tenant included.
    assert Application.objects.filter(id__in=[other.id, globex.id]).count() == 2
    assert file_read(stored=Application.objects.get(id=globex.id).cv)

    dsr.refresh_from_db()
    assert dsr.outcome[-1]["counts"]["applications"] == 1
    assert "carla" not in str(dsr.outcome).lower()
    page = admin_client(world).get(f"/t/acme/admin/requests/{dsr.id}/").content.decode()
    assert "1 job application erased with its files." in page


def test_p29_rectification_corrects_the_applicants_name_and_address(world):
    application = _apply(world.acme, name="Carla Candidat")
    globex = _apply(world.globex, name="Carla Candidat")
    dsr = confirmed_request(world, right="rectification")
    assert _act(world, dsr, "rectify", name="Carla Candidate", email="carla.new@example.test").status_code == 302

    stored = Application.objects.get(id=application.id)
    assert stored.name == "Carla Candidate" and stored.email == "carla.new@example.test"
    assert stored.email_index == email_index(tenant_id=world.acme.id, email="carla.new@example.test")
    assert Application.objects.get(id=globex.id).name == "Carla Candidat"
    dsr.refresh_from_db()
    assert dsr.outcome[-1]["counts"]["applications"] == 1
    # Later actions of the same request find the application under the corrected address.
    assert dsr.email == "carla.new@example.test"
    page = admin_client(world).get(f"/t/acme/admin/requests/{dsr.id}/").content.decode()
    assert '<dd id="applications-found">1</dd>' in page


def test_p29_restriction_says_it_is_not_supported_for_applications(world):
    application = _apply(world.acme)
    dsr = confirmed_request(world, right="restriction")
    assert _act(world, dsr, "restrict").status_code == 302
    dsr.refresh_from_db()
    assert dsr.outcome[-1]["counts"]["applications_not_restricted"] == 1
    page = admin_client(world).get(f"/t/acme/admin/requests/{dsr.id}/").content.decode()
    assert "restriction is not supported for applications" in page
    assert Application.objects.filter(id=application.id).exists()


def test_p28_an_applications_keyed_hash_is_declared_as_such():
    assert _application_declaration().fields["email_index"].storage == Storage.KEYED_HASH
