"""The portal's appointment pages: the week, answering requests, availability, appointment types, booking settings
and mail delivery, each for its role, with other tenants and colleagues kept out."""

import re
import secrets
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from parley.accounts.models import User
from parley.accounts.services import user_create
from parley.core.testing import PASSWORD, World, client_for
from parley.interactions.services import interaction_open
from parley.notifications.models import OutboxMail
from parley.scheduling import services
from parley.scheduling.models import (
    Absence,
    Appointment,
    AppointmentType,
    BusyInterval,
    CalendarConnection,
    ExpertTypeSetting,
    ExtraHours,
    WeeklyHours,
)
from parley.scheduling.tests.conftest import next_monday_utc

ZURICH = ZoneInfo("Europe/Zurich")


def _colleague(world: World) -> User:
    colleague = user_create(tenant=world.acme, name="Carl Colleague", email="carl@acme.test", password=PASSWORD, role="expert")
    colleague.timezone = "Europe/Zurich"
    colleague.save(update_fields=["timezone"])
    return colleague


def _appointment(
    world: World,
    starts_at: datetime,
    *,
    expert: User | None = None,
    name: str = "Carla Customer",
    status: str = Appointment.Status.CONFIRMED,
    kind: AppointmentType | None = None,
) -> Appointment:
    """An appointment written straight to the database, for views that only show or guard it."""
    expert = expert or world.acme_expert
    interaction, _token = interaction_open(tenant=world.acme, expert=expert, name=name, email="carla@example.test")
    token = secrets.token_urlsafe(16)
    return Appointment.objects.create(
        tenant=world.acme,
        interaction=interaction,
        expert=expert,
        appointment_type=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        status=status,
        manage_token_hash=services.token_hash(token),
        manage_token=token,
    )


def _requested(world: World, bookable, hour: int = 10) -> Appointment:
    """A request booked through the service, as a customer would (the tenant asks experts to confirm)."""
    kind, profile = bookable
    world.acme.booking_needs_confirmation = True
    world.acme.save()
    appointment, _token, _visitor = services.appointment_book(
        tenant=world.acme,
        appointment_type_id=kind.id,
        starts_at=next_monday_utc(hour),
        expert_profile_id=profile.id,
        name="Carla Customer",
        email="carla@example.test",
        note="About my mortgage",
        timezone_name="America/New_York",
    )
    mail.outbox.clear()
    return appointment


def _day(html: str, day: date) -> str:
    """The markup of one day of the week view."""
    start = html.index(f'id="day-{day.isoformat()}"')
    return html[start : html.index("</section>", start)]


def _url(world: World, name: str, **kwargs) -> str:
    from django.urls import reverse

    return reverse(f"scheduling:{name}", kwargs={"slug": world.acme.slug, **kwargs})


def _to_customer() -> list:
    return [m for m in mail.outbox if m.to == ["carla@example.test"]]


# --- the week ------------------------------------------------------------------------------------------------------


