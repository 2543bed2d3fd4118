"""P28 from the widget: the current visitor exports their own conversation (JSON and documents in a ZIP) with the
bearer token of that conversation; another token, another tenant or no token gets nothing of it."""

from django.test import Client

from parley.dsr.tests.conftest import conversation_of, unzip
from parley.files.services import file_read
from parley.interactions.models import Document

API = "/api/v1/widget"


def _export(token, slug="acme"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().get(f"{API}/{slug}/conversation/export", **headers)


def test_p28_a_visitor_exports_their_own_conversation_with_its_token(world):
    interaction, token = conversation_of(world)
    other, other_token = conversation_of(world, email="other@example.test", name="Other Person")
    response = _export(token)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip" and response["Cache-Control"] == "private, no-store"
    data, archive = unzip(b"".join(response.streaming_content))
    assert data["schema"]["name"] == "parley.data-subject-export" and data["request"] is None
    [exported] = data["records"]["interactions.Interaction"]
    assert exported["id"] == str(interaction.id) and exported["customer_name"] == "Carla Customer"
    assert [m["body"] for m in data["records"]["interactions.Message"]][:2] == ["Hello from Carla Customer", "How can I help?"]
    [doc] = data["records"]["interactions.Document"]
    assert archive.read(doc["file"]["file"]) == file_read(stored=Document.objects.get(id=doc["id"]).file)
    assert "Other Person" not in archive.read("data.json").decode()
    # The other visitor's token opens only the other conversation.
    data, _archive = unzip(b"".join(_export(other_token).streaming_content))
    assert [i["id"] for i in data["records"]["interactions.Interaction"]] == [str(other.id)]


def test_p28_the_widget_export_is_refused_without_a_valid_token_of_this_tenant(world):
    _interaction, token = conversation_of(world)
    assert _export(None).status_code == 401
    assert _export("not-a-token").status_code == 401
    assert _export(token, slug="globex").status_code == 401
    assert _export(token, slug="nobody").status_code == 404


def test_p28_a_visitor_can_still_delete_after_exporting(world):
    interaction, token = conversation_of(world)
    assert _export(token).status_code == 200
    response = Client().delete(f"{API}/acme/conversation", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 204
    assert _export(token).status_code == 401
