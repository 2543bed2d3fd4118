"""P26: data that must be kept for legal reasons is blocked instead of deleted and no longer used.

A held conversation leaves every inbox, search and live socket, its page is 404, its customer's link no longer opens
it, and it cannot be deleted; the admin reads it on the legal-hold list with the reason. Release restores all that.
A held person's account is deactivated, leaves the people list and cannot be erased."""

import uuid

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from parley.accounts.models import User
from parley.accounts.services import user_erase
from parley.core.exceptions import ApplicationError
from parley.core.testing import client_for
from parley.holds.models import LegalHold
from parley.holds.selectors import held_ids, is_held
from parley.holds.services import hold_place_on_interaction, hold_place_on_user, hold_release
from parley.interactions.models import Interaction
from parley.interactions.services import document_post, interaction_delete
from parley.interactions.tests.conftest import start

API = "/api/v1/widget"
REASON = "Court order 4 O 123/26: keep until the case is closed"


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _conversation_url(interaction) -> str:
    return reverse("interactions:conversation", kwargs={"slug": "acme", "interaction_id": interaction.id})


def _inbox(client, **params) -> str:
    response = client.get(reverse("interactions:inbox", kwargs={"slug": "acme"}), {"status": "all", **params})
    assert response.status_code == 200
    return response.content.decode()


def _place_through_the_portal(world, interaction) -> LegalHold:
    admin = client_for(world.acme_admin)
    page = admin.get(_conversation_url(interaction))
    place_url = reverse("holds:place_interaction", kwargs={"slug": "acme", "interaction_id": interaction.id})
    assert place_url in page.content.decode()  # the admin's "Place under legal hold" action
    refused = admin.post(place_url, {"reason": "  "})
    assert refused.status_code == 400 and not LegalHold.objects.exists()  # a reason is required
    response = admin.post(place_url, {"reason": REASON})
    assert response.status_code == 302 and response["Location"] == reverse("holds:list", kwargs={"slug": "acme"})
    return LegalHold.objects.get()


def test_p26_a_held_conversation_is_hidden_everywhere_kept_and_shown_only_on_the_legal_hold_list(world):
    interaction, token, _first = start(world, name="Harriet Heldwell", email="harriet@example.test")
    other, _t, _m = start(world, name="Otto Other", email="otto@example.test")
    expert, admin = client_for(world.acme_expert), client_for(world.acme_admin)
    assert "Harriet Heldwell" in _inbox(expert) and "Harriet Heldwell" in _inbox(admin)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get(f"{API}/acme/conversation", **bearer).status_code == 200

    hold = _place_through_the_portal(world, interaction)
    assert hold.reason == REASON and hold.placed_by == world.acme_admin and hold.target_type == "interaction"
    assert is_held(target_type="interaction", target_id=interaction.id)
    assert held_ids(target_type="interaction", tenant_id=world.acme.id) == {interaction.id}
    assert held_ids(target_type="interaction", tenant_id=world.globex.id) == set()

    # Gone from the inboxes and the search of the expert and the admin; the other conversation stays.
    for client in (expert, admin):
        html = _inbox(client)
        assert "Harriet Heldwell" not in html and "Otto Other" in html
        assert "Harriet Heldwell" not in _inbox(client, q="Harriet")
        assert "Harriet Heldwell" not in _inbox(client, q="harriet@example.test")
        assert client.get(_conversation_url(interaction)).status_code == 404
        assert client.get(_conversation_url(other)).status_code == 200
    # The delete page is 404, and the deletion itself is refused with a clear message.
    delete_url = reverse("interactions:delete", kwargs={"slug": "acme", "interaction_id": interaction.id})
    assert admin.post(delete_url, {"confirm": "delete"}).status_code == 404
    with pytest.raises(ApplicationError, match="legal hold"):
        interaction_delete(interaction=interaction)
    # The customer's token no longer opens it: not found, exactly like an invalid link; nor can they delete it.
    assert Client().get(f"{API}/acme/conversation", **bearer).status_code == 401
    assert Client().delete(f"{API}/acme/conversation", **bearer).status_code == 401
    assert Interaction.objects.filter(id=interaction.id).exists()  # kept

    # The legal-hold list shows it with the reason, who placed it and when; the detail shows the content read-only.
    listing = admin.get(reverse("holds:list", kwargs={"slug": "acme"})).content.decode()
    assert "Harriet Heldwell" in listing and "Court order 4 O 123/26" in listing and "Ada Admin" in listing
    detail = admin.get(reverse("holds:detail", kwargs={"slug": "acme", "hold_id": hold.id}))
    assert detail.status_code == 200
    assert "Hello, I need advice" in detail.content.decode() and "harriet@example.test" in detail.content.decode()
    assert "reply-form" not in detail.content.decode()  # read-only


