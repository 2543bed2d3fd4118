"""P30, P31: each tenant's public privacy notice is generated from the register, names controller and DPO, and is
linked from the web app and the public pages."""

import dataclasses
import json
import re
from html import unescape

from django.test import Client
from django.urls import reverse

from parley.core.testing import World, client_for
from parley.privacy import declarations_loaded
from parley.privacy.notice import notice_version
from parley.privacy.register import register_current
from parley.privacy.registry import ModelDeclaration, _registry
from parley.tenants.models import Tenant
from parley.tenants.services import tenant_create


def _initech() -> Tenant:
    return tenant_create(
        slug="initech",
        name="Initech Finance",
        controller_contact="Initech AG\nMain Street 1, Zürich\nprivacy@initech.test",
        dpo_contact="DPO Jane Roe, dpo@initech.test",
        retention_months=6,
    )


def _page(url: str, **headers: str) -> str:
    response = Client().get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_p31_the_notice_names_the_tenants_controller_and_data_protection_officer(db):
    _initech()
    html = _page("/t/initech/privacy/")
    assert "Initech AG<br>Main Street 1, Zürich<br>privacy@initech.test" in html
    assert "DPO Jane Roe, dpo@initech.test" in html
    assert "Initech Finance" in html


def test_p31_without_a_dpo_the_notice_shows_the_platforms_data_protection_contact(db, settings):
    settings.PARLEY_DPO = "Parley Hosting DPO, dpo@hosting.test"
    tenant_create(slug="plain", name="Plain Ltd")
    html = _page("/t/plain/privacy/")
    assert "Parley Hosting DPO, dpo@hosting.test" in html
    assert re.search(r'data-contact="controller">\s*Plain Ltd', html)


def test_p30_the_notice_shows_every_category_of_the_register_with_purpose_basis_and_retention(db):
    _initech()
    html = unescape(_page("/t/initech/privacy/"))
    rows = register_current()
    shown = set(re.findall(r'data-category="([^"]+)"', html))
    assert shown == {row.category for row in rows}
    for row in rows:
        for text in [*row.purposes, *row.legal_bases]:
            assert text in html, (row.category, text)
    assert "PARLEY_" not in html  # setting names are replaced by their values for the public
    # End-customer data shows the tenant's own (shorter) period.
    assert "6 months after the last activity in the conversation" in html


def test_p30_the_notice_lists_the_processors_and_links_the_request_page(db, settings):
    settings.PARLEY_OPERATOR = "Hostly AG, Zürich"
    settings.PARLEY_PROCESSORS = json.dumps([{"name": "Backup AG", "service": "Encrypted backups", "location": "CH"}])
    _initech()
    html = unescape(_page("/t/initech/privacy/"))
    assert "Backup AG: Encrypted backups (CH)" in html
    assert "Hostly AG, Zürich" in html
    assert f'href="{reverse("dsr:request", kwargs={"slug": "initech"})}"' in html
    assert "never recorded" in html  # P05
    assert "random key" in html  # what the web app keeps


def test_p31_the_notice_is_public_and_sets_no_cookie(db):
    _initech()
    response = Client().get("/t/initech/privacy/")
    assert response.status_code == 200
    assert not response.cookies


def test_p31_the_notice_of_an_unknown_tenant_is_404(db):
    assert Client().get("/t/nobody/privacy/").status_code == 404
    assert Client().get("/w/nobody/privacy/").status_code == 404


def test_p31_the_notice_speaks_german_when_asked_or_preferred(db):
    tenant = _initech()
    assert '<html lang="en">' in _page("/t/initech/privacy/")
    assert '<html lang="de">' in _page("/t/initech/privacy/?lang=de")
    assert '<html lang="de">' in _page("/t/initech/privacy/", accept_language="de-CH,de;q=0.9,en;q=0.5")
    assert '<html lang="en">' in _page("/t/initech/privacy/?lang=en", accept_language="de")
    response = Client().get("/t/initech/privacy/?lang=de")
    assert response["Content-Language"] == "de"
    assert "Accept-Language" in response["Vary"]
    tenant.default_language = "de"
    tenant.save(update_fields=["default_language"])
    assert '<html lang="de">' in _page("/t/initech/privacy/")
    # A language the notice is not written in falls back to English, not to a half-translated page.
    tenant.default_language = "fr"
    tenant.save(update_fields=["default_language"])
    assert '<html lang="en">' in _page("/t/initech/privacy/?lang=fr", accept_language="fr")


def test_p30_the_notice_version_is_stable_and_changes_when_the_registry_changes(db, monkeypatch):
    _initech()
    before = notice_version()
    assert before == notice_version()
    assert re.fullmatch(r"1-[0-9a-f]{10}", before)
    assert f'data-notice-version="{before}"' in _page("/t/initech/privacy/")

    declarations_loaded()
    old = _registry["interactions.Message"]
    changed = dataclasses.replace(old.fields["body"], purpose="Training a language model")
    monkeypatch.setitem(_registry, "interactions.Message", ModelDeclaration(model=old.model, fields={"body": changed}))
    after = notice_version()
    assert after != before
    html = _page("/t/initech/privacy/")
    assert f'data-notice-version="{after}"' in html
    assert "Training a language model" in html


