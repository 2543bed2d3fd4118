"""Slots across daylight-saving changes and odd zones, as properties (hypothesis) and as worked examples."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from parley.scheduling.slots import Busy, SlotKind, SlotRules, free_slots

ZONES = ["Europe/Zurich", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "America/St_Johns"]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _weekdays(start: time, end: time) -> dict[int, list[tuple[time, time]]]:
    return {d: [(start, end)] for d in range(5)}


def test_a_zurich_working_day_gives_local_slots_in_winter_and_summer():
    rules = SlotRules(zone=ZoneInfo("Europe/Zurich"), weekly=_weekdays(time(9), time(12)))
    kind = SlotKind(duration=timedelta(minutes=30), max_ahead=timedelta(days=400))
    winter = free_slots(
        rules, kind, Busy(), start=datetime(2026, 3, 27, tzinfo=UTC), end=datetime(2026, 3, 28, tzinfo=UTC), now=NOW
    )
    summer = free_slots(
        rules, kind, Busy(), start=datetime(2026, 3, 30, tzinfo=UTC), end=datetime(2026, 3, 31, tzinfo=UTC), now=NOW
    )
    assert [s.strftime("%H:%M") for s in winter][:2] == ["08:00", "08:30"]  # 09:00 CET
    assert [s.strftime("%H:%M") for s in summer][:2] == ["07:00", "07:30"]  # 09:00 CEST
    assert len(winter) == len(summer) == 6


def test_on_the_night_of_the_spring_change_a_window_through_the_gap_is_an_hour_shorter():
    rules = SlotRules(zone=ZoneInfo("Europe/Zurich"), weekly={6: [(time(1), time(4))]})  # Sunday 29 March 2026
    kind = SlotKind(duration=timedelta(hours=1), max_ahead=timedelta(days=400))
    slots = free_slots(
        rules, kind, Busy(), start=datetime(2026, 3, 28, tzinfo=UTC), end=datetime(2026, 3, 30, tzinfo=UTC), now=NOW
    )
    assert [s.astimezone(ZoneInfo("Europe/Zurich")).strftime("%H:%M") for s in slots] == ["01:00", "03:00"]


def test_on_the_night_of_the_autumn_change_a_window_through_the_repeat_is_an_hour_longer():
    rules = SlotRules(zone=ZoneInfo("America/New_York"), weekly={6: [(time(0, 30), time(2, 30))]})  # 1 Nov 2026
    kind = SlotKind(duration=timedelta(hours=1), max_ahead=timedelta(days=400))
    slots = free_slots(
        rules, kind, Busy(), start=datetime(2026, 11, 1, tzinfo=UTC), end=datetime(2026, 11, 3, tzinfo=UTC), now=NOW
    )
    assert len(slots) == 3 and slots[2] - slots[0] == timedelta(hours=2)


def test_a_half_hour_zone_keeps_its_half_hours():
    rules = SlotRules(zone=ZoneInfo("Asia/Kolkata"), weekly=_weekdays(time(10), time(11)))
    kind = SlotKind(duration=timedelta(minutes=30))
    slots = free_slots(rules, kind, Busy(), start=datetime(2026, 1, 5, tzinfo=UTC), end=datetime(2026, 1, 6, tzinfo=UTC), now=NOW)
    assert [s.strftime("%H:%M") for s in slots] == ["04:30", "05:00"]


def test_buffers_notice_absences_and_bookings_take_slots_away():
    zone = ZoneInfo("Europe/Zurich")
    rules = SlotRules(
        zone=zone,
        weekly=_weekdays(time(9), time(12)),
        absences=[(datetime(2026, 1, 6, 8, tzinfo=UTC), datetime(2026, 1, 7, tzinfo=UTC))],  # Tuesday off
    )
    kind = SlotKind(duration=timedelta(minutes=30), buffer_before=timedelta(minutes=15), min_notice=timedelta(hours=2))
    busy = Busy(raw=[(datetime(2026, 1, 5, 9, 0, tzinfo=UTC), datetime(2026, 1, 5, 9, 10, tzinfo=UTC))])
    now = datetime(2026, 1, 5, 6, 10, tzinfo=UTC)
    slots = free_slots(rules, kind, busy, start=now, end=datetime(2026, 1, 7, tzinfo=UTC), now=now)
    local = [s.astimezone(zone).strftime("%a %H:%M") for s in slots]
    # Monday 09:00 local is 08:00 UTC: within the notice; 10:00 local has a busy 10:00-10:10; 10:30's buffer is clear.
    assert local == ["Mon 09:30", "Mon 10:30", "Mon 11:00", "Mon 11:30"]


@st.composite
def _scenarios(draw):
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    start_minutes = draw(st.integers(min_value=0, max_value=22 * 60)) // 15 * 15
    length = draw(st.integers(min_value=30, max_value=12 * 60)) // 15 * 15
    end_minutes = min(start_minutes + length, 24 * 60)
    start = time(start_minutes // 60, start_minutes % 60)
    end = time(0) if end_minutes == 24 * 60 else time(end_minutes // 60, end_minutes % 60)
    day = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)))
    duration = timedelta(minutes=draw(st.sampled_from([15, 20, 30, 45, 60, 90])))
    busy_start = datetime.combine(day, time(draw(st.integers(0, 23))), tzinfo=UTC)
    busy = Busy(raw=[(busy_start, busy_start + timedelta(minutes=draw(st.integers(5, 240))))])
    return zone, start, end, day, duration, busy


@settings(max_examples=300, deadline=None)
@given(_scenarios())
def test_every_slot_lies_in_local_working_hours_lasts_its_duration_and_avoids_busy_time(scenario):
    zone, start, end, day, duration, busy = scenario
    rules = SlotRules(zone=zone, weekly={d: [(start, end)] for d in range(7)})
    kind = SlotKind(duration=duration, buffer_after=timedelta(minutes=10), max_ahead=timedelta(days=800))
    begin = datetime.combine(day, time(0), tzinfo=UTC) - timedelta(days=1)
    slots = free_slots(rules, kind, busy, start=begin, end=begin + timedelta(days=3), now=NOW)
    assert slots == sorted(set(slots))
    for slot in slots:
        assert slot.tzinfo is not None and slot.utcoffset() == timedelta(0)
        local_start = slot.astimezone(zone)
        local_end = (slot + duration).astimezone(zone)
        # inside the local window of the slot's own date (end of window may be midnight of the next day)
        window_open = datetime.combine(local_start.date(), start, tzinfo=zone).astimezone(UTC)
        window_close_day = local_start.date() + timedelta(days=1) if end == time(0) else local_start.date()
        window_close = datetime.combine(window_close_day, end, tzinfo=zone).astimezone(UTC)
        assert window_open <= slot and slot + duration <= window_close, (local_start, local_end)
        for busy_start, busy_end in busy.raw:
            assert slot + duration + kind.buffer_after <= busy_start or slot >= busy_end


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ZONES), st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)))
def test_slots_of_a_day_are_the_same_wherever_the_query_window_is_cut(zone_name, day):
    rules = SlotRules(zone=ZoneInfo(zone_name), weekly={d: [(time(8), time(17))] for d in range(7)})
    kind = SlotKind(duration=timedelta(minutes=45), max_ahead=timedelta(days=800))
    begin = datetime.combine(day, time(0), tzinfo=UTC)
    whole = free_slots(rules, kind, Busy(), start=begin, end=begin + timedelta(days=2), now=NOW)
    cut = begin + timedelta(hours=31)
    halves = free_slots(rules, kind, Busy(), start=begin, end=cut, now=NOW) + free_slots(
        rules, kind, Busy(), start=cut, end=begin + timedelta(days=2), now=NOW
    )
    assert whole == halves