def test_p26_releasing_the_hold_makes_the_conversation_visible_and_deletable_again(world):
    interaction, token, _first = start(world, name="Harriet Heldwell")
    hold = hold_place_on_interaction(actor=world.acme_admin, interaction_id=interaction.id, reason=REASON)
    admin, expert = client_for(world.acme_admin), client_for(world.acme_expert)
    release_url = reverse("holds:release", kwargs={"slug": "acme", "hold_id": hold.id})
    confirm = admin.get(release_url)
    assert confirm.status_code == 200 and "Release the legal hold?" in confirm.content.decode()
    assert admin.post(release_url, {}).status_code == 400  # without the confirmation nothing happens
    assert is_held(target_type="interaction", target_id=interaction.id)
    assert admin.post(release_url, {"confirm": "on"}).status_code == 302

    hold.refresh_from_db()
    assert hold.released_at is not None and hold.released_by == world.acme_admin
    assert hold.reason is None  # wiped; that the hold existed is kept
    assert not is_held(target_type="interaction", target_id=interaction.id)
    assert "Harriet Heldwell" in _inbox(expert) and "Harriet Heldwell" in _inbox(admin, q="Harriet")
    assert expert.get(_conversation_url(interaction)).status_code == 200
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get(f"{API}/acme/conversation", **bearer).status_code == 200
    assert "Harriet Heldwell" not in admin.get(reverse("holds:list", kwargs={"slug": "acme"})).content.decode()
    assert admin.get(reverse("holds:detail", kwargs={"slug": "acme", "hold_id": hold.id})).status_code == 404
    # A hold can be placed again, and deletion works once released.
    again = hold_place_on_interaction(actor=world.acme_admin, interaction_id=interaction.id, reason="Second case")
    hold_release(actor=world.acme_admin, hold=again)
    interaction_delete(interaction=interaction)
    assert not Interaction.objects.filter(id=interaction.id).exists()


def test_p26_a_conversation_cannot_be_held_twice_or_from_another_tenant(world):
    interaction, _token, _first = start(world)
    hold_place_on_interaction(actor=world.acme_admin, interaction_id=interaction.id, reason=REASON)
    with pytest.raises(ApplicationError, match="already"):
        hold_place_on_interaction(actor=world.acme_admin, interaction_id=interaction.id, reason=REASON)
    with pytest.raises(ApplicationError):
        hold_place_on_interaction(actor=world.globex_admin, interaction_id=interaction.id, reason=REASON)
    assert LegalHold.objects.count() == 1


def test_p26_the_held_documents_are_readable_only_through_the_legal_hold(world):
    world.acme.document_types = ["text"]
    world.acme.save(update_fields=["document_types"])
    interaction, _token, _first = start(world)
    message = document_post(interaction=interaction, sender="customer", filename="contract.txt", data=b"clause 7\n")
    document = message.document
    hold = hold_place_on_interaction(actor=world.acme_admin, interaction_id=interaction.id, reason=REASON)
    admin = client_for(world.acme_admin)
    portal_url = reverse(
        "interactions:document", kwargs={"slug": "acme", "interaction_id": interaction.id, "document_id": document.id}
    )
    assert admin.get(portal_url).status_code == 404
    held_url = reverse("holds:document", kwargs={"slug": "acme", "hold_id": hold.id, "document_id": document.id})
    response = admin.get(held_url)
    assert response.status_code == 200 and response.content == b"clause 7\n"
    detail = admin.get(reverse("holds:detail", kwargs={"slug": "acme", "hold_id": hold.id})).content.decode()
    assert held_url in detail and "contract.txt" in detail
    unknown = reverse("holds:document", kwargs={"slug": "acme", "hold_id": hold.id, "document_id": uuid.uuid4()})
    assert admin.get(unknown).status_code == 404


