"""P29 from the web app: a visitor (with or without a conversation) sends a data-subject request through the same
intake as the public request page — same limits, same answer for known and unknown addresses, same single-use
confirmation mail. With a valid conversation token the request records which conversation it came from."""

from django.core.cache import cache
from django.test import Client

from parley.dsr.models import DataSubjectRequest
from parley.dsr.tests.conftest import admin_client, conversation_of, mail_link

API = "/api/v1/widget"


def _send(slug="acme", token=None, **fields):
    data = {"email": "carla@example.test", "right": "access", "text": "What do you keep about me?", **fields}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().post(f"{API}/{slug}/privacy-request", data, content_type="application/json", **headers)


def test_p29_a_widget_request_mails_a_single_use_confirmation_link_like_the_public_page(
    world, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(language="de")
    assert response.status_code == 202
    assert response.json() == {"message": "Check your e-mail to confirm the request.", "hours": 24}
    [mail] = smtp_server.messages
    assert mail["To"] == "carla@example.test"
    dsr = DataSubjectRequest.objects.get()
    assert dsr.status == "unconfirmed" and dsr.right == "access" and dsr.language == "de"
    assert dsr.text == "What do you keep about me?" and dsr.outcome == []  # no conversation: no source recorded
    link = mail_link(mail)
    assert link.startswith("/t/acme/privacy/request/confirm/")
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(link).status_code == 200
    assert DataSubjectRequest.objects.get().status == "new"
    assert Client().post(link).status_code == 404  # single use


def test_p29_the_widget_answers_alike_for_a_known_and_an_unknown_address(world, smtp_server, django_capture_on_commit_callbacks):
    conversation_of(world, email="known@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        known = _send(email="known@example.test")
        unknown = _send(email="nobody@example.test")
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert sorted(m["To"] for m in smtp_server.messages) == ["known@example.test", "nobody@example.test"]
    assert {m["Subject"] for m in smtp_server.messages} == {"Please confirm your request to Acme Bank"}


def test_p29_bad_widget_input_is_refused_with_a_message(world):
    response = _send(email="not-an-address")
    assert response.status_code == 400
    assert response.json()["message"] == "Enter a valid e-mail address."
    assert response.json()["extra"]["fields"]["email"] == "Enter a valid e-mail address."
    response = _send(right="", text="   ")
    assert response.status_code == 400 and "choose one of the rights" in response.json()["message"]
    response = _send(right="everything")
    assert response.status_code == 400 and response.json()["extra"]["fields"]["right"] == "Unknown right."
    response = _send(text="x" * 5001)
    assert response.status_code == 400 and "at most 5000 characters" in response.json()["message"]
    response = Client().post(f"{API}/acme/privacy-request", "{}", content_type="application/json")
    assert response.status_code == 422  # no e-mail field at all: the API's input error
    assert not DataSubjectRequest.objects.exists()


def test_p29_a_formless_widget_request_is_enough(world):
    assert _send(right="", text="Please delete everything about me").status_code == 202
    assert DataSubjectRequest.objects.get().right == "other"


def test_p29_an_unknown_organisation_has_no_widget_request(db):
    response = _send(slug="nobody")
    assert response.status_code == 404 and response.json()["message"] == "No such organisation."


def test_p29_the_widget_shares_the_public_pages_rate_limit(world):
    cache.clear()
    statuses = [_send(email=f"p{i}@example.test").status_code for i in range(3)]
    statuses += [
        Client().post("/t/acme/privacy/request/", {"email": f"q{i}@example.test", "text": "Hi"}).status_code for i in range(2)
    ]
    statuses += [_send(email="late@example.test").status_code]
    assert statuses == [202, 202, 202, 200, 200, 429]
    assert "Too many requests" in _send(email="later@example.test").json()["message"]
    assert DataSubjectRequest.objects.count() == 5


def test_p29_one_address_gets_at_most_three_confirmation_mails_from_the_widget_too(
    world, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert _send(email="victim@example.test").status_code == 202
            cache.clear()  # other clients: the per-address cap applies, not the per-client one
    assert len(smtp_server.messages) == 3


def test_p29_a_request_with_the_conversation_token_records_that_conversation_for_the_admin(
    world, smtp_server, django_capture_on_commit_callbacks
):
    interaction, token = conversation_of(world)
    with django_capture_on_commit_callbacks(execute=True):
        assert _send(token=token, email="another@example.test", right="erasure", text="").status_code == 202
    dsr = DataSubjectRequest.objects.get()
    [entry] = dsr.outcome
    assert entry["action"] == "widget" and entry["counts"] == {"interaction": str(interaction.id)}
    assert set(entry) == {"at", "action", "counts"}  # the conversation's id, no copy of anyone's data
    # Identity is still confirmed by the mailed link, and the admin sees where the request came from.
    [mail] = smtp_server.messages
    assert mail["To"] == "another@example.test"
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(mail_link(mail)).status_code == 200
    detail = admin_client(world).get(f"/t/acme/admin/requests/{dsr.id}/").content.decode()
    assert f"Sent from the web app by the visitor of conversation {interaction.id}" in detail


def test_p29_a_stale_or_foreign_token_sends_the_request_without_a_source(world):
    interaction, token = conversation_of(world)
    assert _send(token="not-a-token").status_code == 202
    assert _send(slug="globex", token=token).status_code == 202  # acme's conversation is nothing to globex
    requests = DataSubjectRequest.objects.order_by("created_at")
    assert [r.tenant.slug for r in requests] == ["acme", "globex"]
    assert all(r.outcome == [] for r in requests)


def test_p29_the_form_is_prefilled_with_the_conversations_address_for_its_token_only(world):
    _interaction, token = conversation_of(world, email="carla@example.test")
    response = Client().get(f"{API}/acme/privacy-request/prefill", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json() == {"email": "carla@example.test"}
    assert Client().get(f"{API}/acme/privacy-request/prefill").status_code == 401
    assert Client().get(f"{API}/globex/privacy-request/prefill", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert Client().get(f"{API}/nobody/privacy-request/prefill", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 404
