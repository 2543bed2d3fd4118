import logging

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from parley.accounts.models import User
from parley.core.testing import PASSWORD, World


def _login(client: Client, email: str, password: str = PASSWORD, remember: bool = False, ip: str = "198.51.100.7"):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "on"
    return client.post("/t/acme/login/", data, REMOTE_ADDR=ip)


def test_an_admin_signs_in_and_lands_in_the_admin_portal(world: World):
    client = Client()
    response = _login(client, "ada@acme.test")
    assert response.status_code == 302
    assert response["Location"] == "/t/acme/admin/"
    assert client.get("/t/acme/admin/people/").status_code == 200


def test_an_expert_signs_in_and_lands_in_the_expert_portal(world: World):
    client = Client()
    response = _login(client, "EVE@acme.test ")  # addresses are matched case-insensitively
    assert response["Location"] == "/t/acme/expert/"


def test_a_wrong_password_is_refused_with_a_message(world: World):
    response = _login(Client(), "eve@acme.test", "wrong-password")
    assert response.status_code == 400
    assert "not correct" in response.content.decode()


def test_an_account_of_another_tenant_cannot_sign_in_here(world: World):
    response = _login(Client(), "gil@globex.test")
    assert response.status_code == 400


def test_a_deactivated_account_cannot_sign_in(world: World):
    world.acme_expert.is_active = False
    world.acme_expert.save(update_fields=["is_active"])
    assert _login(Client(), "eve@acme.test").status_code == 400


def test_p14_stay_signed_in_gives_a_persistent_cookie(world: World):
    client = Client()
    response = _login(client, "eve@acme.test", remember=True)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_p15_without_stay_signed_in_the_cookie_ends_with_the_browser(world: World):
    client = Client()
    response = _login(client, "ada@acme.test")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert cookie["httponly"]


def test_logout_ends_the_session(world: World):
    client = Client()
    _login(client, "ada@acme.test")
    client.post("/t/acme/logout/")
    assert client.get("/t/acme/admin/people/").status_code == 302


def test_lock_out_after_five_failures_for_this_account_and_client(world: World):
    client = Client()
    for _ in range(settings.PARLEY_LOGIN_MAX_FAILURES - 1):
        assert _login(client, "eve@acme.test", "wrong-password").status_code == 400
    assert _login(client, "eve@acme.test", "wrong-password").status_code == 429
    # Locked: even the right password is refused from this client.
    response = _login(client, "eve@acme.test")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()


def test_a_lock_out_from_one_client_does_not_lock_the_expert_out_elsewhere(world: World):
    attacker = Client()
    for _ in range(settings.PARLEY_LOGIN_MAX_FAILURES + 2):
        _login(attacker, "eve@acme.test", "guess", ip="203.0.113.66")
    response = _login(Client(), "eve@acme.test", ip="198.51.100.7")
    assert response.status_code == 302


def test_the_lock_out_table_holds_no_address_or_ip(world: World):
    for _ in range(3):
        _login(Client(), "eve@acme.test", "wrong", ip="203.0.113.66")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_loginthrottle")
        rows = " ".join(str(v) for row in cursor.fetchall() for v in row)
    assert "eve@acme.test" not in rows
    assert "203.0.113" not in rows


def test_p03_the_password_is_stored_as_an_argon2id_hash(world: World):
    stored = User.objects.get(pk=world.acme_expert.pk).password
    assert stored.startswith("argon2$argon2id$")
    assert PASSWORD not in stored


def test_p03_the_password_appears_in_no_table_and_no_log(world: World, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "Unique-Secret-Passw0rd-p03"
    client = Client()
    _login(client, "eve@acme.test", secret)  # a failed attempt with it
    user = User.objects.get(pk=world.acme_expert.pk)
    user.set_password(secret)
    user.save()
    _login(client, "eve@acme.test", secret)
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                for value in row:
                    raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                    assert secret.encode() not in raw, table
    assert secret not in caplog.text


def test_bad_login_input_gets_a_400_with_a_message(world: World):
    response = Client().post("/t/acme/login/", {"email": "not-an-address", "password": ""})
    assert response.status_code == 400
    assert "valid email" in response.content.decode().lower() or "required" in response.content.decode().lower()


@pytest.mark.parametrize("path", ["/t/acme/login/", "/t/acme/password-reset/"])
def test_public_pages_render_for_anonymous_visitors(world: World, path):
    assert Client().get(path).status_code == 200