def test_p30_the_notice_version_changes_when_a_processor_is_added(db, settings):
    before = notice_version()
    settings.PARLEY_PROCESSORS = json.dumps([{"name": "New Mail Ltd", "service": "Mail"}])
    assert notice_version() != before


def test_p31_the_web_app_links_to_the_tenants_generated_notice(world: World):
    html = _page("/w/acme/")
    block = re.search(r'<script id="parley-config" type="application/json">(.*?)</script>', html, re.S)
    assert block is not None
    config = json.loads(block[1])
    assert f'<footer class="foot hint"><a href="{config["privacy_notice_url"]}"' in html  # always visible
    linked = _page(config["privacy_notice_url"])
    assert f'data-notice-version="{notice_version()}"' in linked
    assert "Acme Bank" in linked


def test_p31_the_public_pages_link_to_the_notice(world: World):
    notice = reverse("privacy:notice", kwargs={"slug": "acme"})
    assert f'href="{notice}"' in _page(reverse("accounts:login", kwargs={"slug": "acme"}))
    assert f'href="{notice}"' in _page(reverse("dsr:request", kwargs={"slug": "acme"}))


def test_p31_the_admin_settings_page_edits_the_contacts_the_notice_shows(world: World):
    page = client_for(world.acme_admin).get(reverse("portal_admin:settings", kwargs={"slug": "acme"})).content.decode()
    assert 'name="controller_contact"' in page and 'name="dpo_contact"' in page
    assert f'href="{reverse("privacy:notice", kwargs={"slug": "acme"})}"' in page


def _german(monkeypatch, entries: dict[tuple[str, int], str]) -> None:
    """Stand-in German translations for msgids the catalogue does not have yet (plural forms: (msgid, index))."""
    from django.utils.translation import trans_real

    catalog = trans_real.translation("de")._catalog._catalogs[0]  # type: ignore[attr-defined]
    for key, value in entries.items():
        monkeypatch.setitem(catalog, key, value)


ACCESS_ONE = "%(days)d day; whole day files are deleted by the hourly housekeeping"
ACCESS_MANY = "%(days)d days; whole day files are deleted by the hourly housekeeping"


def test_p31_the_access_log_retention_shows_the_configured_days_translated_for_any_value(db, settings, monkeypatch):
    """The notice translates a template and fills in PARLEY_ACCESS_LOG_DAYS afterwards: a changed setting still gets
    a translated line, and never the setting's name."""
    _german(
        monkeypatch,
        {
            (ACCESS_ONE, 0): "%(days)d Tag; ganze Tagesdateien werden von der stündlichen Wartung gelöscht",
            (ACCESS_ONE, 1): "%(days)d Tage; ganze Tagesdateien werden von der stündlichen Wartung gelöscht",
        },
    )
    _initech()
    for days, english, german in (
        (30, "30 days; whole day files", "30 Tage; ganze Tagesdateien"),
        (14, "14 days; whole day files", "14 Tage; ganze Tagesdateien"),
        (1, "1 day; whole day files", "1 Tag; ganze Tagesdateien"),
    ):
        settings.PARLEY_ACCESS_LOG_DAYS = days
        html = unescape(_page("/t/initech/privacy/?lang=en"))
        assert english in html and "PARLEY_" not in html
        html = unescape(_page("/t/initech/privacy/?lang=de"))
        assert german in html and "whole day files" not in html


def test_p31_request_and_consent_retention_show_the_configured_months(db, settings, monkeypatch):
    settings.PARLEY_DSR_RETENTION_MONTHS = 24
    settings.PARLEY_CONSENT_PROOF_MONTHS = 1
    _german(
        monkeypatch,
        {
            ("%(months)d month after the request was closed; unconfirmed ones %(hours)d hours.", 1): (
                "%(months)d Monate nach Abschluss der Anfrage; unbestätigte %(hours)d Stunden."
            ),
        },
    )
    _initech()
    html = unescape(_page("/t/initech/privacy/?lang=en"))
    assert "24 months after the request was closed; unconfirmed ones 48 hours." in html
    assert "While the consent stands; after withdrawal 1 month as proof." in html
    assert "36 months" not in html  # the registry's default is not what this installation keeps
    assert "24 Monate nach Abschluss der Anfrage; unbestätigte 48 Stunden." in unescape(_page("/t/initech/privacy/?lang=de"))


def test_p30_the_register_keeps_the_settings_name_for_the_access_log_retention(db, settings):
    """The register is for the operator: it names the setting that decides the period, whatever its value."""
    settings.PARLEY_ACCESS_LOG_DAYS = 30
    row = next(r for r in register_current() if r.category == "access log")
    assert row.retention == ("PARLEY_ACCESS_LOG_DAYS days (default 14); whole day files are deleted by the hourly housekeeping",)
