import threading
from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.db import connection
from icalendar import Calendar

from parley.core.exceptions import ApplicationError, NotFound
from parley.scheduling import services
from parley.scheduling.models import Appointment
from parley.scheduling.selectors import expert_slots
from parley.scheduling.tests.conftest import next_monday_utc


def _book(world, kind, profile, starts_at, **overrides):
    data = {
        "name": "Carla Customer",
        "email": "carla@example.test",
        "note": "About my mortgage",
        "timezone_name": "America/New_York",
    }
    data.update(overrides)
    return services.appointment_book(
        tenant=world.acme, appointment_type_id=kind.id, starts_at=starts_at, expert_profile_id=profile.id, **data
    )


def test_p04_booking_a_free_slot_confirms_it_and_mails_an_invitation(world, bookable, django_capture_on_commit_callbacks):
    kind, profile = bookable
    start = next_monday_utc(8)  # 09:00 in Zurich in winter, 10:00 in summer: both inside working hours
    with django_capture_on_commit_callbacks(execute=True):
        appointment, manage_token, _visitor = _book(world, kind, profile, start)
    assert appointment.status == "confirmed" and appointment.ends_at - appointment.starts_at == timedelta(minutes=30)
    to_customer = [m for m in mail.outbox if m.to == ["carla@example.test"]]
    assert len(to_customer) == 1
    assert manage_token in to_customer[0].body
    ics = [a for a in to_customer[0].attachments if "calendar" in a[2]]
    calendar = Calendar.from_ical(ics[0][1])
    assert calendar["method"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert event.decoded("dtstart").astimezone(UTC) == start
    assert str(event["attendee"]).lower() == "mailto:carla@example.test"
    assert str(event["organizer"]).lower() == "mailto:eve@acme.test"
    assert [m for m in mail.outbox if m.to == ["eve@acme.test"]]


def test_a_taken_or_unoffered_time_is_refused(world, bookable):
    kind, profile = bookable
    start = next_monday_utc(8)
    _book(world, kind, profile, start)
    with pytest.raises(services.SlotTaken):
        _book(world, kind, profile, start, email="other@example.test")
    with pytest.raises(services.SlotTaken):  # 15 minutes in overlaps the first
        _book(world, kind, profile, start + timedelta(minutes=15))
    with pytest.raises(services.SlotTaken):  # Sunday: not a working day
        _book(world, kind, profile, start - timedelta(days=1))
    assert Appointment.objects.count() == 1


def test_booked_time_leaves_the_slot_list(world, bookable):
    kind, profile = bookable
    start = next_monday_utc(8)
    before = expert_slots(
        tenant=world.acme, expert=world.acme_expert, appointment_type=kind, start=start, end=start + timedelta(hours=12)
    )
    _book(world, kind, profile, start)
    after = expert_slots(
        tenant=world.acme, expert=world.acme_expert, appointment_type=kind, start=start, end=start + timedelta(hours=12)
    )
    assert start in before and start not in after and len(after) == len(before) - 1


@pytest.mark.django_db(transaction=True)
def test_two_customers_booking_the_same_slot_at_once_cannot_both_succeed():
    from parley.core.testing import make_world
    from parley.scheduling.tests.conftest import bookable as bookable_fixture

    world = make_world()
    kind, profile = bookable_fixture.__wrapped__(world)
    start = next_monday_utc(9)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def attempt(n: int) -> None:
        try:
            barrier.wait()
            _book(world, kind, profile, start, email=f"c{n}@example.test")
            results.append("booked")
        except services.SlotTaken:
            results.append("taken")
        except Exception as exc:  # a database lock error would also mean "not both"; record it to see it
            results.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results.count("booked") == 1, results
    assert Appointment.objects.filter(starts_at=start).count() == 1


def test_requests_are_accepted_declined_or_answered_with_another_time(world, bookable, django_capture_on_commit_callbacks):
    kind, profile = bookable
    world.acme.booking_needs_confirmation = True
    world.acme.save()
    start = next_monday_utc(10)
    with django_capture_on_commit_callbacks(execute=True):
        appointment, token, _v = _book(world, kind, profile, start)
    assert appointment.status == "requested"
    assert not [a for m in mail.outbox for a in m.attachments]  # no invitation for a mere request
    with pytest.raises(NotFound):  # another tenant: as if it did not exist
        services.appointment_accept(actor=world.globex_expert, appointment=appointment)
    other = start + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_propose(actor=world.acme_expert, appointment=appointment, starts_at=other, message="Later suits me")
    appointment = services.access_managed_appointment(tenant=world.acme, token=token)
    assert appointment.status == "proposed"
    services.appointment_accept_proposal(appointment=appointment)
    appointment.refresh_from_db()
    assert (appointment.status, appointment.starts_at, appointment.sequence) == ("confirmed", other, 2)


def test_the_customer_reschedules_and_cancels_from_their_link(world, bookable, django_capture_on_commit_callbacks):
    kind, profile = bookable
    start = next_monday_utc(8)
    appointment, token, _v = _book(world, kind, profile, start)
    appointment = services.access_managed_appointment(tenant=world.acme, token=token)
    later = start + timedelta(days=1, hours=1)
    services.appointment_reschedule(appointment=appointment, starts_at=later)
    assert Appointment.objects.get().starts_at == later
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(appointment=services.access_managed_appointment(tenant=world.acme, token=token))
    cancel = [m for m in mail.outbox if m.to == ["carla@example.test"]][-1]
    calendar = Calendar.from_ical([a for a in cancel.attachments if "calendar" in a[2]][0][1])
    assert calendar["method"] == "CANCEL" and calendar.walk("VEVENT")[0]["sequence"] == 2
    with pytest.raises(ApplicationError):
        services.appointment_reschedule(appointment=Appointment.objects.get(), starts_at=start)


def test_reminders_go_once_per_offset_even_when_run_twice(world, bookable, django_capture_on_commit_callbacks):
    kind, profile = bookable
    start = next_monday_utc(8)
    _book(world, kind, profile, start)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(now=start - timedelta(hours=23)) == 1  # the 24-hour reminder
        assert services.reminders_send(now=start - timedelta(hours=23)) == 0
        assert services.reminders_send(now=start - timedelta(minutes=59)) == 1  # the 1-hour reminder
    assert len([m for m in mail.outbox if "Reminder" in m.subject]) == 2


def test_appointments_switched_off_store_nothing(world, bookable):
    kind, profile = bookable
    world.acme.appointments_enabled = False
    world.acme.save()
    with pytest.raises(services.FeatureOff):
        _book(world, kind, profile, next_monday_utc(8))
    assert not Appointment.objects.exists()


def test_the_slot_list_of_a_team_costs_the_same_few_queries_for_any_number_of_experts(world, bookable):
    from datetime import time

    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from parley.accounts.services import user_create
    from parley.scheduling.models import WeeklyHours
    from parley.scheduling.selectors import slots_for

    kind, _profile = bookable
    start = next_monday_utc(0)

    def count() -> int:
        with CaptureQueriesContext(db) as queries:
            result = slots_for(tenant=world.acme, appointment_type=kind, start=start, end=start + timedelta(days=56))
        assert all(r.slots for r in result)
        return len(queries)

    few = count()
    for n in range(5):
        colleague = user_create(
            tenant=world.acme, name=f"C{n}", email=f"c{n}@acme.test", password="x-Passw0rd-long-1", role="expert"
        )
        WeeklyHours.objects.create(expert=colleague, weekday=0, start=time(9), end=time(12))
    assert count() == few <= 10
