"""Consent records (issue 6, part 8): giving, one-click withdrawal without login, proof retention, no plaintext
e-mail, the notice version; and the hooks the data-subject requests use."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from parley.consent.models import ConsentRecord
from parley.consent.selectors import consent_active, consent_export_for_email
from parley.consent.services import (
    consent_give,
    consent_records_prune,
    consent_withdraw,
    consent_withdrawal_url,
    consents_withdraw_for_email,
    subject_for_email,
    subject_for_random_id,
    subject_id_new,
    token_hash,
)
from parley.core.exceptions import ApplicationError
from parley.core.testing import World, client_for
from parley.privacy.notice import notice_version

EMAIL = "Carla.Customer@Example.test"


@pytest.fixture
def carla(world: World):
    return subject_for_email(tenant=world.acme, email=EMAIL)


def _withdraw_path(token: str, slug: str = "acme") -> str:
    return f"/t/{slug}/consent/withdraw/{token}/"


def test_consent_given_is_active_with_the_notice_version_time_scope_and_source(world: World, carla):
    before = timezone.now()
    record, token = consent_give(subject=carla, scope="newsletter", source="public-site")
    assert consent_active(subject=carla, scope="newsletter")
    assert not consent_active(subject=carla, scope="optional-cookies")
    assert not consent_active(subject=subject_for_email(tenant=world.globex, email=EMAIL), scope="newsletter")
    record.refresh_from_db()
    assert record.notice_version == notice_version()  # the generated notice the person was shown
    assert record.scope == "newsletter" and record.source == "public-site"
    assert before <= record.given_at <= timezone.now() and record.withdrawn_at is None
    assert record.withdrawal_token_hash == token_hash(token) and token not in record.withdrawal_token_hash


def test_an_explicit_notice_version_is_kept(carla):
    record, _token = consent_give(subject=carla, scope="optional-cookies", notice_version="v1.2")
    assert ConsentRecord.objects.get(id=record.id).notice_version == "v1.2"


def test_an_unknown_scope_is_refused(carla):
    with pytest.raises(ApplicationError):
        consent_give(subject=carla, scope="everything")
    assert ConsentRecord.objects.count() == 0


def test_the_record_holds_no_plaintext_email_and_addresses_match_case_insensitively(world: World, carla):
    consent_give(subject=carla, scope="newsletter")
    assert consent_active(subject=subject_for_email(tenant=world.acme, email=" carla.customer@example.TEST "), scope="newsletter")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM consent_consentrecord")
        row = cursor.fetchone()
    stored = " ".join(str(value) for value in row).lower()
    assert "carla" not in stored and "example.test" not in stored and "@" not in stored


def test_one_click_withdrawal_by_link_works_without_login_once(world: World, carla):
    record, token = consent_give(subject=carla, scope="newsletter")
    client = Client(enforce_csrf_checks=True)  # a browser from the mail link: no session, no CSRF cookie yet

    page = client.get(_withdraw_path(token))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<form") == 1 and html.count('type="submit"') == 1
    assert "Newsletter by e-mail" in html
    assert page["Referrer-Policy"] == "no-referrer" and page["Cache-Control"] == "no-store"
    assert consent_active(subject=carla, scope="newsletter")  # opening the link changes nothing

    done = client.post(_withdraw_path(token))
    assert done.status_code == 200 and 'data-state="done"' in done.content.decode()
    assert not consent_active(subject=carla, scope="newsletter")
    record.refresh_from_db()
    assert record.withdrawn_at is not None and record.withdrawn_via == "link"
    withdrawn_at = record.withdrawn_at

    again = client.post(_withdraw_path(token))
    assert again.status_code == 200 and 'data-state="already"' in again.content.decode()
    assert "already been withdrawn" in again.content.decode()
    assert 'data-state="already"' in client.get(_withdraw_path(token)).content.decode()
    record.refresh_from_db()
    assert record.withdrawn_at == withdrawn_at  # the second click changed nothing


def test_mail_clients_one_click_post_withdraws(carla):
    _record, token = consent_give(subject=carla, scope="newsletter")
    response = Client(enforce_csrf_checks=True).post(_withdraw_path(token), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not consent_active(subject=carla, scope="newsletter")


def test_an_old_link_also_ends_a_later_consent_of_the_same_scope(carla):
    first, old_token = consent_give(subject=carla, scope="newsletter", notice_version="v1")
    second, _new_token = consent_give(subject=carla, scope="newsletter", notice_version="v2")
    cookies, _ = consent_give(subject=carla, scope="optional-cookies")
    Client().post(_withdraw_path(old_token))
    assert not consent_active(subject=carla, scope="newsletter")
    assert consent_active(subject=carla, scope="optional-cookies")
    assert ConsentRecord.objects.filter(id__in=[first.id, second.id], withdrawn_at__isnull=False).count() == 2


def test_an_unknown_or_foreign_token_is_not_found_and_changes_nothing(world: World, carla):
    _record, token = consent_give(subject=carla, scope="newsletter")
    assert Client().get(_withdraw_path("not-a-token")).status_code == 404
    assert Client().post(_withdraw_path(token, slug="globex")).status_code == 404
    assert Client().post(_withdraw_path(token, slug="nobody")).status_code == 404
    assert consent_active(subject=carla, scope="newsletter")


def test_a_signed_in_member_of_another_tenant_cannot_use_the_link_there(world: World, carla):
    _record, token = consent_give(subject=carla, scope="newsletter")
    assert client_for(world.globex_admin).post(_withdraw_path(token, slug="globex")).status_code == 404
    assert consent_active(subject=carla, scope="newsletter")


def test_withdraw_is_idempotent(carla):
    consent_give(subject=carla, scope="newsletter")
    assert consent_withdraw(subject=carla, scope="newsletter") == 1
    assert consent_withdraw(subject=carla, scope="newsletter") == 0
    assert not consent_active(subject=carla, scope="newsletter")


def test_a_random_subject_id_works_for_visitors_without_an_email(world: World):
    subject = subject_for_random_id(tenant=world.acme, subject_id=subject_id_new())
    consent_give(subject=subject, scope="optional-cookies", source="widget")
    assert consent_active(subject=subject, scope="optional-cookies")
    with pytest.raises(ApplicationError):
        subject_for_random_id(tenant=world.acme, subject_id="short")


def test_the_withdrawal_url_is_absolute(world: World, settings):
    settings.PARLEY_BASE_URL = "https://parley.example"
    assert consent_withdrawal_url(tenant=world.acme, token="abc") == "https://parley.example/t/acme/consent/withdraw/abc/"


def test_withdrawn_records_are_kept_as_proof_then_pruned(carla, settings):
    settings.PARLEY_CONSENT_PROOF_MONTHS = 36
    standing, _ = consent_give(subject=carla, scope="optional-cookies", now=timezone.now() - timedelta(days=2000))
    recent, _ = consent_give(subject=carla, scope="newsletter")
    consent_withdraw(subject=carla, scope="newsletter", now=timezone.now() - timedelta(days=365 * 2))
    assert consent_records_prune() == 0  # two years after withdrawal: still proof
    assert consent_records_prune(now=timezone.now() + timedelta(days=366)) == 1
    assert list(ConsentRecord.objects.values_list("id", flat=True)) == [standing.id]  # a standing consent stays


def test_housekeeping_prunes_old_consent_proof(carla):
    from parley.core.housekeeping import housekeeping_run

    consent_give(subject=carla, scope="newsletter")
    consent_withdraw(subject=carla, scope="newsletter", now=timezone.now() - timedelta(days=4 * 365))
    assert housekeeping_run()["consent_records"] == 1


def test_a_data_subject_request_withdraws_every_consent_and_exports_the_records(world: World, carla):
    consent_give(subject=carla, scope="newsletter", notice_version="v7")
    consent_give(subject=carla, scope="optional-cookies")
    assert consents_withdraw_for_email(tenant=world.acme, email=EMAIL) == 2
    assert consents_withdraw_for_email(tenant=world.acme, email=EMAIL) == 0
    exported = consent_export_for_email(tenant=world.acme, email=EMAIL.lower())
    assert [(row["scope"], row["withdrawn_via"]) for row in exported] == [
        ("newsletter", "request"),
        ("optional-cookies", "request"),
    ]
    assert exported[0]["notice_version"] == "v7"
    assert all("token" not in key and "subject" not in key for row in exported for key in row)
    assert consent_export_for_email(tenant=world.globex, email=EMAIL) == []
