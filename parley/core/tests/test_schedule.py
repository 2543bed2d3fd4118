import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from parley.core import schedule
from parley.core.models import JobRun


def test_a_job_runs_once_per_slot_and_again_in_the_next_slot(db):
    calls = []
    job = schedule.Job("probe", timedelta(minutes=5), lambda now: calls.append(now))
    now = datetime(2026, 11, 26, 10, 2, tzinfo=UTC)
    assert schedule.run_due(now=now, jobs=[job]) == ["probe"]
    assert schedule.run_due(now=now + timedelta(minutes=2), jobs=[job]) == []  # same 10:00-10:05 slot
    assert schedule.run_due(now=now + timedelta(minutes=4), jobs=[job]) == ["probe"]  # 10:05 slot
    assert len(calls) == 2


def test_a_failing_job_does_not_stop_the_others(db):
    def boom(now):
        raise RuntimeError("x")

    ran = schedule.run_due(
        jobs=[schedule.Job("boom", timedelta(minutes=1), boom), schedule.Job("ok", timedelta(minutes=1), lambda now: 1)]
    )
    assert ran == ["ok"]


@pytest.mark.django_db(transaction=True)
def test_with_several_workers_each_job_runs_once_per_slot():
    calls = []
    job = schedule.Job("shared", timedelta(minutes=5), lambda now: calls.append(threading.get_ident()))
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    barrier = threading.Barrier(6)

    def worker() -> None:
        try:
            barrier.wait()
            schedule.run_due(now=now, jobs=[job])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(calls) == 1
    assert JobRun.objects.filter(job="shared").count() == 1


def test_the_schedule_includes_reminders_calendar_sync_housekeeping_and_retention():
    assert {job.name for job in schedule.JOBS} == {"housekeeping", "reminders", "calendar-sync", "retention"}
