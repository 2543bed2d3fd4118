"""Scheduled jobs (housekeeping, appointment reminders, calendar sync) inside the worker, with no other service.

Time is cut into slots of each job's period; before running a job for a slot a worker inserts a JobRun row, and a
unique constraint lets exactly one of several workers (threads or processes, on SQLite or PostgreSQL) win it.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from parley.core.models import JobRun

logger = logging.getLogger("parley.schedule")

TICK_SECONDS = 20.0


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[datetime], object]


def _housekeeping(now: datetime) -> object:
    from parley.core.housekeeping import housekeeping_run

    return housekeeping_run()


def _reminders(now: datetime) -> object:
    from parley.scheduling.services import reminders_send

    return reminders_send(now=now)


def _calendar_sync(now: datetime) -> object:
    try:
        from parley.scheduling.calendars.services import sync_due
    except ImportError:  # calendar sync not installed yet
        return None
    return sync_due(now=now)


def _retention(now: datetime) -> object:
    from parley.privacy.retention import purge_run

    return purge_run(now=now)


JOBS = [
    Job("housekeeping", timedelta(hours=1), _housekeeping),
    Job("retention", timedelta(hours=1), _retention),  # P06, P25: purge whatever is past its time
    Job("reminders", timedelta(minutes=5), _reminders),
    Job("calendar-sync", timedelta(minutes=1), _calendar_sync),
]


def slot_of(now: datetime, every: timedelta) -> datetime:
    period = int(every.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // period * period, tz=UTC)


def claim(job: str, slot: datetime) -> bool:
    try:
        with transaction.atomic():
            JobRun.objects.create(job=job, slot=slot)
    except IntegrityError:
        return False
    return True


def run_due(*, now: datetime | None = None, jobs: list[Job] | None = None) -> list[str]:
    """Run each job whose current slot nobody has claimed yet; returns the names run here."""
    now = now or timezone.now()
    ran = []
    for job in jobs or JOBS:
        if not claim(job.name, slot_of(now, job.every)):
            continue
        try:
            job.run(now)
            ran.append(job.name)
        except Exception as exc:  # the next slot retries; one job's failure does not stop the others
            logger.error("job %s failed: %s", job.name, type(exc).__name__)
    return ran


def prune(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return JobRun.objects.filter(slot__lt=now - timedelta(days=2)).delete()[0]


def scheduler_loop(stop: threading.Event, tick: float = TICK_SECONDS) -> None:
    while not stop.wait(tick):
        try:
            run_due()
        except Exception as exc:
            logger.error("scheduler failed: %s", type(exc).__name__)
        finally:
            close_old_connections()