def test_p26_another_tenants_admin_and_an_expert_are_refused_on_every_legal_hold_route(world):
    interaction, _token, _first = start(world)
    world.acme.document_types = ["text"]
    world.acme.save(update_fields=["document_types"])
    document = document_post(interaction=interaction, sender="customer", filename="a.txt", data=b"x\n").document
    hold = hold_place_on_interaction(actor=world.acme_admin, interaction_id=interaction.id, reason=REASON)
    other, _t, _m = start(world, name="Not Held")
    routes = [
        ("holds:list", {}, "get"),
        ("holds:place_interaction", {"interaction_id": other.id}, "get"),
        ("holds:place_interaction", {"interaction_id": other.id}, "post"),
        ("holds:place_user", {"user_id": world.acme_expert.id}, "get"),
        ("holds:place_user", {"user_id": world.acme_expert.id}, "post"),
        ("holds:detail", {"hold_id": hold.id}, "get"),
        ("holds:document", {"hold_id": hold.id, "document_id": document.id}, "get"),
        ("holds:release", {"hold_id": hold.id}, "get"),
        ("holds:release", {"hold_id": hold.id}, "post"),
    ]
    data = {"reason": "Mine now", "confirm": "on"}
    for name, kwargs, method in routes:
        for user in (world.globex_admin, world.globex_expert):
            # Through Acme's portal (not a member: 404) ...
            response = getattr(client_for(user), method)(reverse(name, kwargs={"slug": "acme", **kwargs}), data)
            assert response.status_code == 404, (name, method, user.name)
        if kwargs:  # ... and Acme's objects through Globex's own portal: 404 as if they did not exist.
            response = getattr(client_for(world.globex_admin), method)(reverse(name, kwargs={"slug": "globex", **kwargs}), data)
            assert response.status_code == 404, (name, method)
        response = getattr(client_for(world.acme_expert), method)(reverse(name, kwargs={"slug": "acme", **kwargs}), data)
        assert response.status_code == 403, (name, method)
    assert list(LegalHold.objects.values_list("id", flat=True)) == [hold.id]
    hold.refresh_from_db()
    assert hold.released_at is None and hold.reason == REASON
    assert User.objects.get(id=world.acme_expert.id).is_active


def test_p26_a_held_person_cannot_be_erased_and_is_blocked_until_release(world):
    expert = world.acme_expert
    admin = client_for(world.acme_admin)
    members_url = reverse("portal_admin:members", kwargs={"slug": "acme"})
    place_url = reverse("holds:place_user", kwargs={"slug": "acme", "user_id": expert.id})
    assert place_url in admin.get(members_url).content.decode()
    assert "Eve Expert" in _inbox(admin)  # offered as an inbox filter
    assert admin.get(place_url).status_code == 200
    assert admin.post(place_url, {"reason": REASON}).status_code == 302
    hold = LegalHold.objects.get(target_type="user")
    assert is_held(target_type="user", target_id=expert.id) and hold.deactivated_account

    expert.refresh_from_db()
    assert not expert.is_active  # blocked: signed out, no sign-in, not offered to customers
    assert "Eve Expert" not in Client().get(f"{API}/acme/config").content.decode()
    assert "eve@acme.test" not in admin.get(members_url).content.decode()
    assert "Eve Expert" not in _inbox(admin)
    # Its account pages are gone (not reactivated, not deleted), and the erasure itself is refused.
    for name in ("member_delete", "member_active", "expert_widget"):
        url = reverse(f"portal_admin:{name}", kwargs={"slug": "acme", "user_id": expert.id})
        assert admin.post(url, {"confirm": "delete", "action": "activate"}).status_code == 404
    expert.refresh_from_db()
    assert not expert.is_active
    with pytest.raises(ApplicationError, match="legal hold"):
        user_erase(actor=world.acme_admin, user=expert)
    assert User.objects.filter(id=expert.id).exists()
    listing = admin.get(reverse("holds:list", kwargs={"slug": "acme"})).content.decode()
    assert "Eve Expert" in listing and "Court order" in listing
    detail = admin.get(reverse("holds:detail", kwargs={"slug": "acme", "hold_id": hold.id})).content.decode()
    assert "eve@acme.test" in detail

    hold_release(actor=world.acme_admin, hold=hold)
    expert.refresh_from_db()
    assert expert.is_active and "eve@acme.test" in admin.get(members_url).content.decode()
    user_erase(actor=world.acme_admin, user=expert)
    assert not User.objects.filter(id=expert.id).exists()


def test_p26_an_admin_cannot_hold_their_own_account_nor_the_last_administrator(world):
    with pytest.raises(ApplicationError, match="own account"):
        hold_place_on_user(actor=world.acme_admin, user_id=world.acme_admin.id, reason=REASON)
    with pytest.raises(ApplicationError):
        hold_place_on_user(actor=world.globex_admin, user_id=world.acme_expert.id, reason=REASON)
    assert not LegalHold.objects.exists()


