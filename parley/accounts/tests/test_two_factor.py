import base64
import re

from django.test import Client

from parley.accounts.models import TOTPDevice
from parley.core.testing import PASSWORD, World, client_for


def _code(secret_b32: str, drift: int = 0) -> str:
    from django_otp.oath import TOTP

    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    totp = TOTP(key)
    totp.drift = drift
    return f"{totp.token():06d}"


def _enrol(client: Client) -> str:
    page = client.get("/t/acme/account/two-factor/").content.decode()
    match = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page)
    assert match is not None
    secret = match.group(1)
    response = client.post("/t/acme/account/two-factor/", {"code": _code(secret, drift=-1)})
    assert response.status_code == 302
    return secret


def test_an_expert_sets_up_totp_and_must_give_a_code_at_the_next_login(world: World):
    secret = _enrol(client_for(world.acme_expert))
    assert TOTPDevice.objects.get(user=world.acme_expert).confirmed
    client = Client()
    response = client.post("/t/acme/login/", {"email": "eve@acme.test", "password": PASSWORD})
    assert response["Location"] == "/t/acme/login/two-factor/"
    # Not signed in yet.
    assert client.get("/t/acme/expert/").status_code == 302
    assert client.post("/t/acme/login/two-factor/", {"code": "000000"}).status_code == 400
    response = client.post("/t/acme/login/two-factor/", {"code": _code(secret)})
    assert response["Location"] == "/t/acme/expert/"
    assert client.get("/t/acme/expert/").status_code == 200


def test_a_totp_code_is_accepted_only_once(world: World):
    secret = _enrol(client_for(world.acme_expert))
    code = _code(secret)
    first = Client()
    first.post("/t/acme/login/", {"email": "eve@acme.test", "password": PASSWORD})
    assert first.post("/t/acme/login/two-factor/", {"code": code}).status_code == 302
    second = Client()
    second.post("/t/acme/login/", {"email": "eve@acme.test", "password": PASSWORD})
    assert second.post("/t/acme/login/two-factor/", {"code": code}).status_code == 400


def test_the_totp_secret_is_encrypted_at_rest(world: World):
    from django.db import connection

    _enrol(client_for(world.acme_expert))
    device = TOTPDevice.objects.get(user=world.acme_expert)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_totpdevice")
        raw = bytes(cursor.fetchone()[0])
    assert device.secret.encode() not in raw


def test_a_tenant_admin_can_make_two_factor_mandatory(world: World):
    admin = client_for(world.acme_admin)
    data = {
        "name": "Acme Bank",
        "primary_colour": "#1f4e79",
        "accent_colour": "#f0a500",
        "default_language": "en",
        "retention_months": 12,
        "require_two_factor": "on",
    }
    assert admin.post("/t/acme/admin/settings/", data).status_code == 302
    expert = client_for(world.acme_expert)
    response = expert.get("/t/acme/expert/")
    assert response.status_code == 302
    assert response["Location"] == "/t/acme/account/two-factor/"
    _enrol(expert)
    assert expert.get("/t/acme/expert/").status_code == 200
    # Mandatory: it cannot be switched off.
    expert.post("/t/acme/account/two-factor/", {"action": "remove"})
    assert TOTPDevice.objects.filter(user=world.acme_expert, confirmed=True).exists()


def test_repeated_wrong_codes_lock_the_second_step(world: World):
    _enrol(client_for(world.acme_expert))
    client = Client()
    client.post("/t/acme/login/", {"email": "eve@acme.test", "password": PASSWORD})
    statuses = [client.post("/t/acme/login/two-factor/", {"code": "123456"}).status_code for _ in range(6)]
    assert statuses[-1] == 429
