"""P07: a canary written through every encrypted field and the profile photo appears nowhere at rest:
not in the raw SQLite file (with its WAL), not in the upload folder, not in a PostgreSQL dump."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from parley.accounts.models import Invitation, TOTPDevice, User
from parley.accounts.services import invitation_create, totp_device_start, user_create
from parley.crypto.fields import EncryptedField
from parley.experts.models import ExpertProfile
from parley.experts.services import expert_photo_set, expert_profile_update
from parley.files.services import file_read
from parley.interactions.models import Message
from parley.interactions.services import document_post, interaction_start
from parley.notifications.models import OutboxMail
from parley.tenants.services import tenant_create

CANARY = "CanaryP07-7f3a9c"


def _photo_with_canary_pixels() -> bytes:
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (300, 120), "white")
    ImageDraw.Draw(image).text((10, 50), CANARY, fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=_png_text())
    return out.getvalue()


def _png_text():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", CANARY)
    return info


def _write_canaries() -> dict[str, bytes]:
    """Write the canary through every encrypted field; return the secrets that cannot carry it."""
    tenant = tenant_create(
        slug="canary", name="Canary Org", controller_contact=f"controller {CANARY}", dpo_contact=f"dpo {CANARY}"
    )
    admin = user_create(
        tenant=tenant,
        name=f"Admin {CANARY}",
        email=f"admin.{CANARY.lower()}@x.test",
        password="unrelated-Passw0rd-91",
        role="admin",
    )
    expert = user_create(
        tenant=tenant, name=f"Expert {CANARY}", email=f"{CANARY.lower()}@x.test", password="unrelated-Passw0rd-91", role="expert"
    )
    profile = ExpertProfile.objects.get(user=expert)
    expert_profile_update(profile=profile, description=f"About {CANARY}", languages=["de"])
    profile.languages = ["de", CANARY]  # bypasses the service's language check on purpose: JSON field canary
    profile.save(update_fields=["languages"])
    expert_photo_set(profile=ExpertProfile.objects.get(pk=profile.pk), data=_photo_with_canary_pixels())
    invitation_create(actor=admin, email=f"invitee.{CANARY.lower()}@x.test")
    device = totp_device_start(user=expert)
    photo = ExpertProfile.objects.get(pk=profile.pk).photo
    assert photo is not None
    tenant.document_types = ["pdf", "image", "text"]
    tenant.save(update_fields=["document_types"])
    interaction, _token, _first = interaction_start(
        tenant=tenant,
        expert_profile_id=profile.id,
        name=f"Customer {CANARY}",
        email=f"c.{CANARY.lower()}@x.test",
        body=f"Hello {CANARY}",
    )
    document_post(interaction=interaction, sender="customer", filename=f"{CANARY}.txt", data=f"statement {CANARY}\n".encode())
    _write_appointment_canaries(tenant, expert)
    _write_dsr_canaries(tenant, admin)
    _write_hold_canary(admin, interaction)
    _write_application_canaries(tenant, admin)
    return {"totp": device.secret.encode(), "photo": file_read(stored=photo)[:200]}


def _write_application_canaries(tenant, admin) -> None:
    """P22: every encrypted field of a job application, its CV (canary in the PDF text and file name) and photo."""
    import io

    import pikepdf

    from parley.careers.models import Position
    from parley.careers.services import application_notes_set, application_submit

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Contents = pdf.make_stream(f"BT /F1 12 Tf 10 10 Td (CV {CANARY}) Tj ET".encode())
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    position = Position.objects.create(tenant=tenant, title="Adviser")
    application = application_submit(
        tenant=tenant,
        position=position,
        name=f"Applicant {CANARY}",
        email=f"a.{CANARY.lower()}@x.test",
        phone=f"+41 {CANARY}",
        linkedin_url=f"https://www.linkedin.com/in/{CANARY}",
        cover_letter=f"Dear {CANARY}",
        cv_data=out.getvalue(),
        cv_filename=f"{CANARY}.pdf",
        photo_data=_photo_with_canary_pixels(),
    )
    application_notes_set(actor=admin, application=application, notes=f"Interviewed {CANARY}")


def _write_hold_canary(admin, interaction) -> None:
    from parley.holds.services import hold_place_on_interaction

    hold_place_on_interaction(actor=admin, interaction_id=interaction.id, reason=f"Court order {CANARY}")


def _write_dsr_canaries(tenant, admin) -> None:
    from unittest import mock

    from parley.dsr.services import request_confirm, request_note_add, request_submit

    with mock.patch("parley.dsr.services.secrets.token_urlsafe", return_value="dsr-canary-token"):
        request_submit(tenant=tenant, email=f"dsr.{CANARY.lower()}@x.test", name=f"Asker {CANARY}", text=f"Erase {CANARY}")
    request = request_confirm(tenant=tenant, token="dsr-canary-token")
    request_note_add(actor=admin, request=request, note=f"Called {CANARY}")


def _write_appointment_canaries(tenant, expert) -> None:
    from datetime import UTC, datetime, time, timedelta

    from parley.scheduling.models import AppointmentType, CalendarConnection, OAuthState, WeeklyHours
    from parley.scheduling.services import appointment_book, appointment_cancel

    kind = AppointmentType.objects.create(tenant=tenant, name="Video", min_notice_minutes=0)
    for weekday in range(7):
        WeeklyHours.objects.create(expert=expert, weekday=weekday, start=time(0), end=time(0))
    starts = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    appointment, _manage, _token = appointment_book(
        tenant=tenant,
        appointment_type_id=kind.id,
        starts_at=starts,
        expert_profile_id=ExpertProfile.objects.get(user=expert).id,
        name=f"Booker {CANARY}",
        email=f"b.{CANARY.lower()}@x.test",
        note=f"Note {CANARY}",
    )
    assert OutboxMail.objects.filter(calendar__isnull=False).exists()  # the invitation carries the name and e-mail
    appointment_cancel(actor=expert, appointment=appointment, message=f"Sorry {CANARY}")
    CalendarConnection.objects.create(
        tenant=tenant,
        expert=expert,
        provider="caldav",
        access_token=f"at-{CANARY}",
        refresh_token=f"rt-{CANARY}",
        caldav_url=f"https://dav.example/{CANARY}/",
        caldav_username=f"user-{CANARY}",
        caldav_password=f"pw-{CANARY}",
    )
    OAuthState.objects.create(tenant=tenant, expert=expert, provider="google", state_hash="0" * 64, code_verifier=f"v-{CANARY}")


def _covered_fields() -> set[str]:
    return {
        f"{m._meta.label}.{f.name}" for m in apps.get_models() for f in m._meta.concrete_fields if isinstance(f, EncryptedField)
    }


WRITTEN = {
    "tenants.Tenant.controller_contact",
    "tenants.Tenant.dpo_contact",
    "accounts.User.name",
    "accounts.User.email",
    "accounts.Invitation.email",
    "accounts.TOTPDevice.secret",
    "experts.ExpertProfile.description",
    "experts.ExpertProfile.languages",
    "notifications.OutboxMail.recipient",
    "notifications.OutboxMail.subject",
    "notifications.OutboxMail.body",
    "interactions.Interaction.customer_name",
    "interactions.Interaction.customer_email",
    "interactions.Message.body",
    "interactions.Document.filename",
    "notifications.OutboxMail.calendar",
    "scheduling.Appointment.note",
    "scheduling.Appointment.expert_message",
    "scheduling.Appointment.manage_token",
    "scheduling.CalendarConnection.access_token",
    "scheduling.CalendarConnection.refresh_token",
    "scheduling.CalendarConnection.caldav_url",
    "scheduling.CalendarConnection.caldav_username",
    "scheduling.CalendarConnection.caldav_password",
    "scheduling.OAuthState.code_verifier",
    "dsr.DataSubjectRequest.email",
    "dsr.DataSubjectRequest.name",
    "dsr.DataSubjectRequest.text",
    "dsr.DataSubjectRequest.outcome",
    "holds.LegalHold.reason",
    "careers.Application.name",
    "careers.Application.email",
    "careers.Application.phone",
    "careers.Application.linkedin_url",
    "careers.Application.cover_letter",
    "careers.Application.cv_filename",
    "careers.Application.notes",
}


def test_p07_the_canary_test_covers_every_encrypted_field():
    assert _covered_fields() == WRITTEN, "write the canary through the new encrypted field in _write_canaries()"


def _needles(extra: dict[str, bytes]) -> list[bytes]:
    return [CANARY.encode(), CANARY.lower().encode(), CANARY.encode("utf-16-le"), *extra.values()]


def _assert_absent(blob: bytes, needles: list[bytes], where: str) -> None:
    for needle in needles:
        assert needle not in blob, f"plaintext found in {where}"


def _scan_files(folder: Path, needles: list[bytes]) -> int:
    count = 0
    for path in folder.rglob("*"):
        if path.is_file():
            _assert_absent(path.read_bytes(), needles, str(path))
            count += 1
    return count


@pytest.mark.django_db(transaction=True)
def test_p07_no_canary_in_the_database_files_or_uploads():
    extra = _write_canaries()
    assert OutboxMail.objects.exists() and Invitation.objects.exists() and TOTPDevice.objects.exists()
    assert User.objects.filter(tenant__slug="canary").count() == 2
    assert Message.objects.filter(document__isnull=False).exists()
    needles = _needles(extra)
    assert _scan_files(Path(settings.FILES_DIR), needles) >= 1
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(FULL)")
        db_path = Path(connection.settings_dict["NAME"])
        files = [p for p in db_path.parent.glob(db_path.name + "*") if p.is_file()]
        assert db_path in files
        for path in files:
            _assert_absent(path.read_bytes(), needles, str(path))
    else:
        if not shutil.which("pg_dump"):
            pytest.fail("pg_dump is needed to check PostgreSQL at rest")
        db = connection.settings_dict
        env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
        cmd = [
            "pg_dump",
            "--data-only",
            "-h",
            db.get("HOST") or "127.0.0.1",
            "-p",
            str(db.get("PORT") or 5432),
            "-U",
            db.get("USER") or "postgres",
            db["NAME"],
        ]
        dump = subprocess.run(cmd, env=env, capture_output=True, check=True, timeout=60).stdout
        assert b"accounts_user" in dump
        _assert_absent(dump, needles, "pg_dump")