def test_p26_a_deactivated_person_stays_deactivated_after_release(world):
    from parley.accounts.services import user_deactivate

    user_deactivate(actor=world.acme_admin, user=world.acme_expert)
    hold = hold_place_on_user(actor=world.acme_admin, user_id=world.acme_expert.id, reason=REASON)
    assert not hold.deactivated_account
    hold_release(actor=world.acme_admin, hold=hold)
    world.acme_expert.refresh_from_db()
    assert not world.acme_expert.is_active


def test_p26_the_appointments_of_a_held_conversation_are_hidden_and_their_link_no_longer_works(world):
    from datetime import time

    from parley.experts.models import ExpertProfile
    from parley.scheduling import services as scheduling
    from parley.scheduling.models import AppointmentType, WeeklyHours
    from parley.scheduling.tests.conftest import next_monday_utc

    for weekday in range(5):
        WeeklyHours.objects.create(expert=world.acme_expert, weekday=weekday, start=time(0), end=time(23))
    kind = AppointmentType.objects.create(tenant=world.acme, name="Video", duration_minutes=30, min_notice_minutes=0)
    starts = next_monday_utc(10)
    appointment, manage_token, _visitor = scheduling.appointment_book(
        tenant=world.acme,
        appointment_type_id=kind.id,
        starts_at=starts,
        expert_profile_id=ExpertProfile.objects.get(user=world.acme_expert).id,
        name="Harriet Heldwell",
        email="harriet@example.test",
    )
    expert, admin = client_for(world.acme_expert), client_for(world.acme_admin)
    week_url = reverse("scheduling:week", kwargs={"slug": "acme"})
    page_url = reverse("scheduling:appointment", kwargs={"slug": "acme", "appointment_id": appointment.id})
    manage = {"HTTP_AUTHORIZATION": f"Bearer {manage_token}"}
    week = {"week": starts.date().isoformat()}
    assert "Harriet Heldwell" in expert.get(week_url, week).content.decode()
    assert expert.get(page_url).status_code == 200
    assert Client().get(f"{API}/acme/appointment", **manage).status_code == 200

    hold_place_on_interaction(actor=world.acme_admin, interaction_id=appointment.interaction_id, reason=REASON)
    for client in (expert, admin):
        assert "Harriet Heldwell" not in client.get(week_url, week).content.decode()
        assert client.get(page_url).status_code == 404
    assert Client().get(f"{API}/acme/appointment", **manage).status_code == 404


def test_p26_erasing_an_expert_keeps_the_held_conversation_they_advised(world):
    held, _token, _first = start(world, name="Harriet Heldwell")
    free, _t, _m = start(world, name="Otto Other")
    hold_place_on_interaction(actor=world.acme_admin, interaction_id=held.id, reason=REASON)
    user_erase(actor=world.acme_admin, user=world.acme_expert)
    assert not Interaction.objects.filter(id=free.id).exists()  # P09 as before
    kept = Interaction.objects.get(id=held.id)
    assert kept.expert_id is None and kept.customer_name == "Harriet Heldwell"
    listing = client_for(world.acme_admin).get(reverse("holds:list", kwargs={"slug": "acme"})).content.decode()
    assert "Harriet Heldwell" in listing


def test_p26_retention_skips_a_held_conversation_past_its_period_until_the_hold_is_released(world):
    from datetime import timedelta

    from django.utils import timezone

    from parley.crypto.models import DataKey
    from parley.privacy.retention import add_months, purge_run

    held, _t, _m = start(world, name="Harriet Heldwell", email="harriet@example.test")
    expired, _t2, _m2 = start(world, name="Otto Other", email="otto@example.test")
    long_ago = add_months(timezone.now(), -14) - timedelta(days=1)  # past the 12 months of P06
    Interaction.objects.filter(id__in=[held.id, expired.id]).update(last_activity_at=long_ago)
    hold = hold_place_on_interaction(actor=world.acme_admin, interaction_id=held.id, reason=REASON)

    purge_run()
    assert not Interaction.objects.filter(id=expired.id).exists()  # the purge did run
    assert Interaction.objects.get(id=held.id).customer_name == "Harriet Heldwell"  # kept and still readable
    assert DataKey.objects.filter(scope_id=held.id, destroyed_at__isnull=True).exists()

    hold_release(actor=world.acme_admin, hold=hold)
    purge_run()
    assert not Interaction.objects.filter(id=held.id).exists()  # released: retention applies again
