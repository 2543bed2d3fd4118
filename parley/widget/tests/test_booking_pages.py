"""The customer's appointment page (the link in every appointment mail) and what the web app learns for booking."""

import json
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from parley.core.testing import World
from parley.experts.models import ExpertProfile
from parley.interactions.selectors import widget_config
from parley.scheduling import services
from parley.scheduling.models import Appointment, AppointmentType, WeeklyHours
from parley.scheduling.selectors import expert_slots
from parley.tenants.models import Tenant

NEW_YORK = ZoneInfo("America/New_York")


def next_monday_utc(hour: int) -> datetime:
    today = datetime.now(UTC).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime(monday.year, monday.month, monday.day, hour, tzinfo=UTC)


@pytest.fixture
def kind(world: World) -> AppointmentType:
    """Eve works Monday to Friday 09:00-17:00 Zurich time; Acme offers a 30-minute video consultation."""
    expert = world.acme_expert
    expert.timezone = "Europe/Zurich"
    expert.save(update_fields=["timezone"])
    WeeklyHours.objects.bulk_create(WeeklyHours(expert=expert, weekday=day, start=time(9), end=time(17)) for day in range(5))
    return AppointmentType.objects.create(
        tenant=world.acme, name="Video consultation", duration_minutes=30, min_notice_minutes=60
    )


def _book(world: World, kind: AppointmentType, starts_at: datetime, **overrides) -> tuple[Appointment, str]:
    data: dict[str, Any] = {
        "name": "Carla Customer",
        "email": "carla@example.test",
        "note": "About my mortgage",
        "timezone_name": "America/New_York",
    }
    data.update(overrides)
    profile = ExpertProfile.objects.get(user=world.acme_expert)
    appointment, manage_token, _visitor = services.appointment_book(
        tenant=world.acme, appointment_type_id=kind.id, starts_at=starts_at, expert_profile_id=profile.id, **data
    )
    return appointment, manage_token


def _page(token: str, slug: str = "acme") -> str:
    return f"/w/{slug}/appointments/{token}/"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def _post(client: Client, url: str, page_html: str, **data: str):
    return client.post(url, {"csrfmiddlewaretoken": _csrf(page_html), **data})


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(NEW_YORK):%H:%M}"


# --- the appointment page ----------------------------------------------------------------------------------------


def test_the_page_shows_the_appointment_in_the_customers_time_zone(world: World, kind: AppointmentType):
    start = next_monday_utc(8)
    _appointment, token = _book(world, kind, start)
    response = Client().get(_page(token))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Video consultation" in html and "Eve Expert" in html and "Confirmed" in html
    ends = start + timedelta(minutes=30)
    assert f"{_local(start)}–{_local(ends)}</time> (America/New York)" in html
    assert f'datetime="{start.isoformat().replace("+00:00", "Z")}"' in html
    assert "Carla" not in html and "carla@example.test" not in html  # the link shows the appointment, not the person
    assert 'content="same-origin"' in html  # forms post their origin for the CSRF check
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["Content-Language"] == "en"


def test_the_page_speaks_the_language_the_customer_booked_in(world: World, kind: AppointmentType):
    _appointment, token = _book(world, kind, next_monday_utc(8), language="de")
    response = Client().get(_page(token), headers={"Accept-Language": "en"})
    assert '<html lang="de">' in response.content.decode()
    assert response["Content-Language"] == "de"


def test_the_customer_cancels_after_confirming(world: World, kind: AppointmentType, django_capture_on_commit_callbacks):
    appointment, token = _book(world, kind, next_monday_utc(8))
    client = Client(enforce_csrf_checks=True)
    overview = client.get(_page(token)).content.decode()
    assert f'href="{_page(token)}?step=cancel"' in overview
    confirm = client.get(_page(token) + "?step=cancel").content.decode()
    assert "Cancel this appointment?" in confirm
    assert Appointment.objects.get().status == "confirmed"  # showing the question changes nothing
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, _page(token), confirm, action="cancel")
    assert response.status_code == 302
    assert response["Location"] == _page(token) + "?done=cancelled"
    assert Appointment.objects.get().status == "cancelled"
    assert {tuple(m.to) for m in mail.outbox} == {("carla@example.test",), ("eve@acme.test",)}
    after = client.get(response["Location"]).content.decode()
    assert "Your appointment is cancelled." in after
    assert "?step=move" not in after and "?step=cancel" not in after


def test_a_post_without_the_csrf_token_is_refused(world: World, kind: AppointmentType):
    _appointment, token = _book(world, kind, next_monday_utc(8))
    client = Client(enforce_csrf_checks=True)
    client.get(_page(token))
    assert client.post(_page(token), {"action": "cancel"}).status_code == 403
    assert Appointment.objects.get().status == "confirmed"


