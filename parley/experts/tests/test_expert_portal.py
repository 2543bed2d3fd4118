import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from parley.core.testing import World, client_for
from parley.experts.models import ExpertProfile
from parley.files.models import StoredFile
from parley.files.services import file_path, file_read


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (1200, 800), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "CanaryCameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (47.0, 22.0, 0.0)}  # GPS info
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_an_expert_edits_the_profile(world: World):
    client = client_for(world.acme_expert)
    client.post("/t/acme/expert/status/", {"status": "online"})
    response = client.post("/t/acme/expert/", {"description": "Pensions", "languages": ["de", "it"]})
    assert response.status_code == 302
    profile = ExpertProfile.objects.get(user=world.acme_expert)
    # Saving the profile keeps the status set in the status panel.
    assert (profile.description, profile.languages, profile.status) == ("Pensions", ["de", "it"], "online")


def test_a_profile_without_languages_is_refused(world: World):
    response = client_for(world.acme_expert).post("/t/acme/expert/", {"description": "x"})
    assert response.status_code == 400


def test_the_status_toggle_answers_htmx_with_the_panel(world: World):
    response = client_for(world.acme_expert).post("/t/acme/expert/status/", {"status": "online"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Go offline" in response.content.decode()
    assert client_for(world.acme_expert).post("/t/acme/expert/status/", {"status": "away"}).status_code == 400


def test_p07_a_profile_photo_is_stripped_of_metadata_and_encrypted_at_rest(world: World):
    upload = SimpleUploadedFile("me.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    response = client_for(world.acme_expert).post("/t/acme/expert/photo/", {"photo": upload})
    assert response.status_code == 302
    stored = StoredFile.objects.get(scope_id=world.acme_expert.id)
    raw = file_path(stored).read_bytes()
    assert b"CanaryCameraMaker" not in raw
    assert b"\xff\xd8\xff" not in raw[:64]  # not a JPEG on disk: ciphertext
    clean = file_read(stored=stored)
    image = Image.open(io.BytesIO(clean))
    assert max(image.size) <= 512
    assert not image.getexif()
    assert b"CanaryCameraMaker" not in clean


def test_a_file_that_is_not_an_image_is_refused_with_a_message(world: World):
    upload = SimpleUploadedFile("me.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    client = client_for(world.acme_expert)
    response = client.post("/t/acme/expert/photo/", {"photo": upload}, follow=True)
    assert "image" in response.content.decode().lower()
    assert not StoredFile.objects.exists()


def test_the_photo_is_served_to_members_of_the_tenant_only(world: World):
    profile = ExpertProfile.objects.get(user=world.acme_expert)
    upload = SimpleUploadedFile("me.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    client_for(world.acme_expert).post("/t/acme/expert/photo/", {"photo": upload})
    url = f"/t/acme/expert/photos/{profile.id}/"
    assert client_for(world.acme_admin).get(url).status_code == 200
    assert client_for(world.acme_admin).get(url)["Content-Type"] == "image/jpeg"
    assert client_for(world.globex_admin).get(url).status_code == 404
    assert client_for(world.globex_admin).get(f"/t/globex/expert/photos/{profile.id}/").status_code == 404
    assert Client().get(url).status_code == 302


def test_replacing_the_photo_deletes_the_old_file(world: World, django_capture_on_commit_callbacks):
    client = client_for(world.acme_expert)
    client.post("/t/acme/expert/photo/", {"photo": SimpleUploadedFile("a.jpg", _jpeg_with_gps())})
    first = StoredFile.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/t/acme/expert/photo/", {"photo": SimpleUploadedFile("b.jpg", _jpeg_with_gps())})
    assert not file_path(first).exists()
    assert StoredFile.objects.count() == 1


def test_the_public_expert_list_shows_only_active_experts_of_that_tenant(world: World):
    response = Client().get("/api/v1/tenants/acme/experts/")
    assert response.status_code == 200
    names = [e["name"] for e in response.json()["experts"]]
    assert names == ["Eve Expert"]
    world.acme_expert.is_active = False
    world.acme_expert.save(update_fields=["is_active"])
    assert Client().get("/api/v1/tenants/acme/experts/").json()["experts"] == []
    missing = Client().get("/api/v1/tenants/nobody/experts/")
    assert missing.status_code == 404
    assert missing.json()["message"]


def test_a_signed_out_htmx_request_is_told_to_navigate_to_the_login(world: World):
    response = Client().post("/t/acme/expert/status/", {"status": "online"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/t/acme/login/"
