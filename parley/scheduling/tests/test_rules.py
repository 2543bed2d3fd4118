"""The rules behind the availability and settings forms, checked on the services and selectors themselves, so a
caller that bypasses the forms gets the same answers."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from parley.core.exceptions import ApplicationError, NotFound, PermissionDenied
from parley.scheduling import selectors, services
from parley.scheduling.forms import local_to_utc
from parley.scheduling.models import Absence, AppointmentType, ExtraHours, WeeklyHours
from parley.scheduling.services import AppointmentTypeValues, hours_range_errors, reminder_offsets_clean

ZURICH = ZoneInfo("Europe/Zurich")


def _wall(text: str) -> datetime:
    """A wall-clock time without a zone, as a datetime-local input sends it."""
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("ranges", "errors"),
    [
        ([(time(9), time(12)), (time(12), time(17))], {}),  # touching is fine
        ([(time(0), time(0))], {}),  # the whole day
        ([(time(18), time(0))], {}),  # until midnight
        ([(time(9), time(12)), (time(11), time(14))], {1: "This overlaps 09:00–12:00."}),
        ([(time(13), time(17)), (time(8), time(18))], {0: "This overlaps 08:00–18:00."}),  # reported on the later start
        ([(time(12), time(9))], {0: "The end must be after the start (00:00 as the end means midnight)."}),
        ([(time(9), time(9))], {0: "The end must be after the start (00:00 as the end means midnight)."}),
        ([(time(20), time(0)), (time(22), time(23))], {1: "This overlaps 20:00–24:00."}),
    ],
)
def test_a_days_ranges_may_touch_but_not_overlap_or_run_backwards(ranges, errors):
    assert hours_range_errors(ranges) == errors


def test_weekly_hours_are_replaced_only_when_every_day_is_valid(world):
    expert = world.acme_expert
    services.weekly_hours_set(actor=expert, ranges=[(0, time(9), time(12)), (0, time(13), time(17)), (6, time(22), time(0))])
    assert WeeklyHours.objects.filter(expert=expert).count() == 3
    with pytest.raises(ApplicationError, match="Tuesday: This overlaps 09:00–12:00."):
        services.weekly_hours_set(actor=expert, ranges=[(0, time(8), time(9)), (1, time(9), time(12)), (1, time(10), time(11))])
    with pytest.raises(ApplicationError, match="Unknown weekday."):
        services.weekly_hours_set(actor=expert, ranges=[(7, time(8), time(9))])
    assert WeeklyHours.objects.filter(expert=expert).count() == 3  # untouched
    services.weekly_hours_set(actor=expert, ranges=[])
    assert not WeeklyHours.objects.filter(expert=expert).exists()


def test_weekly_hours_of_one_expert_leave_a_colleagues_alone(world):
    WeeklyHours.objects.create(expert=world.globex_expert, weekday=2, start=time(8), end=time(12))
    services.weekly_hours_set(actor=world.acme_expert, ranges=[(2, time(9), time(10))])
    assert WeeklyHours.objects.filter(expert=world.globex_expert).count() == 1


def test_a_local_time_skipped_by_the_clocks_is_refused_and_a_repeated_one_is_its_first_occurrence():
    assert local_to_utc(_wall("2026-03-29T03:30"), ZURICH) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert local_to_utc(_wall("2026-03-29T01:30"), ZURICH) == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    with pytest.raises(ValidationError) as refused:
        local_to_utc(_wall("2026-03-29T02:30"), ZURICH)
    assert refused.value.code == "nonexistent"
    # 25 October 2026, 02:30 happens twice in Zurich: first in summer time (UTC+2).
    assert local_to_utc(_wall("2026-10-25T02:30"), ZURICH) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # A half-hour zone without clock changes.
    assert local_to_utc(_wall("2026-03-29T02:30"), ZoneInfo("Asia/Kolkata")) == datetime(2026, 3, 28, 21, 0, tzinfo=UTC)


def test_reminders_are_five_at_most_within_range_and_sorted_earliest_first():
    assert reminder_offsets_clean([60, 1440, 60]) == [1440, 60]
    assert reminder_offsets_clean([]) == []
    assert reminder_offsets_clean([5, 43200]) == [43200, 5]
    for bad in ([4], [43201], [10, 20, 30, 40, 50, 60]):
        with pytest.raises(ApplicationError):
            reminder_offsets_clean(bad)


def test_booking_settings_are_for_the_tenants_admins_only(world):
    values = {
        "booking_needs_confirmation": True,
        "reminder_offsets": [60],
        "calendar_sync_minutes": 15,
        "calendar_stale_hours": 6,
        "calendar_write_back": False,
    }
    with pytest.raises(PermissionDenied):
        services.booking_settings_update(actor=world.acme_expert, tenant=world.acme, **values)
    with pytest.raises(NotFound):
        services.booking_settings_update(actor=world.globex_admin, tenant=world.acme, **values)
    for field, bad in (("calendar_sync_minutes", 4), ("calendar_stale_hours", 169)):
        with pytest.raises(ApplicationError):
            services.booking_settings_update(actor=world.acme_admin, tenant=world.acme, **{**values, field: bad})
    world.acme.refresh_from_db()
    assert world.acme.booking_needs_confirmation is False


def _values(**overrides: Any) -> AppointmentTypeValues:
    data: dict[str, Any] = {
        "name": "Video consultation",
        "channel": "video",
        "duration_minutes": 30,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 0,
        "min_notice_minutes": 120,
        "max_days_ahead": 56,
        "position": 0,
        "is_active": True,
    }
    return AppointmentTypeValues(**(data | overrides))


def test_appointment_types_are_validated_unique_per_tenant_and_admin_only(world):
    kind = services.appointment_type_create(actor=world.acme_admin, values=_values(name="  Video   consultation "))
    assert kind.name == "Video consultation" and kind.tenant_id == world.acme.id
    with pytest.raises(ApplicationError, match="already"):
        services.appointment_type_create(actor=world.acme_admin, values=_values(name="VIDEO consultation"))
    with pytest.raises(ApplicationError, match="Duration"):
        services.appointment_type_create(actor=world.acme_admin, values=_values(name="Short", duration_minutes=1))
    with pytest.raises(ApplicationError):
        services.appointment_type_create(actor=world.acme_admin, values=_values(name="Fax", channel="fax"))
    with pytest.raises(PermissionDenied):
        services.appointment_type_create(actor=world.acme_expert, values=_values(name="Mine"))
    with pytest.raises(NotFound):
        services.appointment_type_update(actor=world.globex_admin, appointment_type=kind, values=_values(name="Taken over"))
    with pytest.raises(NotFound):
        services.appointment_type_delete(actor=world.globex_admin, appointment_type=kind)
    assert list(AppointmentType.objects.values_list("name", flat=True)) == ["Video consultation"]


def test_extra_hours_and_absences_check_dates_and_ownership(world):
    expert = world.acme_expert
    now = datetime(2030, 5, 6, 10, 0, tzinfo=UTC)
    extra = services.extra_hours_add(actor=expert, day=date(2030, 5, 11), start=time(9), end=time(12), now=now)
    with pytest.raises(ApplicationError, match="overlap"):
        services.extra_hours_add(actor=expert, day=date(2030, 5, 11), start=time(11, 30), end=time(13), now=now)
    services.extra_hours_add(actor=expert, day=date(2030, 5, 11), start=time(12), end=time(0), now=now)  # touching, to midnight
    with pytest.raises(ApplicationError, match="later date"):
        services.extra_hours_add(actor=expert, day=date(2030, 5, 5), start=time(9), end=time(12), now=now)
    with pytest.raises(ApplicationError, match="within the next year"):
        services.extra_hours_add(actor=expert, day=date(2031, 6, 1), start=time(9), end=time(12), now=now)
    with pytest.raises(NotFound):
        services.extra_hours_delete(actor=world.globex_expert, extra_hours=extra)
    assert ExtraHours.objects.filter(expert=expert).count() == 2
    start = datetime(2030, 6, 1, 8, tzinfo=UTC)
    absence = services.absence_add(actor=expert, starts_at=start, ends_at=start + timedelta(days=3), now=now)
    with pytest.raises(ApplicationError, match="already over"):
        services.absence_add(actor=expert, starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1), now=now)
    with pytest.raises(ApplicationError, match="at most a year"):
        services.absence_add(actor=expert, starts_at=start, ends_at=start + timedelta(days=400), now=now)
    with pytest.raises(ApplicationError, match="time zone"):
        services.absence_add(actor=expert, starts_at=datetime(2030, 6, 1), ends_at=datetime(2030, 6, 2), now=now)  # noqa: DTZ001
    with pytest.raises(NotFound):
        services.absence_delete(actor=world.globex_expert, absence=absence)
    with pytest.raises(NotFound):
        selectors.access_absence(actor=world.globex_expert, absence_id=absence.id)
    assert Absence.objects.count() == 1


def test_access_appointment_lets_experts_reach_their_own_and_admins_their_tenants(world, bookable):
    from parley.scheduling.tests.test_views import _appointment, _colleague

    carl = _colleague(world)
    own = _appointment(world, datetime(2030, 5, 6, 8, tzinfo=UTC))
    theirs = _appointment(world, datetime(2030, 5, 6, 9, tzinfo=UTC), expert=carl)
    assert selectors.access_appointment(actor=world.acme_expert, appointment_id=own.id) == own
    assert selectors.access_appointment(actor=world.acme_admin, appointment_id=theirs.id) == theirs
    for actor, appointment_id in (
        (world.acme_expert, theirs.id),
        (world.globex_admin, own.id),
        (world.globex_expert, own.id),
        (world.acme_admin, uuid.uuid4()),
    ):
        with pytest.raises(NotFound, match="No such appointment."):
            selectors.access_appointment(actor=actor, appointment_id=appointment_id)


def test_the_week_has_seven_local_days_also_when_the_clocks_change(world):
    # 23-29 March 2026 in Zurich lasts 167 hours; 19-25 October 2026 lasts 169.
    for monday, hours in ((date(2026, 3, 23), 167), (date(2026, 10, 19), 169)):
        days = selectors.appointment_week(actor=world.acme_expert, monday=monday, zone=ZURICH)
        assert [d.day for d in days] == [monday + timedelta(days=n) for n in range(7)]
        start, end = selectors.local_midnight(monday, ZURICH), selectors.local_midnight(monday + timedelta(days=7), ZURICH)
        assert end - start == timedelta(hours=hours)
