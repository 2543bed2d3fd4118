"""Booking through the web app's JSON API: types, slots, book, and the customer's own changes with the manage
token; mails over a real SMTP server (aiosmtpd)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from icalendar import Calendar

from parley.scheduling.models import Appointment
from parley.scheduling.tests.conftest import next_monday_utc

API = "/api/v1/widget"


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _book(client, kind, profile, start, slug="acme", **extra):
    body = {
        "appointment_type_id": str(kind.id),
        "starts_at": _iso(start),
        "expert_id": str(profile.id),
        "name": "Carla Customer",
        "email": "carla@example.test",
        "timezone": "America/New_York",
        **extra,
    }
    return client.post(f"{API}/{slug}/appointments", body, content_type="application/json")


def test_the_api_lists_types_and_free_slots_in_utc(world, bookable):
    kind, profile = bookable
    types = Client().get(f"{API}/acme/appointment-types").json()
    assert [t["name"] for t in types] == ["Video consultation"]
    start = next_monday_utc(0)
    data = (
        Client()
        .get(
            f"{API}/acme/slots",
            {"appointment_type_id": str(kind.id), "start": _iso(start), "end": _iso(start + timedelta(days=1))},
        )
        .json()
    )
    slots = data["experts"][0]["slots"]
    assert len(slots) == 16 and data["first_free"] == slots  # 09:00-17:00 Zurich, 30 minutes
    assert Client().get(f"{API}/globex/slots", {"appointment_type_id": str(kind.id)}).status_code == 404


def test_booking_moving_and_cancelling_through_the_api(
    world, bookable, smtp_server, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    kind, profile = bookable
    start = next_monday_utc(8)
    with django_capture_on_commit_callbacks(execute=True):
        response = _book(Client(), kind, profile, start, note="Mortgage")
    assert response.status_code == 201, response.content
    booked = response.json()
    assert booked["appointment"]["status"] == "confirmed" and booked["appointment"]["starts_at"].startswith(
        start.date().isoformat()
    )
    # The confirmation went over SMTP, with the invitation at the booked instant.
    message = next(m for m in smtp_server.messages if m["To"] == "carla@example.test")
    ics = next(part for part in message.walk() if part.get_content_type() == "text/calendar")
    event = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")[0]
    assert event.decoded("dtstart").astimezone(UTC) == start
    assert booked["manage_token"] in message.get_body(("plain",)).get_content()

    token = {"HTTP_AUTHORIZATION": f"Bearer {booked['manage_token']}"}
    assert Client().get(f"{API}/acme/appointment", **token).json()["status"] == "confirmed"
    later = start + timedelta(days=1)
    moved = Client().post(
        f"{API}/acme/appointment/reschedule", {"starts_at": _iso(later)}, content_type="application/json", **token
    )
    assert moved.status_code == 200 and Appointment.objects.get().starts_at == later
    assert Client().post(f"{API}/acme/appointment/cancel", **token).json()["status"] == "cancelled"
    assert Client().get(f"{API}/globex/appointment", **token).status_code == 404
    assert Client().get(f"{API}/acme/appointment").status_code == 401


def test_the_same_slot_twice_gets_409_and_bad_input_a_clear_4xx(world, bookable):
    kind, profile = bookable
    start = next_monday_utc(9)
    assert _book(Client(), kind, profile, start).status_code == 201
    taken = _book(Client(), kind, profile, start, email="other@example.test")
    assert taken.status_code == 409 and taken.json()["message"]
    assert _book(Client(), kind, profile, start + timedelta(hours=1), email="bad").status_code == 400
    naive = _book(Client(), kind, profile, start + timedelta(hours=1), starts_at="2030-01-07T09:00:00")
    assert naive.status_code == 400
    assert Appointment.objects.count() == 1


def test_requests_need_the_expert_and_appointments_switched_off_are_refused(world, bookable):
    kind, profile = bookable
    world.acme.booking_needs_confirmation = True
    world.acme.save()
    assert _book(Client(), kind, profile, next_monday_utc(8)).json()["appointment"]["status"] == "requested"
    world.acme.appointments_enabled = False
    world.acme.save()
    refused = _book(Client(), kind, profile, next_monday_utc(10), email="x@example.test")
    assert refused.status_code == 403
    assert Client().get(f"{API}/acme/appointment-types").json() == []