def test_an_expert_sees_their_week_with_appointments_busy_times_and_absences(world: World, bookable):
    kind, _profile = bookable
    monday = next_monday_utc(8)
    _appointment(world, monday, name="Olivia Own", kind=kind)
    connection = CalendarConnection.objects.create(tenant=world.acme, expert=world.acme_expert, provider="caldav")
    BusyInterval.objects.create(
        connection=connection,
        expert=world.acme_expert,
        starts_at=monday + timedelta(days=1),
        ends_at=monday + timedelta(days=1, hours=1),
    )
    Absence.objects.create(
        expert=world.acme_expert, starts_at=monday + timedelta(days=2), ends_at=monday + timedelta(days=3, hours=2)
    )
    page = client_for(world.acme_expert).get(_url(world, "week"), {"week": monday.date().isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    local = monday.astimezone(ZURICH)
    first = _day(html, local.date())
    assert "Olivia Own" in first and "Video consultation" in first and "Confirmed" in first
    assert f"{local:%H:%M}" in first
    assert "Busy" in _day(html, local.date() + timedelta(days=1))
    assert "Absent" in _day(html, local.date() + timedelta(days=2))
    assert "Absent" in _day(html, local.date() + timedelta(days=3))  # an absence over midnight shows on both days
    assert "Times are in your time zone, Europe/Zurich." in html
    assert f"?week={(local.date() - timedelta(days=7)).isoformat()}" in html
    assert f"?week={(local.date() + timedelta(days=7)).isoformat()}" in html


def test_the_week_shows_appointments_on_their_local_day_across_the_spring_clock_change(world: World):
    # Zurich puts its clocks forward on Sunday 29 March 2026, 02:00 -> 03:00 (UTC+1 -> UTC+2).
    _appointment(world, datetime(2026, 3, 22, 23, 30, tzinfo=UTC), name="Monday Early")  # Mon 23 March 00:30 CET
    _appointment(world, datetime(2026, 3, 29, 8, 0, tzinfo=UTC), name="Sunday Summer")  # Sun 29 March 10:00 CEST
    _appointment(world, datetime(2026, 3, 29, 22, 30, tzinfo=UTC), name="Next Monday")  # Mon 30 March 00:30 CEST
    client = client_for(world.acme_expert)
    html = client.get(_url(world, "week"), {"week": "2026-03-29"}).content.decode()  # any day picks its week
    assert "Week of 23 March 2026 to 29 March 2026" in html
    monday, sunday = _day(html, date(2026, 3, 23)), _day(html, date(2026, 3, 29))
    assert "Monday Early" in monday and "00:30" in monday
    assert "Sunday Summer" in sunday and "10:00" in sunday
    assert "Next Monday" not in html
    following = client.get(_url(world, "week"), {"week": "2026-03-30"}).content.decode()
    assert "Next Monday" in _day(following, date(2026, 3, 30)) and "00:30" in _day(following, date(2026, 3, 30))


def test_an_unusable_week_parameter_shows_the_current_week(world: World):
    page = client_for(world.acme_expert).get(_url(world, "week"), {"week": "not-a-date"})
    assert page.status_code == 200
    today = timezone.now().astimezone(ZURICH).date()
    assert f'id="day-{today.isoformat()}"' in page.content.decode()


def test_an_expert_sees_only_their_own_appointments_and_an_admin_sees_and_filters_everyones(world: World):
    carl = _colleague(world)
    monday = next_monday_utc(8)
    _appointment(world, monday, name="Olivia Own")
    _appointment(world, monday + timedelta(hours=1), expert=carl, name="Tom Theirs")
    week = {"week": monday.date().isoformat()}
    own = client_for(world.acme_expert).get(_url(world, "week"), week).content.decode()
    assert "Olivia Own" in own and "Tom Theirs" not in own
    admin = client_for(world.acme_admin)
    everyone = admin.get(_url(world, "week"), week).content.decode()
    assert "Olivia Own" in everyone and "Tom Theirs" in everyone
    filtered = admin.get(_url(world, "week"), {**week, "expert": str(carl.id)}).content.decode()
    assert "Tom Theirs" in filtered and "Olivia Own" not in filtered
    assert "the time zone of Carl Colleague" in filtered
    # Globex's admin sees none of Acme's appointments, and cannot filter by Acme's expert either.
    globex = client_for(world.globex_admin).get("/t/globex/appointments/", {**week, "expert": str(carl.id)}).content.decode()
    assert "Tom Theirs" not in globex and "Olivia Own" not in globex


def test_requests_come_first_in_needs_your_answer_with_the_customers_note(world: World, bookable):
    _requested(world, bookable)
    html = client_for(world.acme_expert).get(_url(world, "week")).content.decode()
    needs = html[html.index('id="requests"') : html.index('aria-labelledby="week-title"')]
    assert "Carla Customer" in needs and "About my mortgage" in needs
    assert "Accept" in needs and "Decline the request" in needs and "Propose this time" in needs
    assert html.index("Needs your answer") < html.index("Week of")


# --- answering and cancelling --------------------------------------------------------------------------------------


def test_accepting_a_request_confirms_it_and_sends_the_customer_an_invitation(
    world, bookable, django_capture_on_commit_callbacks
):
    appointment = _requested(world, bookable)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.acme_expert).post(_url(world, "accept", appointment_id=appointment.id))
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"
    [confirmation] = _to_customer()
    assert [a for a in confirmation.attachments if "calendar" in a[2]]


def test_an_admin_can_answer_a_request_of_any_expert_of_the_tenant(world, bookable, django_capture_on_commit_callbacks):
    appointment = _requested(world, bookable)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.acme_admin).post(_url(world, "accept", appointment_id=appointment.id))
    assert response.status_code == 302 and f"expert={world.acme_expert.id}" in response["Location"]
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"


