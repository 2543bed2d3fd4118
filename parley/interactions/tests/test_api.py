"""The web app's JSON API through Django's test client: start, read, write, upload, download, delete."""

import pytest
from django.core.cache import cache
from django.test import Client

from parley.experts.models import ExpertProfile
from parley.interactions.models import Interaction, Message
from parley.interactions.tests.conftest import png_bytes

API = "/api/v1/widget"


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _start(client, world, slug="acme", **overrides):
    profile = ExpertProfile.objects.get(user=world.acme_expert)
    body = {
        "expert_id": str(profile.id),
        "name": "Carla Customer",
        "email": "carla@example.test",
        "message": "Hello",
        **overrides,
    }
    return client.post(f"{API}/{slug}/conversations", body, content_type="application/json")


def _bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_config_lists_the_experts_offered_on_a_page_without_personal_data_of_visitors(world):
    response = Client().get(f"{API}/acme/config", {"page": "/loans/"})
    assert response.status_code == 200
    data = response.json()
    assert [e["name"] for e in data["experts"]] == ["Eve Expert"]
    assert data["features"]["chat"] is True and data["tenant"]["slug"] == "acme"
    assert "application/pdf" in data["documents"]["accept"]


def test_experts_excluded_from_a_page_are_not_offered_there(world):
    profile = ExpertProfile.objects.get(user=world.acme_expert)
    profile.page_include = "/loans/*"
    profile.save()
    assert Client().get(f"{API}/acme/config", {"page": "/loans/car"}).json()["experts"]
    assert not Client().get(f"{API}/acme/config", {"page": "/insurance/"}).json()["experts"]


def test_starting_a_conversation_returns_a_token_and_the_first_message(world):
    response = _start(Client(), world)
    assert response.status_code == 201, response.content
    data = response.json()
    assert len(data["token"]) >= 40 and data["messages"][0]["seq"] == 1
    assert data["conversation"]["expert"]["name"] == "Eve Expert"


def test_p16_the_token_alone_reopens_the_conversation_with_its_history(world):
    token = _start(Client(), world).json()["token"]
    response = Client().get(f"{API}/acme/conversation", **_bearer(token))
    assert response.status_code == 200
    assert [m["body"] for m in response.json()["messages"]] == ["Hello"]
    assert response.json()["conversation"]["customer_name"] == "Carla Customer"


def test_a_visitor_can_never_read_another_visitors_conversation(world):
    first = _start(Client(), world).json()
    second = _start(Client(), world, name="Other", email="o@example.test", message="Mine").json()
    response = Client().get(f"{API}/acme/conversation", **_bearer(second["token"]))
    assert [m["body"] for m in response.json()["messages"]] == ["Mine"]
    assert first["conversation"]["id"] != response.json()["conversation"]["id"]
    assert Client().get(f"{API}/globex/conversation", **_bearer(first["token"])).status_code == 401
    assert Client().get(f"{API}/acme/conversation").status_code == 401
    assert Client().get(f"{API}/acme/conversation", **_bearer("guess")).json()["message"]


def test_bad_input_gets_a_clear_4xx_and_stores_nothing(world):
    client = Client()
    assert _start(client, world, email="nope").status_code == 400
    assert _start(client, world, message="").status_code == 400
    assert _start(client, world, expert_id="not-a-uuid").status_code == 422
    assert client.post(f"{API}/acme/conversations", "{", content_type="application/json").status_code in (400, 422)
    assert _start(client, world, slug="nobody").status_code == 404
    assert not Interaction.objects.exists()


def test_p04_chat_switched_off_is_refused_by_the_api_and_not_offered(world):
    world.acme.chat_enabled = False
    world.acme.save()
    response = _start(Client(), world)
    assert response.status_code == 403 and "switched off" in response.json()["message"]
    assert Client().get(f"{API}/acme/config").json()["features"] == {
        "chat": False,
        "documents": False,
        "appointments": True,
        "calls": True,
    }
    assert not Interaction.objects.exists()


def test_messages_and_documents_round_trip_through_the_api(world):
    token = _start(Client(), world).json()["token"]
    client = Client()
    response = client.post(
        f"{API}/acme/conversation/messages", {"body": "Second"}, content_type="application/json", **_bearer(token)
    )
    assert response.status_code == 201 and response.json()["seq"] == 2
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("scan.png", png_bytes(), content_type="image/png")
    response = client.post(f"{API}/acme/conversation/documents", {"file": upload}, **_bearer(token))
    assert response.status_code == 201, response.content
    document = response.json()["document"]
    download = client.get(f"{API}/acme/conversation/documents/{document['id']}", **_bearer(token))
    assert download.status_code == 200 and download.content.startswith(b"\x89PNG")
    assert "attachment" in download["Content-Disposition"]
    other = _start(Client(), world, name="Other", email="o@example.test").json()["token"]
    assert client.get(f"{API}/acme/conversation/documents/{document['id']}", **_bearer(other)).status_code == 404


def test_a_refused_upload_says_why(world):
    token = _start(Client(), world).json()["token"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("tool.exe", b"MZ\x90\x00binary", content_type="application/octet-stream")
    response = Client().post(f"{API}/acme/conversation/documents", {"file": upload}, **_bearer(token))
    assert response.status_code == 415 and response.json()["message"]
    assert Message.objects.count() == 1


def test_p08_the_visitor_deletes_their_own_conversation(world):
    token = _start(Client(), world).json()["token"]
    assert Client().delete(f"{API}/acme/conversation", **_bearer(token)).status_code == 204
    assert not Interaction.objects.exists()
    assert Client().get(f"{API}/acme/conversation", **_bearer(token)).status_code == 401


def test_starting_conversations_is_rate_limited_per_client(world):
    client = Client()
    codes = [_start(client, world, email=f"c{i}@example.test").status_code for i in range(11)]
    assert codes[:10] == [201] * 10 and codes[10] == 429
    assert _start(Client(REMOTE_ADDR="198.51.100.9"), world).status_code == 201


def test_the_widget_endpoints_are_in_the_openapi_schema(world):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/widget/{slug}/config", "/api/v1/widget/{slug}/conversations", "/api/v1/widget/{slug}/conversation"):
        assert path in paths


def test_an_expert_shows_online_only_while_a_portal_connection_sends_heartbeats(world, settings):
    from datetime import timedelta

    from django.utils import timezone

    from parley.realtime.models import Presence
    from parley.realtime.services import presence_join

    profile = ExpertProfile.objects.get(user=world.acme_expert)
    profile.status = ExpertProfile.Status.ONLINE
    profile.save()

    def online():
        return Client().get(f"{API}/acme/config").json()["experts"][0]["online"]

    assert online() is False  # "online" switched on, but no portal open
    presence_join(channel_name="portal.1", tenant_id=world.acme.id, user_id=world.acme_expert.id)
    assert online() is True
    stale = timezone.now() - timedelta(seconds=settings.PARLEY_PRESENCE_TIMEOUT + 1)
    Presence.objects.update(seen_at=stale)  # the process died without a disconnect: within a minute, offline
    assert online() is False
    profile.status = ExpertProfile.Status.OFFLINE
    profile.save()
    presence_join(channel_name="portal.1", tenant_id=world.acme.id, user_id=world.acme_expert.id)
    assert online() is False  # connected but set to offline
