from django.test import Client

from parley.accounts.models import PortalSession, User
from parley.core.testing import PASSWORD, World, client_for
from parley.crypto.models import DataKey
from parley.experts.models import ExpertProfile
from parley.tenants.models import Tenant

SETTINGS = {
    "name": "Acme Private Bank",
    "controller_contact": "Acme Bank AG, Zürich",
    "dpo_contact": "DPO, dpo@acme.test",
    "primary_colour": "#003366",
    "accent_colour": "#ffcc00",
    "default_language": "de",
    "chat_enabled": "on",
    "appointments_enabled": "on",
    "retention_months": 6,
}


def test_an_admin_changes_the_organisation_settings(world: World):
    response = client_for(world.acme_admin).post("/t/acme/admin/settings/", SETTINGS)
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=world.acme.pk)
    assert tenant.name == "Acme Private Bank"
    assert tenant.dpo_contact == "DPO, dpo@acme.test"
    assert tenant.default_language == "de"
    assert (tenant.chat_enabled, tenant.documents_enabled, tenant.calls_enabled) == (True, False, False)
    assert tenant.retention_months == 6
    # Globex is untouched.
    assert Tenant.objects.get(pk=world.globex.pk).name == "Globex Insurance"


def test_p06_retention_beyond_12_months_is_refused_with_a_message(world: World):
    response = client_for(world.acme_admin).post("/t/acme/admin/settings/", {**SETTINGS, "retention_months": 13})
    assert response.status_code == 400
    assert "12" in response.content.decode()
    assert Tenant.objects.get(pk=world.acme.pk).retention_months == 12


def test_a_bad_colour_is_refused_and_nothing_is_saved(world: World):
    response = client_for(world.acme_admin).post("/t/acme/admin/settings/", {**SETTINGS, "primary_colour": "red"})
    assert response.status_code == 400
    assert Tenant.objects.get(pk=world.acme.pk).name == "Acme Bank"


def test_an_admin_deactivates_an_expert_who_is_signed_out_everywhere(world: World):
    expert = Client()
    expert.post("/t/acme/login/", {"email": "eve@acme.test", "password": PASSWORD})
    assert expert.get("/t/acme/expert/").status_code == 200
    response = client_for(world.acme_admin).post(f"/t/acme/admin/people/{world.acme_expert.id}/active/", {"action": "deactivate"})
    assert response.status_code == 302
    assert not PortalSession.objects.filter(user_id=world.acme_expert.id).exists()
    assert expert.get("/t/acme/expert/").status_code == 302
    assert Client().post("/t/acme/login/", {"email": "eve@acme.test", "password": PASSWORD}).status_code == 400
    client_for(world.acme_admin).post(f"/t/acme/admin/people/{world.acme_expert.id}/active/", {"action": "activate"})
    assert Client().post("/t/acme/login/", {"email": "eve@acme.test", "password": PASSWORD}).status_code == 302


def test_the_last_admin_cannot_be_deactivated_or_deleted(world: World):
    admin = client_for(world.acme_admin)
    admin.post(f"/t/acme/admin/people/{world.acme_admin.id}/active/", {"action": "deactivate"})
    admin.post(f"/t/acme/admin/people/{world.acme_admin.id}/delete/", {"confirm": "delete"})
    assert User.objects.get(pk=world.acme_admin.pk).is_active


def test_p09_deleting_an_expert_irrevocably_deletes_all_their_data(world: World, django_capture_on_commit_callbacks):
    from parley.experts.services import expert_photo_set
    from parley.files.models import StoredFile
    from parley.files.services import file_path

    profile = ExpertProfile.objects.get(user=world.acme_expert)
    expert_photo_set(profile=ExpertProfile.objects.get(pk=profile.pk), data=_jpeg())
    photo = StoredFile.objects.get(scope_id=world.acme_expert.id)
    photo_path = file_path(photo)
    assert photo_path.exists()
    Client().post("/t/acme/login/", {"email": "eve@acme.test", "password": PASSWORD})

    admin = client_for(world.acme_admin)
    assert admin.get(f"/t/acme/admin/people/{world.acme_expert.id}/delete/").status_code == 200
    # Without the confirmation nothing happens.
    admin.post(f"/t/acme/admin/people/{world.acme_expert.id}/delete/")
    assert User.objects.filter(pk=world.acme_expert.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/t/acme/admin/people/{world.acme_expert.id}/delete/", {"confirm": "delete"})
    assert response.status_code == 302

    assert not User.objects.filter(pk=world.acme_expert.pk).exists()
    assert not ExpertProfile.objects.filter(pk=profile.pk).exists()
    assert not StoredFile.objects.filter(pk=photo.pk).exists()
    assert not photo_path.exists()
    assert not PortalSession.objects.filter(user_id=world.acme_expert.id).exists()
    key = DataKey.objects.get(scope_type="person", scope_id=world.acme_expert.id)
    assert key.destroyed_at is not None
    assert bytes(key.wrapped) == b""


def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def test_an_admin_uploads_a_logo_that_the_login_page_shows(world: World):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("logo.jpg", _jpeg(), content_type="image/jpeg")
    response = client_for(world.acme_admin).post("/t/acme/admin/settings/", {**SETTINGS, "logo": upload})
    assert response.status_code == 302
    assert 'src="/t/acme/logo/"' in Client().get("/t/acme/login/").content.decode()
    logo = Client().get("/t/acme/logo/")
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/jpeg"
    # Another tenant's URL does not show it.
    assert Client().get("/t/globex/logo/").status_code == 404
    client_for(world.acme_admin).post("/t/acme/admin/settings/", {**SETTINGS, "remove_logo": "on"})
    assert Client().get("/t/acme/logo/").status_code == 404


def test_a_german_user_gets_the_portal_in_german_whatever_the_browser_says(world: World):
    world.acme_expert.language = "de"
    world.acme_expert.save(update_fields=["language"])
    response = client_for(world.acme_expert).get("/t/acme/expert/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "de"
    assert '<html lang="de">' in response.content.decode()


def test_without_a_profile_language_the_browser_language_is_used(world: World):
    response = Client().get("/t/acme/login/", HTTP_ACCEPT_LANGUAGE="de-CH,de;q=0.9")
    assert '<html lang="de' in response.content.decode()


def test_the_brand_colours_keep_text_readable(world: World):
    client_for(world.acme_admin).post("/t/acme/admin/settings/", {**SETTINGS, "primary_colour": "#ffee00"})
    css = Client().get("/t/acme/brand.css").content.decode()
    assert "--primary: #ffee00" in css
    assert "--on-primary: #000000" in css  # dark text on a light brand colour
    assert "--on-primary: #ffffff" in Client().get("/t/globex/brand.css").content.decode()
    assert Client().get("/t/nobody/brand.css").status_code == 404