def test_declining_a_request_with_a_message_tells_the_customer(world, bookable, django_capture_on_commit_callbacks):
    appointment = _requested(world, bookable)
    prefix = f"decline-{appointment.id}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.acme_expert).post(
            _url(world, "decline", appointment_id=appointment.id), {f"{prefix}-message": "I am on holiday then."}
        )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "declined" and appointment.expert_message == "I am on holiday then."
    [declined] = _to_customer()
    assert "I am on holiday then." in declined.body


def test_proposing_another_time_reads_it_in_the_experts_zone_and_asks_the_customer(
    world, bookable, django_capture_on_commit_callbacks
):
    appointment = _requested(world, bookable)
    other = appointment.starts_at + timedelta(hours=2)
    prefix = f"propose-{appointment.id}"
    data = {f"{prefix}-starts_at": other.astimezone(ZURICH).strftime("%Y-%m-%dT%H:%M"), f"{prefix}-message": "Later suits me"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.acme_expert).post(_url(world, "propose", appointment_id=appointment.id), data)
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.proposed_starts_at) == ("proposed", other)
    assert len(_to_customer()) == 1
    week = client_for(world.acme_expert).get(response["Location"]).content.decode()
    assert "Waiting for the customer" in week


def test_a_proposed_time_that_does_not_exist_in_the_experts_zone_is_refused_clearly(world, bookable):
    appointment = _requested(world, bookable)
    prefix = f"propose-{appointment.id}"
    response = client_for(world.acme_expert).post(
        _url(world, "propose", appointment_id=appointment.id), {f"{prefix}-starts_at": "2026-03-29T02:30"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "2026-03-29 02:30 does not exist in Europe/Zurich" in html
    assert f'aria-describedby="id_{prefix}-starts_at_helptext id_{prefix}-starts_at_error"' in html
    appointment.refresh_from_db()
    assert appointment.status == "requested" and not mail.outbox


def test_a_proposed_time_outside_the_working_hours_is_refused(world, bookable):
    appointment = _requested(world, bookable)
    sunday = (appointment.starts_at - timedelta(days=1)).astimezone(ZURICH)
    prefix = f"propose-{appointment.id}"
    response = client_for(world.acme_expert).post(
        _url(world, "propose", appointment_id=appointment.id), {f"{prefix}-starts_at": sunday.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 409
    assert "This time is not free in your schedule." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "requested"


def test_cancelling_a_confirmed_appointment_with_a_message_sends_a_cancellation(
    world, bookable, django_capture_on_commit_callbacks
):
    kind, profile = bookable
    appointment, _token, _visitor = services.appointment_book(
        tenant=world.acme,
        appointment_type_id=kind.id,
        starts_at=next_monday_utc(9),
        expert_profile_id=profile.id,
        name="Carla Customer",
        email="carla@example.test",
    )
    mail.outbox.clear()
    page = client_for(world.acme_expert).get(_url(world, "appointment", appointment_id=appointment.id))
    assert page.status_code == 200 and "Cancel the appointment" in page.content.decode()
    prefix = f"cancel-{appointment.id}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.acme_expert).post(
            _url(world, "cancel", appointment_id=appointment.id), {f"{prefix}-message": "I am ill, sorry."}
        )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.expert_message == "I am ill, sorry."
    [cancellation] = _to_customer()
    assert "I am ill, sorry." in cancellation.body
    assert [a for a in cancellation.attachments if "method=CANCEL" in a[2]]


def test_an_expert_cannot_see_or_answer_a_colleagues_appointment(world: World, bookable):
    carl = _colleague(world)
    appointment = _appointment(world, next_monday_utc(8), expert=carl, status=Appointment.Status.REQUESTED)
    client = client_for(world.acme_expert)
    assert client.get(_url(world, "appointment", appointment_id=appointment.id)).status_code == 404
    for action in ("accept", "decline", "propose", "cancel"):
        assert client.post(_url(world, action, appointment_id=appointment.id)).status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "requested"


def test_another_tenant_cannot_reach_an_appointment(world: World):
    appointment = _appointment(world, next_monday_utc(8), status=Appointment.Status.REQUESTED)
    for user in (world.globex_admin, world.globex_expert):
        client = client_for(user)
        for slug in ("acme", "globex"):
            base = f"/t/{slug}/appointments/{appointment.id}/"
            assert client.get(base).status_code == 404
            for action in ("accept", "decline", "propose", "cancel"):
                assert client.post(f"{base}{action}/").status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "requested"


# --- availability ------------------------------------------------------------------------------------------------


def test_an_expert_saves_weekly_hours_with_several_ranges_and_midnight(world: World):
    client = client_for(world.acme_expert)
    page = client.get(_url(world, "availability"))
    assert page.status_code == 200 and "Europe/Zurich" in page.content.decode()
    data = {"h0-0-start": "09:00", "h0-0-end": "12:00", "h0-1-start": "13:00", "h0-1-end": "17:00"}
    data |= {"h4-0-start": "18:00", "h4-0-end": "00:00", "h6-0-start": "", "h6-0-end": ""}
    response = client.post(_url(world, "availability"), data)
    assert response.status_code == 302
    stored = sorted((h.weekday, h.start, h.end) for h in WeeklyHours.objects.filter(expert=world.acme_expert))
    assert stored == [(0, time(9), time(12)), (0, time(13), time(17)), (4, time(18), time(0))]
    # The form shows them again, with one empty row more per day.
    html = client.get(_url(world, "availability")).content.decode()
    assert 'name="h0-1-start" value="13:00"' in html and 'name="h0-2-start"' in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"h0-0-start": "09:00", "h0-0-end": "12:00", "h0-1-start": "11:00", "h0-1-end": "14:00"}, "This overlaps 09:00–12:00."),
        ({"h2-0-start": "17:00", "h2-0-end": "09:00"}, "The end must be after the start (00:00 as the end means midnight)."),
        ({"h3-0-start": "09:00", "h3-0-end": ""}, "Enter both times, or neither."),
        ({"h5-0-start": "9 o'clock", "h5-0-end": "12:00"}, "Enter a valid time."),
    ],
)
def test_overlapping_or_impossible_hours_are_refused_and_nothing_is_stored(world: World, data, message):
    WeeklyHours.objects.create(expert=world.acme_expert, weekday=1, start=time(8), end=time(16))
    response = client_for(world.acme_expert).post(_url(world, "availability"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'aria-invalid="true"' in html and 'role="alert"' in html
    assert list(WeeklyHours.objects.values_list("weekday", "start", "end")) == [(1, time(8), time(16))]


def test_extra_hours_are_added_on_a_local_date_refused_when_overlapping_and_removed(world: World):
    client = client_for(world.acme_expert)
    day = (timezone.now().astimezone(ZURICH) + timedelta(days=10)).date().isoformat()
    response = client.post(_url(world, "extra_hours_add"), {"extra-date": day, "extra-start": "09:00", "extra-end": "12:00"})
    assert response.status_code == 302
    overlap = client.post(_url(world, "extra_hours_add"), {"extra-date": day, "extra-start": "11:00", "extra-end": "13:00"})
    assert overlap.status_code == 400 and "These hours overlap 09:00–12:00 on that date." in overlap.content.decode()
    backwards = client.post(_url(world, "extra_hours_add"), {"extra-date": day, "extra-start": "15:00", "extra-end": "14:00"})
    assert backwards.status_code == 400
    past = client.post(_url(world, "extra_hours_add"), {"extra-date": "2020-01-06", "extra-start": "09:00", "extra-end": "10:00"})
    assert past.status_code == 400 and "Choose today or a later date." in past.content.decode()
    [extra] = ExtraHours.objects.filter(expert=world.acme_expert)
    assert (extra.start, extra.end) == (time(9), time(12))
    assert client.post(_url(world, "extra_hours_delete", extra_hours_id=extra.id)).status_code == 302
    assert not ExtraHours.objects.exists()


def test_absences_are_read_in_the_experts_zone_and_a_skipped_hour_is_refused(world: World):
    client = client_for(world.acme_expert)
    year = timezone.now().year + 1
    data = {"absence-starts_at": f"{year}-07-01T08:00", "absence-ends_at": f"{year}-07-15T18:00"}
    assert client.post(_url(world, "absence_add"), data).status_code == 302
    [absence] = Absence.objects.filter(expert=world.acme_expert)
    assert absence.starts_at == datetime(year, 7, 1, 6, 0, tzinfo=UTC)  # 08:00 summer time in Zurich
    assert absence.ends_at == datetime(year, 7, 15, 16, 0, tzinfo=UTC)
    skipped = client.post(
        _url(world, "absence_add"), {"absence-starts_at": "2031-03-30T02:15", "absence-ends_at": "2031-04-02T08:00"}
    )
    assert skipped.status_code == 400 and "2031-03-30 02:15 does not exist in Europe/Zurich" in skipped.content.decode()
    backwards = client.post(
        _url(world, "absence_add"), {"absence-starts_at": f"{year}-08-02T08:00", "absence-ends_at": f"{year}-08-01T08:00"}
    )
    assert backwards.status_code == 400 and "The end must be after the start." in backwards.content.decode()
    assert Absence.objects.count() == 1
    assert client.post(_url(world, "absence_delete", absence_id=absence.id)).status_code == 302
    assert not Absence.objects.exists()


def test_an_expert_cannot_remove_a_colleagues_absence_or_extra_hours(world: World):
    carl = _colleague(world)
    absence = Absence.objects.create(expert=carl, starts_at=next_monday_utc(8), ends_at=next_monday_utc(12))
    extra = ExtraHours.objects.create(expert=carl, date=next_monday_utc(8).date(), start=time(18), end=time(20))
    client = client_for(world.acme_expert)
    assert client.post(_url(world, "absence_delete", absence_id=absence.id)).status_code == 404
    assert client.post(_url(world, "extra_hours_delete", extra_hours_id=extra.id)).status_code == 404
    globex = client_for(world.globex_expert)
    assert globex.post(f"/t/globex/appointments/availability/absences/{absence.id}/delete/").status_code == 404
    assert Absence.objects.filter(id=absence.id).exists() and ExtraHours.objects.filter(id=extra.id).exists()


def test_an_expert_adjusts_a_type_or_stops_offering_it(world: World, bookable):
    kind, _profile = bookable
    client = client_for(world.acme_expert)
    prefix = f"type-{kind.id}"
    url = _url(world, "type_setting", type_id=kind.id)
    response = client.post(
        url, {f"{prefix}-offered": "on", f"{prefix}-duration_minutes": "45", f"{prefix}-buffer_after_minutes": "10"}
    )
    assert response.status_code == 302
    own = ExpertTypeSetting.objects.get(expert=world.acme_expert, appointment_type=kind)
    assert (own.enabled, own.duration_minutes, own.buffer_after_minutes, own.buffer_before_minutes) == (True, 45, 10, None)
    assert client.post(url, {f"{prefix}-duration_minutes": "3"}).status_code == 400
    assert client.post(url, {}).status_code == 302  # unticked: not offered
    own.refresh_from_db()
    assert own.enabled is False and own.duration_minutes is None
    assert client.post(url, {f"{prefix}-offered": "on"}).status_code == 302  # offered with the defaults: no row
    assert not ExpertTypeSetting.objects.exists()
    other = AppointmentType.objects.create(tenant=world.globex, name="Globex call")
    assert client.post(_url(world, "type_setting", type_id=other.id), {f"type-{other.id}-offered": "on"}).status_code == 404


# --- appointment types and booking settings -----------------------------------------------------------------------


def _type_data(**overrides) -> dict:
    data = {
        "name": "Phone call",
        "channel": "phone",
        "duration_minutes": "15",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "5",
        "min_notice_minutes": "60",
        "max_days_ahead": "30",
        "position": "1",
        "is_active": "on",
    }
    return data | overrides


def test_an_admin_adds_edits_and_deletes_an_appointment_type(world: World):
    client = client_for(world.acme_admin)
    assert client.get(_url(world, "types")).status_code == 200
    assert client.post(_url(world, "types"), _type_data()).status_code == 302
    kind = AppointmentType.objects.get(tenant=world.acme)
    assert (kind.name, kind.channel, kind.duration_minutes, kind.buffer_after_minutes) == ("Phone call", "phone", 15, 5)
    duplicate = client.post(_url(world, "types"), _type_data(name="phone  CALL"))
    assert duplicate.status_code == 400 and "There is already an appointment type called" in duplicate.content.decode()
    assert client.get(_url(world, "type_edit", type_id=kind.id)).status_code == 200
    edited = client.post(_url(world, "type_edit", type_id=kind.id), _type_data(duration_minutes="20", is_active=""))
    assert edited.status_code == 302
    kind.refresh_from_db()
    assert (kind.duration_minutes, kind.is_active) == (20, False)
    invalid = client.post(_url(world, "type_edit", type_id=kind.id), _type_data(duration_minutes="2"))
    assert invalid.status_code == 400
    assert client.post(_url(world, "type_delete", type_id=kind.id)).status_code == 302
    assert not AppointmentType.objects.exists()


def test_the_same_type_name_may_exist_in_another_tenant(world: World):
    AppointmentType.objects.create(tenant=world.globex, name="Phone call")
    assert client_for(world.acme_admin).post(_url(world, "types"), _type_data()).status_code == 302


def test_another_tenants_type_is_not_found_and_experts_cannot_manage_types(world: World):
    kind = AppointmentType.objects.create(tenant=world.acme, name="Video")
    globex = client_for(world.globex_admin)
    for slug in ("acme", "globex"):
        assert globex.get(f"/t/{slug}/appointments/types/{kind.id}/").status_code == 404
        assert globex.post(f"/t/{slug}/appointments/types/{kind.id}/", _type_data()).status_code == 404
        assert globex.post(f"/t/{slug}/appointments/types/{kind.id}/delete/").status_code == 404
    expert = client_for(world.acme_expert)
    assert expert.get(_url(world, "type_edit", type_id=kind.id)).status_code == 403
    assert expert.post(_url(world, "type_delete", type_id=kind.id)).status_code == 403
    assert AppointmentType.objects.filter(id=kind.id, name="Video").exists()


def _settings_data(**overrides) -> dict:
    data = {
        "booking-booking_needs_confirmation": "1",
        "booking-reminder_offsets": "60, 1440, 15",
        "booking-calendar_sync_minutes": "30",
        "booking-calendar_stale_hours": "12",
        "booking-calendar_write_back": "on",
    }
    return data | overrides


def test_an_admin_chooses_requests_reminders_and_calendar_sync(world: World):
    response = client_for(world.acme_admin).post(_url(world, "booking_settings"), _settings_data())
    assert response.status_code == 302
    world.acme.refresh_from_db()
    assert world.acme.booking_needs_confirmation is True
    assert world.acme.reminder_offsets == [1440, 60, 15]
    assert (world.acme.calendar_sync_minutes, world.acme.calendar_stale_hours, world.acme.calendar_write_back) == (30, 12, True)
    html = client_for(world.acme_admin).get(_url(world, "types")).content.decode()
    assert 'value="1440, 60, 15"' in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"booking-reminder_offsets": "1440, 2"}, "A reminder is from 5 to 43200 minutes before the appointment; 2 is not."),
        ({"booking-reminder_offsets": "10, 20, 30, 40, 50, 60"}, "At most 5 reminders."),
        ({"booking-reminder_offsets": "a day"}, "Write whole numbers of minutes separated by commas"),
        ({"booking-calendar_sync_minutes": "1"}, "Ensure this value is greater than or equal to 5."),
        ({"booking-calendar_stale_hours": "200"}, "Ensure this value is less than or equal to 168."),
    ],
)
def test_bad_booking_settings_are_refused_and_nothing_is_stored(world: World, overrides, message):
    response = client_for(world.acme_admin).post(_url(world, "booking_settings"), _settings_data(**overrides))
    assert response.status_code == 400 and message in response.content.decode()
    world.acme.refresh_from_db()
    assert (world.acme.booking_needs_confirmation, world.acme.reminder_offsets) == (False, [1440, 60])


