"""P22: job applications. A careers page takes applications (CV and photo stored encrypted), administrators track
them, and the retention engine deletes each one with its files and data key 12 months after its process ended;
open processes are kept. Every admin route refuses another tenant (404) and experts (403)."""

import io
import json
from datetime import timedelta
from io import StringIO

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from parley.careers.models import Application, Position
from parley.careers.services import application_status_set
from parley.careers.tests.conftest import jpeg_bytes, pdf_bytes
from parley.core.testing import client_for
from parley.crypto.models import DataKey
from parley.files.models import StoredFile
from parley.files.services import file_path, file_read
from parley.privacy.models import ErasureRecord, PendingFileDeletion
from parley.privacy.registry import Retention
from parley.privacy.retention import add_months, purge, purge_plan, reconcile


def _apply(position, *, client=None, cv=None, photo=True, **fields):
    data = {
        "name": "Anna Applicant",
        "email": "anna@example.test",
        "phone": "+41 44 123 45 67",
        "linkedin_url": "https://www.linkedin.com/in/anna-applicant",
        "cover_letter": "I would love to advise your customers.",
        "cv": SimpleUploadedFile("Anna CV.pdf", cv if cv is not None else pdf_bytes(author="Anna Author"), "application/pdf"),
        **fields,
    }
    if photo:
        data["photo"] = SimpleUploadedFile("me.jpg", jpeg_bytes() if photo is True else photo, "image/jpeg")
    url = reverse("careers:apply", kwargs={"slug": position.tenant.slug, "position_id": position.id})
    return (client or Client()).post(url, data)


def _submitted(position) -> Application:
    response = _apply(position)
    assert response.status_code == 200, response.content
    return Application.objects.get(position=position)


def _end_process(application, *, months: int, days: int = 1) -> None:
    """The time machine: the process ended `months` and `days` ago."""
    Application.objects.filter(id=application.id).update(
        process_ended_at=add_months(timezone.now(), -months) - timedelta(days=days)
    )


def _live_key(scope_id) -> bool:
    return DataKey.objects.filter(scope_type="application", scope_id=scope_id, destroyed_at__isnull=True).exists()


def test_p22_the_careers_page_lists_open_positions_only(world, position):
    Position.objects.create(tenant=world.acme, title="Closed job", is_open=False)
    Position.objects.create(tenant=world.globex, title="Globex job")
    page = Client().get(reverse("careers:index", kwargs={"slug": "acme"}))
    assert page.status_code == 200
    assert b"Mortgage adviser" in page.content and b"Closed job" not in page.content and b"Globex job" not in page.content
    assert reverse("privacy:notice", kwargs={"slug": "acme"}).encode() in page.content
    assert Client().get(reverse("careers:index", kwargs={"slug": "nobody"})).status_code == 404


def test_p22_an_application_through_the_public_page_is_stored_encrypted_with_a_clean_cv_and_photo(world, position):
    form = Client().get(reverse("careers:apply", kwargs={"slug": "acme", "position_id": position.id}))
    assert form.status_code == 200 and b'enctype="multipart/form-data"' in form.content
    assert reverse("privacy:notice", kwargs={"slug": "acme"}).encode() in form.content

    response = _apply(position)
    assert response.status_code == 200
    assert b"Thank you for your application" in response.content

    application = Application.objects.get(position=position)
    assert (application.name, application.email, application.status) == ("Anna Applicant", "anna@example.test", "received")
    assert application.cv_filename == "Anna CV.pdf" and application.process_ended_at is None
    # Files are encrypted at rest under the application's key; the CV lost its metadata.
    for stored in (application.cv, application.photo):
        assert stored.scope_type == "application" and stored.scope_id == application.id
        assert b"Anna" not in file_path(stored).read_bytes() and b"Curriculum" not in file_path(stored).read_bytes()
    cv = file_read(stored=application.cv)
    assert b"Anna Author" not in cv
    with pikepdf.open(io.BytesIO(cv)) as reopened:
        assert b"Curriculum vitae" in reopened.pages[0].Contents.read_bytes()
    assert file_read(stored=application.photo).startswith(b"\xff\xd8\xff")  # re-encoded JPEG
    assert _live_key(application.id)