def test_the_customer_chooses_another_time_grouped_by_day(world: World, kind: AppointmentType):
    start = next_monday_utc(8)
    appointment, token = _book(world, kind, start)
    client = Client(enforce_csrf_checks=True)
    html = client.get(_page(token) + "?step=move").content.decode()
    values = re.findall(r'<input type="radio" name="starts_at" value="([^"]+)"', html)
    free = expert_slots(
        tenant=world.acme,
        expert=world.acme_expert,
        appointment_type=kind,
        start=datetime.now(UTC),
        end=datetime.now(UTC) + timedelta(days=14),
        exclude=appointment.id,  # its own time does not block a move by 15 minutes
    )
    free = [moment for moment in free if moment != start]
    assert values == [moment.isoformat().replace("+00:00", "Z") for moment in free]
    assert start.isoformat().replace("+00:00", "Z") not in values  # not offered as "another" time
    legends = re.findall(r"<legend>([^<]+)</legend>", html)
    assert len(legends) == len({moment.astimezone(NEW_YORK).date() for moment in free})
    target = start + timedelta(days=1, hours=1)
    response = _post(client, _page(token), html, action="move", starts_at=target.isoformat().replace("+00:00", "Z"))
    assert response.status_code == 302 and response["Location"].endswith("?done=moved")
    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.status) == (target, "confirmed")
    assert "moved to the new time" in client.get(response["Location"]).content.decode()


def test_a_time_taken_meanwhile_is_refused_with_a_clear_message(world: World, kind: AppointmentType):
    start = next_monday_utc(8)
    appointment, token = _book(world, kind, start)
    client = Client(enforce_csrf_checks=True)
    html = client.get(_page(token) + "?step=move").content.decode()
    target = start + timedelta(hours=2)
    _book(world, kind, target, email="other@example.test")  # someone else is quicker
    response = _post(client, _page(token), html, action="move", starts_at=target.isoformat().replace("+00:00", "Z"))
    assert response.status_code == 409
    page = response.content.decode()
    assert 'role="alert">This time is no longer free. Please choose another one.' in page
    assert 'name="starts_at"' in page  # the free times again, to choose from
    appointment.refresh_from_db()
    assert appointment.starts_at == start


def test_the_customer_accepts_the_time_the_expert_proposed(world: World, kind: AppointmentType):
    world.acme.booking_needs_confirmation = True
    world.acme.save()
    start = next_monday_utc(8)
    appointment, token = _book(world, kind, start)
    other = start + timedelta(hours=3)
    services.appointment_propose(actor=world.acme_expert, appointment=appointment, starts_at=other, message="Later suits me")
    client = Client(enforce_csrf_checks=True)
    html = client.get(_page(token)).content.decode()
    assert "Other time proposed" in html
    assert f"proposes {_local(other)}" not in html  # a whole date, not just the time
    assert f"{_local(other)}–{_local(other + timedelta(minutes=30))} (America/New York)" in html
    assert "Later suits me" in html
    assert "Accept the proposed time" in html
    response = _post(client, _page(token), html, action="accept")
    assert response.status_code == 302 and response["Location"].endswith("?done=accepted")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.starts_at, appointment.proposed_starts_at) == ("confirmed", other, None)
    after = client.get(response["Location"]).content.decode()
    assert "You accepted the new time." in after and "Accept the proposed time" not in after


def test_a_requested_appointment_offers_no_accept_button(world: World, kind: AppointmentType):
    world.acme.booking_needs_confirmation = True
    world.acme.save()
    _appointment, token = _book(world, kind, next_monday_utc(8))
    client = Client(enforce_csrf_checks=True)
    html = client.get(_page(token)).content.decode()
    assert "has not confirmed this time yet" in html and "Accept the proposed time" not in html
    response = Client().post(_page(token), {"action": "accept"})  # a forged post (the CSRF check is off here)
    assert response.status_code == 400
    assert "There is no other time to accept." in response.content.decode()


def test_a_past_appointment_can_no_longer_be_changed(world: World, kind: AppointmentType):
    appointment, token = _book(world, kind, next_monday_utc(8))
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=appointment.starts_at - timedelta(days=8), ends_at=appointment.ends_at - timedelta(days=8)
    )
    client = Client(enforce_csrf_checks=True)
    html = client.get(_page(token)).content.decode()
    assert "This appointment is over." in html and "?step=cancel" not in html
    assert "Cancel this appointment?" not in client.get(_page(token) + "?step=cancel").content.decode()
    response = Client().post(_page(token), {"action": "cancel"})  # a forged post (the CSRF check is off here)
    assert response.status_code == 400
    assert Appointment.objects.get().status == "confirmed"


def test_an_unknown_link_is_a_404_page(world: World, kind: AppointmentType):
    response = Client().get(_page("not-a-token"))
    assert response.status_code == 404
    assert "This appointment link is not valid (any more)." in response.content.decode()
    assert Client().post(_page("not-a-token"), {"action": "cancel"}).status_code == 404
    assert Client().get("/w/nobody/appointments/whatever/").status_code == 404


