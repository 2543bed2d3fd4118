"""P26: the appointment of a conversation under legal hold is frozen. Write-back does not push, move or remove it in
the expert's external calendar while the hold lasts; its time still counts as busy (the decision in
docs/decisions/0007-retention-and-erasure.md); after the hold is released write-back works again."""

from datetime import timedelta

from parley.holds.services import hold_place_on_interaction, hold_release
from parley.scheduling.calendars import services
from parley.scheduling.calendars.tests.conftest import book_with_write_back
from parley.scheduling.models import Appointment
from parley.scheduling.selectors import busy_for


def _booked(world, google, django_capture_on_commit_callbacks):
    appointment, start = book_with_write_back(
        world, google, django_capture_on_commit_callbacks, name="Hannah Held", email="hannah@example.test"
    )
    assert appointment.id.hex in google.state.written
    return appointment, start


def test_p26_a_held_conversations_appointment_is_not_pushed_moved_or_removed_in_the_external_calendar(
    world, google, django_capture_on_commit_callbacks
):
    appointment, start = _booked(world, google, django_capture_on_commit_callbacks)
    written = dict(google.state.written[appointment.id.hex])
    hold = hold_place_on_interaction(
        actor=world.acme_admin, interaction_id=appointment.interaction_id, reason="Court order 12/34"
    )

    # A change while held (here: moved by an hour) reaches the write-back task, which leaves the calendar alone.
    appointment.starts_at += timedelta(hours=1)
    appointment.ends_at += timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        appointment.save(update_fields=["starts_at", "ends_at"])
    assert callbacks, "the write-back task was queued"
    assert google.state.written[appointment.id.hex] == written
    # Not even a removal: the frozen state stays as it was when the hold was placed.
    Appointment.objects.filter(id=appointment.id).update(status=Appointment.Status.CANCELLED)
    assert services.appointment_write_back(appointment_id=appointment.id) == 0
    assert google.state.written[appointment.id.hex] == written
    google.state.written.pop(appointment.id.hex)
    Appointment.objects.filter(id=appointment.id).update(status=Appointment.Status.CONFIRMED)
    assert services.appointment_write_back(appointment_id=appointment.id) == 0
    assert appointment.id.hex not in google.state.written  # nothing pushed again either

    # The slot stays taken: releasing the hold must not lead to a double booking.
    busy = busy_for(expert=world.acme_expert, start=start, end=start + timedelta(hours=3))
    assert any(a <= appointment.starts_at and appointment.ends_at <= b for a, b in busy.padded)

    hold_release(actor=world.acme_admin, hold=hold)
    assert services.appointment_write_back(appointment_id=appointment.id) == 1
    assert google.state.written[appointment.id.hex]["start"] == {"dateTime": appointment.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_p26_a_hold_on_another_conversation_does_not_stop_write_back(world, google, django_capture_on_commit_callbacks):
    from parley.interactions.tests.conftest import start as open_conversation

    appointment, _start = _booked(world, google, django_capture_on_commit_callbacks)
    other, _token, _message = open_conversation(world)
    hold_place_on_interaction(actor=world.acme_admin, interaction_id=other.id, reason="Court order 56/78")
    google.state.written.pop(appointment.id.hex)
    assert services.appointment_write_back(appointment_id=appointment.id) == 1
    assert appointment.id.hex in google.state.written