@pytest.mark.parametrize(
    ("cv", "message"),
    [
        (b"MZ\x90\x00 not a pdf at all", b"This type of file cannot be sent here."),
        (b"%PDF-1.7 broken", b"The PDF cannot be read"),
    ],
)
def test_p22_a_bad_cv_is_refused_with_a_message_and_nothing_is_stored(world, position, cv, message):
    response = _apply(position, cv=cv)
    assert response.status_code == 400
    assert message in response.content
    assert not Application.objects.exists() and not StoredFile.objects.exists()


def test_p22_a_cv_over_10_mb_a_bad_photo_and_missing_fields_are_refused(world, position):
    big = pdf_bytes() + b"%" + b"0" * (10 * 1024 * 1024)
    too_big = _apply(position, cv=big)
    assert too_big.status_code == 400 and b"The CV is too large (at most 10 MB)." in too_big.content
    bad_photo = _apply(position, photo=b"not an image")
    assert bad_photo.status_code == 400 and b"not an image Parley can read" in bad_photo.content
    missing = Client().post(reverse("careers:apply", kwargs={"slug": "acme", "position_id": position.id}), {"name": "A"})
    assert missing.status_code == 400 and b"This field is required." in missing.content
    assert not Application.objects.exists() and not StoredFile.objects.exists()


def test_p22_a_closed_or_foreign_position_takes_no_application(world, position):
    position.is_open = False
    position.save()
    assert _apply(position).status_code == 404
    other = Position.objects.create(tenant=world.globex, title="Globex job")
    url = reverse("careers:apply", kwargs={"slug": "acme", "position_id": other.id})
    assert Client().get(url).status_code == 404


def test_p22_an_application_without_the_csrf_token_is_refused(world, position):
    response = _apply(position, client=Client(enforce_csrf_checks=True))
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_p22_applying_is_rate_limited(world, position):
    client = Client()
    for _ in range(10):
        assert _apply(position, client=client, photo=False).status_code == 200
    response = _apply(position, client=client, photo=False)
    assert response.status_code == 429 and b"Too many requests" in response.content
    assert Application.objects.count() == 10


def test_p22_the_admin_rejects_an_application_and_the_process_end_is_recorded_and_cleared_on_reopening(world, position):
    application = _submitted(position)
    admin = client_for(world.acme_admin)
    listing = admin.get(reverse("careers:applications", kwargs={"slug": "acme"}))
    assert listing.status_code == 200 and b"Anna Applicant" in listing.content and b"Mortgage adviser" in listing.content
    url = reverse("careers:application", kwargs={"slug": "acme", "application_id": application.id})
    detail = admin.get(url)
    assert detail.status_code == 200 and b"anna@example.test" in detail.content

    action = reverse("careers:action", kwargs={"slug": "acme", "application_id": application.id})
    assert admin.post(action, {"action": "status", "status": "rejected"}).status_code == 302
    application.refresh_from_db()
    assert application.status == "rejected" and application.process_ended_at is not None
    assert admin.post(action, {"action": "notes", "notes": "Strong, but no opening now."}).status_code == 302
    application.refresh_from_db()
    assert application.notes == "Strong, but no opening now."

    assert admin.post(action, {"action": "status", "status": "interview"}).status_code == 302
    application.refresh_from_db()
    assert application.status == "interview" and application.process_ended_at is None
    assert admin.post(action, {"action": "status", "status": "nonsense"}).status_code == 400

    cv = admin.get(reverse("careers:file", kwargs={"slug": "acme", "application_id": application.id, "kind": "cv"}))
    assert cv.status_code == 200 and cv["Content-Type"] == "application/pdf" and cv.content.startswith(b"%PDF-")
    photo = admin.get(reverse("careers:file", kwargs={"slug": "acme", "application_id": application.id, "kind": "photo"}))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert (
        admin.get(reverse("careers:file", kwargs={"slug": "acme", "application_id": application.id, "kind": "x"})).status_code
        == 404
    )