def test_another_tenants_address_with_a_valid_link_is_404(world: World, kind: AppointmentType):
    _appointment, token = _book(world, kind, next_monday_utc(8))
    assert Client().get(_page(token, slug="globex")).status_code == 404
    assert Client().post(_page(token, slug="globex"), {"action": "cancel"}).status_code == 404
    assert Appointment.objects.get().status == "confirmed"


# --- what the web app learns for booking -------------------------------------------------------------------------


def _expert(config: dict, world: World) -> dict:
    profile = ExpertProfile.objects.get(user=world.acme_expert)
    return next(expert for expert in config["experts"] if expert["id"] == str(profile.id))


def test_widget_config_carries_the_appointment_types_and_each_experts_next_free_slot(world: World, kind: AppointmentType):
    AppointmentType.objects.create(tenant=world.acme, name="Phone call", channel="phone", duration_minutes=15, position=2)
    config = widget_config(tenant=world.acme)
    assert config["appointment_types"] == [
        {"id": str(kind.id), "name": "Video consultation", "channel": "video", "duration_minutes": 30},
        {"id": config["appointment_types"][1]["id"], "name": "Phone call", "channel": "phone", "duration_minutes": 15},
    ]
    now = datetime.now(UTC)
    free = expert_slots(
        tenant=world.acme, expert=world.acme_expert, appointment_type=kind, start=now, end=now + timedelta(days=14)
    )
    assert _expert(config, world)["next_slot"] == free[0].isoformat().replace("+00:00", "Z")
    # The existing keys are unchanged.
    assert {"tenant", "features", "privacy_notice_url", "documents", "topics", "experts"} <= set(config)
    assert {"id", "name", "description", "languages", "language_names", "online", "photo_url", "topic_ids"} < set(
        _expert(config, world)
    )
    # ...and the web app page carries them.
    html = Client().get("/w/acme/").content.decode()
    block = re.search(r'<script id="parley-config" type="application/json">(.*?)</script>', html, re.S)
    assert block and json.loads(block.group(1))["appointment_types"][0]["name"] == "Video consultation"
    # The other tenant offers nothing.
    assert widget_config(tenant=world.globex)["appointment_types"] == []


def test_widget_config_offers_no_booking_without_types_or_with_appointments_off(world: World, kind: AppointmentType):
    world.acme.appointments_enabled = False
    world.acme.save()
    config = widget_config(tenant=world.acme)
    assert config["appointment_types"] == [] and _expert(config, world)["next_slot"] is None
    world.acme.appointments_enabled = True
    world.acme.save()
    WeeklyHours.objects.all().delete()
    assert _expert(widget_config(tenant=world.acme), world)["next_slot"] is None  # no hours, no slot


def test_widget_config_queries_do_not_grow_with_the_number_of_slots(world: World, kind: AppointmentType):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            widget_config(tenant=world.acme)
        return len(captured)

    few = queries()
    WeeklyHours.objects.filter(expert=world.acme_expert).update(start=time(0), end=time(0))  # all day: many more slots
    for day in (5, 6):
        WeeklyHours.objects.create(expert=world.acme_expert, weekday=day, start=time(0), end=time(0))
    assert queries() == few


def test_the_demo_command_adds_appointment_types_and_working_hours_once(db):
    call_command("demo", stdout=None)
    call_command("demo", stdout=None)
    tenant = Tenant.objects.get(slug="demo")
    assert [(t.name, t.channel, t.duration_minutes) for t in AppointmentType.objects.filter(tenant=tenant)] == [
        ("Video consultation", "video", 30),
        ("Phone call", "phone", 15),
    ]
    experts = ExpertProfile.objects.filter(tenant=tenant)
    for profile in experts:
        hours = list(WeeklyHours.objects.filter(expert=profile.user).values_list("weekday", "start", "end"))
        assert hours == [(day, time(9), time(17)) for day in range(5)]
    config = widget_config(tenant=tenant)
    assert len(config["experts"]) == 2 and all(expert["next_slot"] for expert in config["experts"])


def test_the_appointment_call_opens_ten_minutes_before_and_leads_to_the_waiting_room(world: World, kind: AppointmentType):
    from parley.interactions.selectors import access_visitor_interaction

    start = next_monday_utc(9)
    appointment, token = _book(world, kind, start)
    client = Client(enforce_csrf_checks=True)
    html = client.get(_page(token)).content.decode()
    assert 'value="join"' not in html  # days ahead: no join button yet
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=datetime.now(UTC) + timedelta(minutes=5), ends_at=datetime.now(UTC) + timedelta(minutes=35)
    )
    html = client.get(_page(token)).content.decode()
    assert 'value="join"' in html
    response = _post(client, _page(token), html, action="join")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/w/acme/#resume=") and location.endswith("&call=waiting")
    visitor_token = location.split("#resume=")[1].split("&")[0]
    assert access_visitor_interaction(tenant=world.acme, token=visitor_token) == appointment.interaction
