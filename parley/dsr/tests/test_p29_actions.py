"""P29: the actions on a confirmed request carry each right out across every store and are recorded on the request
(counts and notes, never a copy of the data); only the tenant's administrators reach them."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from parley.core.housekeeping import housekeeping_run
from parley.core.testing import client_for
from parley.crypto.models import DataKey
from parley.dsr.models import DataSubjectRequest
from parley.dsr.services import add_months
from parley.dsr.tests.conftest import admin_client, confirmed_request, conversation_of
from parley.files.models import StoredFile
from parley.files.services import file_path
from parley.interactions.models import Document, Interaction, Message, SearchToken, VisitorAccess
from parley.interactions.selectors import inbox_list
from parley.notifications.models import OutboxMail
from parley.scheduling.models import Appointment
from parley.scheduling.services import appointment_book
from parley.scheduling.tests.conftest import bookable, next_monday_utc  # noqa: F401 (fixture)


def _act(world, dsr, action, **data):
    return admin_client(world).post(f"/t/acme/admin/requests/{dsr.id}/action/", {"action": action, **data})


def test_p29_erasure_removes_the_persons_interactions_across_every_store(
    world,
    bookable,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    kind, profile = bookable
    interaction, _token = conversation_of(world)
    appointment, _manage, _visitor = appointment_book(
        tenant=world.acme,
        appointment_type_id=kind.id,
        starts_at=next_monday_utc(9),
        expert_profile_id=profile.id,
        name="Carla Customer",
        email="Carla@Example.test",  # the address is matched however it is written
        note="About my mortgage",
    )
    other, _ = conversation_of(world, email="other@example.test", name="Other Person")
    globex, _ = conversation_of(world, tenant=world.globex, expert=world.globex_expert)
    files = [file_path(d.file) for d in Document.objects.filter(interaction=interaction).select_related("file")]
    assert files and all(p.exists() for p in files)
    gone_ids = [interaction.id, appointment.interaction_id]
    dsr = confirmed_request(world, right="erasure")

    assert _act(world, dsr, "erase").status_code == 400  # the confirmation box must be ticked
    assert Interaction.objects.filter(id__in=gone_ids).count() == 2
    with django_capture_on_commit_callbacks(execute=True):  # files are removed after the commit
        response = _act(world, dsr, "erase", confirm="erase")
    assert response.status_code == 302

    assert not Interaction.objects.filter(id__in=gone_ids).exists()
    for model in (Message, Document, SearchToken, VisitorAccess, Appointment):
        assert not model.objects.filter(interaction_id__in=gone_ids).exists(), model.__name__
    assert not StoredFile.objects.filter(scope_id__in=gone_ids).exists()
    assert not any(Path(p).exists() for p in files)
    assert all(k.destroyed_at for k in DataKey.objects.filter(scope_type="interaction", scope_id__in=gone_ids))
    # No mail to the person is left in the outbox (development copies included), except this request's own.
    assert not [
        m
        for m in OutboxMail.objects.filter(tenant=world.acme)
        if m.recipient.lower() == "carla@example.test" and not m.template.startswith("dsr/")
    ]
    # Nobody else's data is touched.
    assert Interaction.objects.filter(id__in=[other.id, globex.id]).count() == 2

    dsr.refresh_from_db()
    entry = dsr.outcome[-1]
    assert entry["action"] == "erasure" and entry["by"] == str(world.acme_admin.id)
    assert entry["counts"]["interactions"] == 2 and entry["counts"]["appointments"] == 1
    assert entry["counts"]["documents"] == 1 and entry["counts"]["messages"] == 3
    assert "carla" not in str(dsr.outcome).lower()
    page = admin_client(world).get(f"/t/acme/admin/requests/{dsr.id}/").content.decode()
    assert "Erased: 2 conversations" in page


def test_p29_erasure_skips_a_conversation_under_legal_hold_and_reports_it(world):
    from parley.holds import services as holds

    kept, _ = conversation_of(world)
    erased, _ = conversation_of(world)
    holds.hold_place_on_interaction(actor=world.acme_admin, interaction_id=kept.id, reason="Court order 4711")
    dsr = confirmed_request(world, right="erasure")
    assert _act(world, dsr, "erase", confirm="erase").status_code == 302
    assert Interaction.objects.filter(id=kept.id).exists()
    assert not Interaction.objects.filter(id=erased.id).exists()
    dsr.refresh_from_db()
    assert dsr.outcome[-1]["counts"]["held"] == 1 and dsr.outcome[-1]["counts"]["interactions"] == 1


def test_p29_rectification_corrects_the_name_and_address_on_every_conversation(world):
    first, _ = conversation_of(world, name="Carla Custmer")
    second, _ = conversation_of(world, name="Carla Custmer")
    dsr = confirmed_request(world, right="rectification")
    response = _act(world, dsr, "rectify", name="Carla Customer", email="carla.new@example.test")
    assert response.status_code == 302
    for interaction in (first, second):
        stored = Interaction.objects.get(pk=interaction.pk)
        assert stored.customer_name == "Carla Customer" and stored.customer_email == "carla.new@example.test"
    # The search index follows: the expert finds them under the new name and address, not the old.
    assert inbox_list(actor=world.acme_admin, q="carla.new@example.test").count() == 2
    assert inbox_list(actor=world.acme_admin, q="Custmer").count() == 0
    # Later actions on the same request find the data under its corrected address.
    response = admin_client(world).post(f"/t/acme/admin/requests/{dsr.id}/export/")
    assert b"".join(response.streaming_content)
    dsr.refresh_from_db()
    assert dsr.outcome[-1]["counts"]["interactions"] == 2
    assert _act(world, dsr, "rectify", name="", email="").status_code == 400


def test_p29_restriction_places_every_conversation_of_the_address_under_legal_hold(world):
    from parley.holds.selectors import is_held

    mine, _ = conversation_of(world)
    other, _ = conversation_of(world, email="other@example.test", name="Other Person")
    dsr = confirmed_request(world, right="restriction")
    assert _act(world, dsr, "restrict").status_code == 302
    assert is_held(target_type="interaction", target_id=mine.id)
    assert not is_held(target_type="interaction", target_id=other.id)
    assert Interaction.objects.filter(id=mine.id).exists()  # blocked, not deleted
    dsr.refresh_from_db()
    assert dsr.outcome[-1]["action"] == "restriction" and dsr.outcome[-1]["counts"]["held_now"] == 1
    page = admin_client(world).get(f"/t/acme/admin/requests/{dsr.id}/").content.decode()
    assert "1 conversations placed under legal hold" in page
    # Restricting again holds nothing twice.
    assert _act(world, dsr, "restrict").status_code == 302
    dsr.refresh_from_db()
    assert dsr.outcome[-1]["counts"] == {"held_now": 0, "already_held": 1}


def test_p29_withdrawal_of_consent_ends_every_standing_consent_of_the_address(world):
    from parley.consent.models import ConsentRecord
    from parley.consent.services import consent_give, subject_for_email

    mine = subject_for_email(tenant=world.acme, email="carla@example.test")
    for scope in ("newsletter", "optional-cookies"):
        consent_give(subject=mine, scope=scope)
    consent_give(subject=subject_for_email(tenant=world.acme, email="other@example.test"), scope="newsletter")
    dsr = confirmed_request(world, right="withdrawal")
    assert _act(world, dsr, "consent").status_code == 302
    records = ConsentRecord.objects.filter(tenant=world.acme)
    assert {(r.subject_index == mine.index, r.withdrawn_via) for r in records} == {(True, "request"), (False, "")}
    dsr.refresh_from_db()
    assert dsr.outcome[-1]["counts"] == {"withdrawn": 2}
    assert "2 consent records withdrawn" in admin_client(world).get(f"/t/acme/admin/requests/{dsr.id}/").content.decode()


def test_p29_closing_a_request_records_it_and_tells_the_person(world, django_capture_on_commit_callbacks):
    from django.core import mail

    dsr = confirmed_request(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(world, dsr, "status", status="done", note="Export sent by encrypted mail.", tell_person="on")
    assert response.status_code == 302
    dsr.refresh_from_db()
    assert dsr.status == "done" and dsr.closed_at is not None
    [sent] = mail.outbox
    assert sent.to == ["carla@example.test"] and "Export sent by encrypted mail." in sent.body
    # Closed: the actions are refused until it is reopened.
    assert _act(world, dsr, "erase", confirm="erase").status_code == 400
    assert _act(world, dsr, "status", status="in_progress").status_code == 302
    dsr.refresh_from_db()
    assert dsr.closed_at is None and dsr.is_open


ROUTES = [
    ("get", "/t/{slug}/admin/requests/"),
    ("get", "/t/{slug}/admin/requests/{id}/"),
    ("post", "/t/{slug}/admin/requests/{id}/action/"),
    ("post", "/t/{slug}/admin/requests/{id}/export/"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_p29_another_tenant_an_expert_and_strangers_are_refused_on_every_admin_route(world, method, route):
    conversation_of(world)
    dsr = confirmed_request(world)
    data = {"action": "erase", "confirm": "erase"} if method == "post" else {}
    globex = client_for(world.globex_admin)
    assert getattr(globex, method)(route.format(slug="acme", id=dsr.id), data).status_code == 404
    response = getattr(globex, method)(route.format(slug="globex", id=dsr.id), data)
    if "{id}" in route:
        assert response.status_code == 404  # Acme's request through Globex's own portal
    else:
        assert str(dsr.id) not in response.content.decode()  # Globex's own queue lists only Globex's requests
    assert getattr(client_for(world.acme_expert), method)(route.format(slug="acme", id=dsr.id), data).status_code == 403
    assert getattr(Client(), method)(route.format(slug="acme", id=dsr.id), data).status_code == 302
    # A Globex request is not reachable through Acme's admin either.
    theirs = confirmed_request(world, tenant=world.globex)
    if "{id}" in route:
        response = getattr(admin_client(world), method)(route.format(slug="acme", id=theirs.id), data)
        assert response.status_code == 404
    assert Interaction.objects.filter(tenant=world.acme).count() == 1
    dsr.refresh_from_db()
    assert [e["action"] for e in dsr.outcome] == ["received"]


def test_p29_an_unconfirmed_request_is_not_in_the_queue_or_reachable(world):
    from parley.dsr.services import request_submit

    request_submit(tenant=world.acme, email="x@example.test", text="Hello")
    pending = DataSubjectRequest.objects.get()
    assert admin_client(world).get(f"/t/acme/admin/requests/{pending.id}/").status_code == 404


def test_p29_request_records_are_shredded_after_their_retention(world, settings):
    settings.PARLEY_DSR_RETENTION_MONTHS = 12
    dsr = confirmed_request(world)
    _act(world, dsr, "note", note="Called the person back.")
    _act(world, dsr, "status", status="done")
    dsr.refresh_from_db()
    DataSubjectRequest.objects.filter(pk=dsr.pk).update(closed_at=add_months(timezone.now(), -12) + timedelta(days=1))
    assert housekeeping_run()["dsr_shredded"] == 0
    DataSubjectRequest.objects.filter(pk=dsr.pk).update(closed_at=add_months(timezone.now(), -12) - timedelta(days=1))
    assert housekeeping_run()["dsr_shredded"] == 1
    shredded = DataSubjectRequest.objects.get(pk=dsr.pk)
    assert shredded.email is None and shredded.name is None and shredded.text is None and shredded.outcome is None
    assert shredded.subject_index == "" and shredded.shredded_at is not None
    assert DataKey.objects.get(scope_type="dsr", scope_id=dsr.id).destroyed_at is not None
    # The skeleton stays as proof of a timely answer, without personal data.
    assert shredded.number == dsr.number and shredded.status == "done" and shredded.due_at == dsr.due_at
    page = admin_client(world).get(f"/t/acme/admin/requests/{dsr.id}/").content.decode()
    assert "Deleted after the retention period" in page
    assert _act(world, dsr, "note", note="again").status_code == 400
    assert admin_client(world).post(f"/t/acme/admin/requests/{dsr.id}/export/").status_code == 404
    # An open request is never shredded, however old.
    old_open = confirmed_request(world, email="old@example.test")
    DataSubjectRequest.objects.filter(pk=old_open.pk).update(confirmed_at=timezone.now() - timedelta(days=2000))
    housekeeping_run()
    assert DataSubjectRequest.objects.get(pk=old_open.pk).email == "old@example.test"
