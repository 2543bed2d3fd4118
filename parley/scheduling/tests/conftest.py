from datetime import UTC, datetime, time, timedelta

import pytest

from parley.experts.models import ExpertProfile
from parley.scheduling.models import AppointmentType, WeeklyHours


def next_monday_utc(hour: int) -> datetime:
    today = datetime.now(UTC).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime(monday.year, monday.month, monday.day, hour, tzinfo=UTC)


@pytest.fixture
def bookable(world):
    """Eve works Monday to Friday 09:00-17:00 Zurich time; Acme offers a 30-minute video consultation."""
    expert = world.acme_expert
    expert.timezone = "Europe/Zurich"
    expert.save(update_fields=["timezone"])
    for weekday in range(5):
        WeeklyHours.objects.create(expert=expert, weekday=weekday, start=time(9), end=time(17))
    kind = AppointmentType.objects.create(
        tenant=world.acme, name="Video consultation", duration_minutes=30, min_notice_minutes=60
    )
    return kind, ExpertProfile.objects.get(user=expert)
