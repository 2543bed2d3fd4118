"""Free slots from local rules: pure functions, no database, no provider API.

Working hours are wall-clock times in the expert's IANA zone. Each calendar date is turned into UTC windows on its
own, so a daylight-saving change, a half-hour zone or a date line cannot shift a whole week. A wall-clock time that
does not exist (the hour skipped in spring) is read with the offset before the change, as zoneinfo does, so a
window starting at 02:30 on that day starts at 03:30; an ambiguous time (autumn) is its first occurrence. Slots are
stepped in real (UTC) time, so every slot lasts exactly its duration, also across a change.
"""

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]  # aware UTC, start < end


@dataclass(frozen=True)
class SlotRules:
    """What an expert offers: weekly hours (weekday 0 = Monday), one-off extra hours per local date, absences."""

    zone: ZoneInfo
    weekly: dict[int, list[tuple[time, time]]] = field(default_factory=dict)
    extra: dict[date, list[tuple[time, time]]] = field(default_factory=dict)
    absences: list[Interval] = field(default_factory=list)


@dataclass(frozen=True)
class SlotKind:
    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(0)
    max_ahead: timedelta = timedelta(days=56)
    step: timedelta | None = None  # default: the duration


@dataclass(frozen=True)
class Busy:
    """Time already taken: raw intervals (synced calendar events, absences) must not meet a new slot's buffers;
    padded intervals (booked appointments with their own buffers) must not meet the new slot itself."""

    raw: list[Interval] = field(default_factory=list)
    padded: list[Interval] = field(default_factory=list)


def local_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a date in a zone (time(0) as an end means the next midnight)."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def windows_for_date(rules: SlotRules, day: date) -> list[Interval]:
    result = []
    for start, end in [*rules.weekly.get(day.weekday(), []), *rules.extra.get(day, [])]:
        begin = local_instant(day, start, rules.zone)
        finish = (
            local_instant(day + timedelta(days=1), time(0), rules.zone) if end == time(0) else local_instant(day, end, rules.zone)
        )
        if finish > begin:
            result.append((begin, finish))
    return _merge(result)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class _Index:
    """Sorted, merged intervals answering 'does [a, b) meet any of them' in O(log n)."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        self.items = _merge(intervals)
        self.starts = [s for s, _e in self.items]

    def meets(self, start: datetime, end: datetime) -> bool:
        i = bisect.bisect_left(self.starts, end)  # intervals starting before `end`
        return i > 0 and self.items[i - 1][1] > start


def free_slots(rules: SlotRules, kind: SlotKind, busy: Busy, *, start: datetime, end: datetime, now: datetime) -> list[datetime]:
    """Start instants (UTC) of the free slots beginning in [start, end)."""
    earliest = max(start, now + kind.min_notice)
    latest = min(end, now + kind.max_ahead)
    if earliest >= latest:
        return []
    raw = _Index([*busy.raw, *rules.absences])
    padded = _Index(busy.padded)
    step = kind.step or kind.duration
    found: set[datetime] = set()
    for day in _dates(earliest, latest, rules.zone):
        for window_start, window_end in windows_for_date(rules, day):
            for slot in _steps(window_start, window_end, kind.duration, step):
                if not earliest <= slot < latest:
                    continue
                slot_end = slot + kind.duration
                if raw.meets(slot - kind.buffer_before, slot_end + kind.buffer_after) or padded.meets(slot, slot_end):
                    continue
                found.add(slot)
    return sorted(found)


def _dates(earliest: datetime, latest: datetime, zone: ZoneInfo) -> Iterator[date]:
    day = earliest.astimezone(zone).date() - timedelta(days=1)
    last = latest.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        yield day
        day += timedelta(days=1)


def _steps(window_start: datetime, window_end: datetime, duration: timedelta, step: timedelta) -> Iterator[datetime]:
    slot = window_start
    while slot + duration <= window_end:
        yield slot
        slot += step


def is_free(rules: SlotRules, kind: SlotKind, busy: Busy, *, slot: datetime, now: datetime) -> bool:
    """Whether `slot` is one of the free slots (booking re-checks this under a lock)."""
    return slot in free_slots(rules, kind, busy, start=slot, end=slot + timedelta(microseconds=1), now=now)
