import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

ROOT = Path(__file__).resolve().parents[3]
PARLEY = str(Path(sys.executable).parent / "parley")


def test_healthz_answers_200_with_json_when_the_database_is_up(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_healthz_answers_503_when_the_database_is_unreachable(db):
    from unittest import mock

    with mock.patch.object(connection, "cursor", side_effect=connection.Database.OperationalError("down")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_pages_carry_the_security_headers(world):
    response = Client().get("/t/acme/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "nonce-" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_an_error_page_shows_no_stack_trace(db, settings):
    settings.DEBUG = False
    response = Client().get("/t/nobody/login/")
    assert response.status_code == 404
    assert b"Traceback" not in response.content


def test_the_api_answers_errors_as_json_with_a_message(db):
    response = Client().get("/api/v1/tenants/nobody/experts/")
    assert response.status_code == 404
    assert response.json() == {"message": "No such organisation.", "extra": {}}


def _parley(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "DATABASE_URL", "REDIS_URL", "DJANGO_"))}
    return subprocess.run([PARLEY, *args], env={**clean, **env}, capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    keys = tmp_path / "keys.json"
    from parley.crypto.keyring import new_keyring

    keys.write_text(new_keyring().to_json())
    env = {
        "DJANGO_SETTINGS_MODULE": "config.django.production",
        "PARLEY_SECRET_KEY": secrets.token_urlsafe(60),
        "PARLEY_KEYS_FILE": str(keys),
        "PARLEY_DATA_DIR": str(tmp_path),
        "PARLEY_ALLOWED_HOSTS": "parley.example.com",
        "PARLEY_SMTP_URL": "smtp+starttls://127.0.0.1:587",
    }
    result = _parley("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_SETTINGS_MODULE": "config.django.production"}, "PARLEY_SECRET_KEY"),
        (
            {
                "DJANGO_SETTINGS_MODULE": "config.django.production",
                "PARLEY_SECRET_KEY": "k" * 60,
                "PARLEY_KEYS_FILE": "/nonexistent",
            },
            "PARLEY_SMTP_URL must name the mail server",
        ),
        ({"DATABASE_URL": "mysql://db/parley"}, "DATABASE_URL must start with"),
        ({"PARLEY_LOGIN_MAX_FAILURES": "many"}, "PARLEY_LOGIN_MAX_FAILURES must be a whole number"),
        ({"PARLEY_DEBUG": "perhaps"}, "PARLEY_DEBUG must be one of"),
        ({"PARLEY_KEYS": "{broken"}, "PARLEY_KEYS is not valid JSON"),
    ],
)
def test_bad_settings_stop_start_up_with_a_clear_message(tmp_path, env, message):
    result = _parley("check", env={"PARLEY_DATA_DIR": str(tmp_path), **env})
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_logs_carry_no_email_ip_or_token(caplog):
    from parley.core.logging import ScrubFilter

    logger = logging.getLogger("parley.test")
    handler_filter = ScrubFilter()
    record = logger.makeRecord(
        "parley.test",
        logging.WARNING,
        __file__,
        1,
        "from %s at %s via %s",
        ("eve@acme.test", "203.0.113.66", "/t/acme/invite/abc123tok/"),
        None,
    )
    handler_filter.filter(record)
    text = record.getMessage()
    assert "eve@acme.test" not in text
    assert "203.0.113.66" not in text and "203.0.113.0" in text
    assert "abc123tok" not in text


def test_the_openapi_schema_is_served_and_no_third_party_docs_page(db):
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/tenants/{slug}/experts/" in schema.json()["paths"]
    assert Client().get("/api/v1/docs").status_code == 404
