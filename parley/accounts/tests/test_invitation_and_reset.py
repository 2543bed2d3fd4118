import re

from django.test import Client

from parley.accounts.models import Invitation, User
from parley.core.testing import PASSWORD, World, client_for
from parley.tenants.models import Membership


def _link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"http://\S+", body)
    assert match is not None
    return match.group(0).removeprefix("http://127.0.0.1:8000")


def test_p02_an_invited_expert_signs_up_with_name_email_and_password(
    world: World, smtp_server, django_capture_on_commit_callbacks
):
    admin = client_for(world.acme_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/t/acme/admin/people/", {"email": "New.Expert@acme.test", "role": "expert"})
    assert response.status_code == 302
    [mail] = smtp_server.messages
    assert mail["To"] == "new.expert@acme.test"
    link = _link(mail)
    assert link.startswith("/t/acme/invite/")

    client = Client()
    assert client.get(link).status_code == 200
    # P02: name and password are mandatory.
    response = client.post(link, {"name": "", "password": "x", "password2": "x"})
    assert response.status_code == 400
    response = client.post(link, {"name": "Nora New", "password": "a-long-new-pass-99", "password2": "a-long-new-pass-99"})
    assert response.status_code == 302
    assert response["Location"] == "/t/acme/expert/"
    user = next(u for u in User.objects.filter(tenant=world.acme) if u.email == "new.expert@acme.test")
    assert user.name == "Nora New"
    assert user.membership.role == Membership.Role.EXPERT
    # The link works once.
    assert Client().get(link).status_code == 404
    assert not Invitation.objects.filter(tenant=world.acme).exists()


def test_an_invitation_to_an_existing_address_is_refused(world: World):
    response = client_for(world.acme_admin).post("/t/acme/admin/people/", {"email": "eve@acme.test", "role": "expert"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_the_same_address_may_have_an_account_in_another_tenant(world: World):
    response = client_for(world.globex_admin).post("/t/globex/admin/people/", {"email": "eve@acme.test", "role": "expert"})
    assert response.status_code == 302


def test_an_invitation_link_of_one_tenant_does_not_work_in_another(world: World, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.acme_admin).post("/t/acme/admin/people/", {"email": "x@acme.test", "role": "expert"})
    link = _link(smtp_server.messages[0])
    assert Client().get(link.replace("/t/acme/", "/t/globex/")).status_code == 404


def test_an_admin_withdraws_an_invitation_and_another_tenant_cannot(world: World):
    client_for(world.acme_admin).post("/t/acme/admin/people/", {"email": "x@acme.test", "role": "expert"})
    invitation = Invitation.objects.get(tenant=world.acme)
    assert client_for(world.globex_admin).post(f"/t/globex/admin/invitations/{invitation.id}/revoke/").status_code == 404
    assert client_for(world.acme_expert).post(f"/t/acme/admin/invitations/{invitation.id}/revoke/").status_code == 403
    assert client_for(world.acme_admin).post(f"/t/acme/admin/invitations/{invitation.id}/revoke/").status_code == 302
    assert not Invitation.objects.exists()


def test_password_reset_by_email_over_smtp(world: World, smtp_server, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/t/acme/password-reset/", {"email": "eve@acme.test"})
    assert response.status_code == 200
    [mail] = smtp_server.messages
    link = _link(mail)
    assert client.get(link).status_code == 200
    response = client.post(link, {"password": "brand-new-pass-77", "password2": "brand-new-pass-77"})
    assert response.status_code == 302
    login = Client().post("/t/acme/login/", {"email": "eve@acme.test", "password": "brand-new-pass-77"})
    assert login.status_code == 302
    assert Client().post("/t/acme/login/", {"email": "eve@acme.test", "password": PASSWORD}).status_code == 400
    # The link worked once.
    assert Client().get(link).status_code == 400


def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(
    world, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/t/acme/password-reset/", {"email": "nobody@acme.test"})
    assert response.status_code == 200
    assert smtp_server.messages == []


def test_a_weak_password_is_refused_with_a_message(world: World, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/t/acme/password-reset/", {"email": "eve@acme.test"})
    link = _link(smtp_server.messages[0])
    response = Client().post(link, {"password": "12345", "password2": "12345"})
    assert response.status_code == 400
    assert "too short" in response.content.decode()


def test_an_expired_invitation_is_neither_listed_nor_usable_and_is_pruned(
    world: World, smtp_server, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from parley.core.housekeeping import housekeeping_run
    from parley.crypto.models import DataKey

    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.acme_admin).post("/t/acme/admin/people/", {"email": "late@acme.test", "role": "expert"})
    link = _link(smtp_server.messages[0])
    invitation = Invitation.objects.get()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert "late@acme.test" not in client_for(world.acme_admin).get("/t/acme/admin/people/").content.decode()
    assert Client().get(link).status_code == 404
    assert housekeeping_run()["invitations"] == 1
    assert not Invitation.objects.exists()
    assert DataKey.objects.get(scope_id=invitation.pk).destroyed_at is not None