def test_no_reminders_is_a_valid_choice(world: World):
    response = client_for(world.acme_admin).post(
        _url(world, "booking_settings"), _settings_data(**{"booking-reminder_offsets": ""})
    )
    assert response.status_code == 302
    world.acme.refresh_from_db()
    assert world.acme.reminder_offsets == []


# --- mail delivery -------------------------------------------------------------------------------------------------


def test_the_mail_delivery_page_shows_each_appointment_mail_with_its_state(world: World, bookable):
    appointment = _requested(world, bookable)  # its mails stay queued: the test does not run on-commit callbacks
    queued = OutboxMail.objects.filter(related_id=appointment.id)
    assert queued.count() == 2
    customer_mail = queued.get(template="scheduling/mail/requested.txt")
    OutboxMail.objects.filter(pk=customer_mail.pk).update(attempts=2)
    OutboxMail.objects.filter(template="scheduling/mail/expert_booked.txt").update(sent_at=timezone.now(), attempts=1)
    html = client_for(world.acme_admin).get(_url(world, "mails")).content.decode()
    assert "Request received, to the customer" in html and "Failed 2 times, retrying" in html
    assert "New booking or request, to the expert" in html and "Sent " in html
    assert "Carla Customer" in html and html.count(">Retry now<") == 1
    assert "keeps copies of sent mails" in html  # the test settings keep a development outbox
    assert "carla@example.test" not in html  # the list never opens an address