def test_p22_an_ended_process_is_purged_after_12_months_with_its_files_key_and_a_ledger_row(
    world, position, django_capture_on_commit_callbacks
):
    application = _submitted(position)
    application_status_set(actor=world.acme_admin, application=application, status="rejected")
    files = [application.cv, application.photo]
    paths = [file_path(f) for f in files]
    _end_process(application, months=11, days=27)
    assert purge_plan()[Retention.JOB_APPLICATION] == 0  # not yet 12 months

    _end_process(application, months=12, days=1)
    assert purge_plan()[Retention.JOB_APPLICATION] == 1
    with django_capture_on_commit_callbacks(execute=True):
        done = list(purge(only=Retention.JOB_APPLICATION))
    assert done[-1].deleted == 1

    assert not Application.objects.filter(id=application.id).exists()
    assert not StoredFile.objects.filter(id__in=[f.id for f in files]).exists()
    assert not any(p.exists() for p in paths)  # gone from disk, after the commit
    assert not PendingFileDeletion.objects.exists()
    key = DataKey.objects.get(scope_type="application", scope_id=application.id)
    assert key.destroyed_at is not None and bytes(key.wrapped) == b""
    records = ErasureRecord.objects.filter(rule="retention")
    assert {(r.target_type, r.target_id, r.category) for r in records} == {
        ("application", application.id, "job-application"),
        *(("file", f.id, "job-application") for f in files),
    }
    # Idempotent: a second run finds nothing.
    assert purge_plan()[Retention.JOB_APPLICATION] == 0
    assert list(purge(only=Retention.JOB_APPLICATION)) == []


def test_p22_an_open_process_older_than_12_months_is_kept(world, position):
    application = _submitted(position)
    Application.objects.filter(id=application.id).update(created_at=add_months(timezone.now(), -30), status="interview")
    assert purge_plan()[Retention.JOB_APPLICATION] == 0
    assert list(purge(only=Retention.JOB_APPLICATION)) == []
    assert Application.objects.filter(id=application.id).exists() and _live_key(application.id)


def test_p22_reopening_a_process_stops_the_clock(world, position):
    application = _submitted(position)
    application_status_set(actor=world.acme_admin, application=application, status="withdrawn")
    _end_process(application, months=13)
    application.refresh_from_db()
    application_status_set(actor=world.acme_admin, application=application, status="in-review")
    assert Application.objects.get(id=application.id).process_ended_at is None
    assert purge_plan()[Retention.JOB_APPLICATION] == 0


def test_p22_purge_dry_run_and_retention_check_cover_job_applications(world, position):
    application = _submitted(position)
    application_status_set(actor=world.acme_admin, application=application, status="hired")
    check = next(c for c in reconcile() if c.category == Retention.JOB_APPLICATION)
    assert check.ok and check.overdue is None and check.oldest_age is not None

    _end_process(application, months=12, days=3)
    out = StringIO()
    call_command("purge", "--dry-run", stdout=out)
    assert "job-application" in out.getvalue()
    check = next(c for c in reconcile() if c.category == Retention.JOB_APPLICATION)
    assert not check.ok and check.overdue is not None and check.overdue >= timedelta(days=2)
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("retention_check", "--json", stdout=out, stderr=StringIO())
    assert exit_info.value.code == 1
    row = next(c for c in json.loads(out.getvalue())["categories"] if c["category"] == "job-application")
    assert row["ok"] is False and row["overdue_hours"] >= 48
    assert Application.objects.filter(id=application.id).exists()  # the dry run and the check delete nothing


def test_p22_the_admin_deletes_an_application_now_through_the_engine(world, position, django_capture_on_commit_callbacks):
    application = _submitted(position)
    paths = [file_path(application.cv), file_path(application.photo)]
    admin = client_for(world.acme_admin)
    action = reverse("careers:action", kwargs={"slug": "acme", "application_id": application.id})
    refused = admin.post(action, {"action": "delete"})
    assert refused.status_code == 400 and b"Tick the box" in refused.content
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(action, {"action": "delete", "confirm": "delete"})
    assert response.status_code == 302
    assert not Application.objects.exists() and not any(p.exists() for p in paths)
    assert not _live_key(application.id)
    assert ErasureRecord.objects.filter(target_type="application", target_id=application.id, rule="manual").exists()


def test_p22_admins_manage_positions(world):
    admin = client_for(world.acme_admin)
    url = reverse("careers:positions", kwargs={"slug": "acme"})
    assert admin.post(url, {"title": ""}).status_code == 400
    assert admin.post(url, {"title": "Branch manager", "description": "Lead a branch."}).status_code == 302
    position = Position.objects.get(tenant=world.acme, title="Branch manager")
    assert position.is_open and b"Branch manager" in admin.get(url).content
    toggle = reverse("careers:position_open", kwargs={"slug": "acme", "position_id": position.id})
    assert admin.post(toggle, {"open": "0"}).status_code == 302
    position.refresh_from_db()
    assert not position.is_open
    assert b"Branch manager" not in Client().get(reverse("careers:index", kwargs={"slug": "acme"})).content


