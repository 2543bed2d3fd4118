"""P29: a formless request on the tenant's public page, confirmed through a single-use e-mail link, lands in the
admins' queue with a one-month due date and a receipt; the page never reveals whether an address is known."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from parley.core.housekeeping import housekeeping_run
from parley.crypto.models import DataKey
from parley.dsr.models import DataSubjectRequest
from parley.dsr.services import add_months
from parley.dsr.tests.conftest import admin_client, conversation_of, mail_body, mail_link

PAGE = "/t/acme/privacy/request/"


def _submit(client, email="carla@example.test", **extra):
    data = {"email": email, "name": "Carla", "right": "access", "text": "What do you keep about me?", **extra}
    return client.post(PAGE, data)


def test_p29_a_request_is_confirmed_once_through_the_mailed_link_and_queued_with_a_due_date_and_receipt(
    world, smtp_server, django_capture_on_commit_callbacks
):
    client = Client()
    page = client.get(PAGE)
    assert page.status_code == 200 and "Your data at Acme Bank" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(client)
    assert response.status_code == 200 and "Check your e-mail" in response.content.decode()
    [confirm_mail] = smtp_server.messages
    assert confirm_mail["To"] == "carla@example.test"
    link = mail_link(confirm_mail)
    assert link.startswith("/t/acme/privacy/request/confirm/")
    # Not in the queue before it is confirmed.
    queue = admin_client(world).get("/t/acme/admin/requests/?show=all")
    assert "data-request=" not in queue.content.decode()

    # Opening the link (as a mail scanner would) confirms nothing; the button does.
    assert client.get(link).status_code == 200
    assert DataSubjectRequest.objects.get().status == "unconfirmed"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link)
    assert response.status_code == 200
    dsr = DataSubjectRequest.objects.get()
    assert dsr.status == "new" and dsr.number == 1 and dsr.token_hash is None
    assert dsr.due_at == add_months(dsr.confirmed_at, 1)
    assert timedelta(days=28) <= dsr.due_at - dsr.confirmed_at <= timedelta(days=31)
    # Second use of the link is refused.
    assert client.post(link).status_code == 404
    assert client.get(link).status_code == 404
    assert DataSubjectRequest.objects.get().number == 1

    receipt = next(m for m in smtp_server.messages[1:] if m["To"] == "carla@example.test")
    body = mail_body(receipt)
    assert "Request number: 1" in body and f"{dsr.due_at:%Y}" in body
    assert any(m["To"] == "ada@acme.test" for m in smtp_server.messages), "the admins are told"

    queue = admin_client(world).get("/t/acme/admin/requests/")
    html = queue.content.decode()
    assert f'data-request="{dsr.id}"' in html and "#1" in html
    detail = admin_client(world).get(f"/t/acme/admin/requests/{dsr.id}/").content.decode()
    assert "What do you keep about me?" in detail and "carla@example.test" in detail


def _without_nonces(html: bytes) -> bytes:
    import re

    return re.sub(rb'nonce="[^"]*"', b"", html)


def test_p29_the_page_answers_alike_for_a_known_and_an_unknown_address(world, smtp_server, django_capture_on_commit_callbacks):
    conversation_of(world, email="known@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        known = _submit(Client(), email="known@example.test")
        unknown = _submit(Client(), email="nobody@example.test")
    assert known.status_code == unknown.status_code == 200
    assert _without_nonces(known.content) == _without_nonces(unknown.content)
    # Both get the same kind of mail: only the mailbox owner learns anything, by confirming.
    assert sorted(m["To"] for m in smtp_server.messages) == ["known@example.test", "nobody@example.test"]
    assert {m["Subject"] for m in smtp_server.messages} == {"Please confirm your request to Acme Bank"}


def test_p29_an_empty_request_or_a_bad_address_is_refused_with_a_message(world):
    response = _submit(Client(), right="", text="")
    assert response.status_code == 400 and "choose one of the rights" in response.content.decode()
    response = _submit(Client(), email="not-an-address")
    assert response.status_code == 400
    assert not DataSubjectRequest.objects.exists()


def test_p29_a_formless_text_without_a_chosen_right_is_enough(world):
    assert _submit(Client(), right="", text="Delete everything about me please").status_code == 200
    assert DataSubjectRequest.objects.get().right == "other"


def test_p29_the_request_page_is_rate_limited(world):
    client = Client()
    statuses = [_submit(client, email=f"p{i}@example.test").status_code for i in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]


def test_p29_one_address_cannot_be_flooded_with_confirmation_mails(world, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert _submit(Client(), email="victim@example.test").status_code == 200
            from django.core.cache import cache

            cache.clear()  # other clients: the per-address cap applies, not the per-client one
    assert len(smtp_server.messages) == 3


def test_p29_an_expired_link_is_refused_and_unconfirmed_requests_are_deleted_after_48_hours(
    world, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _submit(Client())
    link = mail_link(smtp_server.messages[0])
    dsr = DataSubjectRequest.objects.get()
    DataSubjectRequest.objects.filter(pk=dsr.pk).update(token_expires_at=timezone.now() - timedelta(minutes=1))
    assert Client().post(link).status_code == 404
    assert DataSubjectRequest.objects.get().status == "unconfirmed"

    DataSubjectRequest.objects.filter(pk=dsr.pk).update(created_at=timezone.now() - timedelta(hours=47))
    housekeeping_run()
    assert DataSubjectRequest.objects.filter(pk=dsr.pk).exists()
    DataSubjectRequest.objects.filter(pk=dsr.pk).update(created_at=timezone.now() - timedelta(hours=49))
    assert housekeeping_run()["dsr_unconfirmed"] == 1
    assert not DataSubjectRequest.objects.exists()
    assert DataKey.objects.get(scope_type="dsr", scope_id=dsr.id).destroyed_at is not None


def test_p29_a_link_of_one_tenant_does_not_confirm_in_another(world, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _submit(Client())
    link = mail_link(smtp_server.messages[0])
    assert Client().post(link.replace("/t/acme/", "/t/globex/")).status_code == 404
    assert DataSubjectRequest.objects.get().status == "unconfirmed"


def test_an_unknown_tenant_has_no_request_page(db):
    assert Client().get("/t/nobody/privacy/request/").status_code == 404
