"""P13, P30: `parley register` prints the register of processing activities generated from the privacy registry."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parley.privacy import declarations_loaded
from parley.privacy.register import (
    UNSPECIFIED,
    Processor,
    register_build,
    register_csv,
    register_current,
    stores_declared,
)
from parley.privacy.registry import RETENTION_TEXT, declarations
from parley.tenants.services import tenant_create


def _declared_fields():
    declarations_loaded()
    for declaration in declarations():
        for name, personal in declaration.fields.items():
            yield f"{declaration.model._meta.label}.{name}", personal


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("register", *args, stdout=out)
    return out.getvalue()


def _csv_rows(text: str) -> dict[str, dict[str, list[str]]]:
    return {
        row["Category"]: {key: value.split(" | ") if value else [] for key, value in row.items()}
        for row in csv.DictReader(io.StringIO(text))
    }


def test_p30_the_register_lists_every_declared_category_with_purpose_legal_basis_and_retention(db):
    markdown = _run()
    fields = list(_declared_fields())
    assert len(fields) > 20  # the registry is really read
    for label, personal in fields:
        assert f"| {personal.category} |" in markdown, label
        assert label in markdown
        assert personal.purpose in markdown, label
        assert personal.legal_basis in markdown, label
        assert RETENTION_TEXT[personal.retention] in markdown, label
    assert markdown.startswith("# Register of processing activities\n")
    assert "- Version: 1-" in markdown and "- Date: " in markdown


def test_p30_the_csv_register_parses_back_with_one_row_per_category(db):
    rows = _csv_rows(_run("--format", "csv"))
    declared = {personal.category for _label, personal in _declared_fields()}
    stores = {store.category for store in stores_declared()}
    assert set(rows) == declared | stores
    for label, personal in _declared_fields():
        row = rows[personal.category]
        assert label in row["Fields"]
        assert personal.purpose in row["Purposes"]
        assert personal.legal_basis in row["Legal bases"]
        assert RETENTION_TEXT[personal.retention] in row["Retention"]
        assert row["Retention period"] and row["Storage protection"]


def test_p30_the_access_log_described_outside_the_models_is_in_the_register(db):
    rows = _csv_rows(_run("--format", "csv"))
    assert "access log" in rows
    assert any("IPv4 to /24" in cell for cell in rows["access log"]["Fields"])


def test_p30_every_category_names_its_data_subjects(db):
    for row in register_current():
        assert row.subjects and UNSPECIFIED not in row.subjects, row.category


def test_p30_processors_come_from_the_settings_without_their_secrets(db, settings):
    settings.PARLEY_OPERATOR = "Hostly AG, Zürich"
    settings.PARLEY_SMTP_URL = "smtp+starttls://mailer:s3cret-pass@mail.example.net:587"
    settings.PARLEY_ICE_SERVERS = ["stun:turn.example.com:3478", "turn:turn.example.com:3478?transport=udp"]
    settings.PARLEY_TURN_SECRET = "turn-secret"
    settings.PARLEY_PROCESSORS = json.dumps([{"name": "Backup AG", "service": "Encrypted backups", "location": "CH"}])
    rows = _csv_rows(_run("--format", "csv"))
    recipients = rows["contact"]["Recipients / processors"]
    assert any(r.startswith("Hostly AG, Zürich:") for r in recipients)
    assert any("mail.example.net" in r for r in recipients)
    assert any("turn.example.com" in r for r in recipients)
    assert "Backup AG: Encrypted backups (CH)" in recipients
    markdown = _run()
    assert "s3cret-pass" not in markdown and "mailer" not in markdown and "turn-secret" not in markdown
    assert "- Backup AG: Encrypted backups (CH)" in markdown


def test_p30_a_malformed_processor_setting_is_one_clear_error(db, settings):
    settings.PARLEY_PROCESSORS = "[{'name': 'no json'}]"
    with pytest.raises(CommandError, match="PARLEY_PROCESSORS must be a JSON list"):
        _run()


def test_p30_the_register_names_the_tenant_as_controller_when_asked(db, settings):
    settings.PARLEY_OPERATOR = "Hostly AG"
    tenant_create(slug="initech", name="Initech", controller_contact="Initech AG, Main Street 1", dpo_contact="dpo@initech.test")
    markdown = _run("--tenant", "initech")
    assert "- Controller: Initech AG, Main Street 1" in markdown
    assert "- Data-protection contact: dpo@initech.test" in markdown
    assert "- Controller: Hostly AG" in _run()
    with pytest.raises(CommandError, match="No tenant"):
        _run("--tenant", "nobody")


def test_p30_the_register_is_written_to_a_file(db, tmp_path: Path):
    target = tmp_path / "register.csv"
    err = io.StringIO()
    call_command("register", "--format", "csv", "--output", str(target), stdout=io.StringIO(), stderr=err)
    assert set(_csv_rows(target.read_text(encoding="utf-8"))) == {row.category for row in register_current()}
    assert "Wrote the register" in err.getvalue()


def test_p30_an_unknown_format_is_refused(db):
    with pytest.raises(CommandError, match="Unknown --format 'xml'"):
        _run("--format", "xml")


def test_p30_an_unknown_format_exits_non_zero_with_one_line_on_stderr(tmp_path: Path):
    parley = Path(sys.executable).parent / "parley"
    env = {**os.environ, "PARLEY_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.django.test"}
    result = subprocess.run([str(parley), "register", "--format", "xml"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == ["CommandError: Unknown --format 'xml': use markdown or csv."]


def test_p13_the_register_is_a_pure_function_of_declarations_stores_and_processors(db):
    declarations_loaded()
    user = next(d for d in declarations() if d.model._meta.label == "accounts.User")
    rows = register_build(declarations=[user], processors=[Processor("Mailer", "Delivering e-mails", "CH")])
    assert [row.category for row in rows] == ["contact", "credentials", "identity"]
    contact = rows[0]
    assert contact.fields == ("accounts.User.email", "accounts.User.email_index")
    assert contact.recipients == ("Mailer: Delivering e-mails (CH)",)
    assert len(contact.storage) == 2  # encrypted e-mail, keyed-hash index
    text = register_csv(rows)
    assert list(csv.reader(io.StringIO(text)))[1][0] == "contact"


def test_p30_the_register_shows_the_period_the_retention_engine_enforces(db):
    from parley.privacy.retention import rules

    rows = _csv_rows(_run("--format", "csv"))
    periods = {period for row in rows.values() for period in row["Retention period"]}
    for rule in rules():
        assert rule.limit() in periods, rule.retention