def _object_routes(application, position):
    a = {"application_id": application.id}
    return [
        ("careers:application", "get", a, {}),
        ("careers:action", "post", a, {"action": "delete", "confirm": "delete"}),
        ("careers:file", "get", {**a, "kind": "cv"}, {}),
        ("careers:position_open", "post", {"position_id": position.id}, {"open": "0"}),
    ]


def test_p22_every_application_route_refuses_another_tenant_experts_and_strangers(world, position):
    application = _submitted(position)
    for name, method, kwargs, data in _object_routes(application, position):
        for slug in ("globex", "acme"):  # another tenant's admin, through their own portal and through Acme's
            response = getattr(client_for(world.globex_admin), method)(reverse(name, kwargs={"slug": slug, **kwargs}), data)
            assert response.status_code == 404, (name, slug)
        url = reverse(name, kwargs={"slug": "acme", **kwargs})
        assert getattr(client_for(world.acme_expert), method)(url, data).status_code == 403, name
        stranger = getattr(Client(), method)(url, data)
        assert stranger.status_code == 302 and stranger["Location"] == "/t/acme/login/", name
    application.refresh_from_db()
    position.refresh_from_db()
    assert position.is_open and StoredFile.objects.filter(scope_id=application.id).count() == 2


def test_p22_the_registry_declares_applications_and_the_system_check_passes(db):
    from django.core.management import call_command as run

    from parley.privacy import declarations_loaded
    from parley.privacy.registry import declaration_for

    run("check")  # raises SystemCheckError on an undeclared or wrongly stored field
    declarations_loaded()
    declared = declaration_for(Application)
    assert declared is not None
    assert {f.retention for f in declared.fields.values()} == {Retention.JOB_APPLICATION}
    assert {"name", "email", "phone", "linkedin_url", "cover_letter", "cv", "photo", "notes"} <= set(declared.fields)


def test_p22_a_position_with_applications_cannot_be_deleted_but_the_tenant_can(world, position):
    from django.db.models import RestrictedError

    from parley.tenants.models import Tenant

    _submitted(position)
    with pytest.raises(RestrictedError):
        Position.objects.filter(id=position.id).delete()
    Tenant.objects.filter(id=world.acme.id).delete()
    assert not Application.objects.exists() and not Position.objects.exists()


def test_p22_restore_check_erases_a_restored_application_and_its_key_again(world, position, django_capture_on_commit_callbacks):
    """A backup taken before the purge brings the application row, its CV row and its live data key back; the
    erasure ledger names them, so `parley restore-check` erases them again."""
    from django.db import connection

    application = _submitted(position)
    application_status_set(actor=world.acme_admin, application=application, status="hired")
    tables = [StoredFile, Application, DataKey]
    backup = {}
    with connection.cursor() as cursor:
        for model in tables:
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (our own table names)
            backup[table] = ([c[0] for c in cursor.description], cursor.fetchall())
    _end_process(application, months=12, days=1)
    with django_capture_on_commit_callbacks(execute=True):
        list(purge(only=Retention.JOB_APPLICATION))
    assert not Application.objects.filter(id=application.id).exists()

    # The restore: rows that are missing come back, the key row gets its wrapped key back.
    with connection.cursor() as cursor:
        for model in tables:
            table = model._meta.db_table
            columns, rows = backup[table]
            present = {str(pk) for pk in model._base_manager.values_list("pk", flat=True)}
            for row in rows:
                values = dict(zip(columns, row, strict=True))
                if model is DataKey:
                    cursor.execute(
                        "UPDATE crypto_key SET wrapped = %s, destroyed_at = NULL WHERE id = %s",
                        [values["wrapped"], values["id"]],
                    )
                elif str(model._meta.pk.to_python(values[model._meta.pk.column])) not in present:
                    names = ", ".join(connection.ops.quote_name(c) for c in columns)
                    marks = ", ".join(["%s"] * len(columns))
                    cursor.execute(f"INSERT INTO {connection.ops.quote_name(table)} ({names}) VALUES ({marks})", row)  # noqa: S608
    assert Application.objects.get(id=application.id).name == "Anna Applicant"  # readable again: the danger

    with django_capture_on_commit_callbacks(execute=True):
        call_command("restore_check", stdout=(out := StringIO()))
    assert "applications          1 erased again" in out.getvalue(), out.getvalue()
    assert not Application.objects.filter(id=application.id).exists()
    assert not _live_key(application.id)