def test_retry_now_sends_an_unsent_mail_once(world: World, bookable, django_capture_on_commit_callbacks):
    appointment = _requested(world, bookable)
    failed = OutboxMail.objects.get(related_id=appointment.id, template="scheduling/mail/requested.txt")
    OutboxMail.objects.filter(pk=failed.pk).update(attempts=5, updated_at=timezone.now() - timedelta(minutes=5))
    client = client_for(world.acme_admin)
    assert "no more automatic retries" in client.get(_url(world, "mails")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(world, "mail_retry", mail_id=failed.id))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.sent_at is not None and failed.attempts == 6
    assert len(_to_customer()) == 1
    again = client.post(_url(world, "mail_retry", mail_id=failed.id), follow=True)
    assert "This mail was sent already." in again.content.decode()


def test_a_mail_just_queued_is_not_retried_twice_at_once(world: World, bookable):
    appointment = _requested(world, bookable)
    fresh = OutboxMail.objects.get(related_id=appointment.id, template="scheduling/mail/requested.txt")
    response = client_for(world.acme_admin).post(_url(world, "mail_retry", mail_id=fresh.id), follow=True)
    assert "This mail is being sent right now." in response.content.decode()


def test_another_tenant_cannot_see_or_retry_a_mail_and_experts_cannot_retry(world: World, bookable):
    appointment = _requested(world, bookable)
    queued = OutboxMail.objects.get(related_id=appointment.id, template="scheduling/mail/requested.txt")
    OutboxMail.objects.filter(pk=queued.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    globex = client_for(world.globex_admin)
    assert "Carla Customer" not in globex.get("/t/globex/appointments/mails/").content.decode()
    for slug in ("acme", "globex"):
        assert globex.post(f"/t/{slug}/appointments/mails/{queued.id}/retry/").status_code == 404
    assert client_for(world.acme_expert).post(_url(world, "mail_retry", mail_id=queued.id)).status_code == 403
    queued.refresh_from_db()
    assert queued.attempts == 0 and queued.sent_at is None


def test_the_portal_links_the_appointment_pages_for_each_role(world: World):
    expert = client_for(world.acme_expert).get(_url(world, "week")).content.decode()
    assert 'href="/t/acme/appointments/"' in expert and "/t/acme/appointments/availability/" in expert
    assert "/t/acme/appointments/types/" not in expert
    admin = client_for(world.acme_admin).get(_url(world, "week")).content.decode()
    assert "/t/acme/appointments/types/" in admin and "/t/acme/appointments/mails/" in admin


def test_every_page_script_is_an_external_module(world: World, bookable):
    html = client_for(world.acme_expert).get(_url(world, "availability")).content.decode()
    # JSON data blocks (type="application/json") are not run; CSP forbids inline scripts.
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html), "CSP forbids inline scripts"
    assert " style=" not in html
