"""Data for the slot benchmark, and one in-process call of the slot selector (used by run.py).

Run with the venv's python, DJANGO_SETTINGS_MODULE=config.django.local and PARLEY_DATA_DIR pointing at a migrated,
throwaway data directory:

    setup_data.py create [--experts 20] [--busy 500] [--weeks 8] [--seed 4]
        A tenant "bench" with a topic "Team"; N experts in it (Europe/Zurich, Mon-Fri 08:00-18:00); an appointment
        type of 30 minutes with 10-minute buffers; per expert a CalDAV connection that synced just now (so it is
        not stale) with `busy` intervals of 15-120 minutes inside working hours over the next `weeks` weeks
        (fixed random seed). Prints, as its last line, JSON with the ids and the time range to ask for.

    setup_data.py probe --params JSON [--profile N]
        Calls parley.scheduling.selectors.slots_for directly for the topic over the whole range, one expert over
        the whole range and one expert over one week: slots returned, SQL queries per call (CaptureQueriesContext)
        and in-process time. With --profile, a cProfile of one topic call (top N functions, by cumulative and by
        own time) goes to stderr. Prints JSON as its last line.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from parley.accounts.services import user_create  # noqa: E402
from parley.experts.models import ExpertProfile, Topic  # noqa: E402
from parley.scheduling.models import AppointmentType, BusyInterval, CalendarConnection, WeeklyHours  # noqa: E402
from parley.scheduling.selectors import slots_for  # noqa: E402
from parley.tenants.models import Tenant  # noqa: E402
from parley.tenants.services import tenant_create  # noqa: E402

SLUG = "bench"
ZONE_NAME = "Europe/Zurich"
DAY_START, DAY_END = clock(8), clock(18)
PASSWORD = "bench-slots-password-1"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@transaction.atomic
def create(experts: int, busy: int, weeks: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    zone = ZoneInfo(ZONE_NAME)
    now = datetime.now(UTC)
    start = now.replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(weeks=weeks)
    # Working days (local dates, Mon-Fri) whose hours lie in [start, end): where the busy intervals go.
    first_day = start.astimezone(zone).date() + timedelta(days=1)
    days = [first_day + timedelta(days=n) for n in range(weeks * 7)]
    days = [d for d in days if d.weekday() < 5 and datetime.combine(d, DAY_END, tzinfo=zone) <= end]

    tenant = tenant_create(slug=SLUG, name="Bench")
    topic = Topic.objects.create(tenant=tenant, name="Team")
    kind = AppointmentType.objects.create(
        tenant=tenant, name="Video consultation", duration_minutes=30, buffer_before_minutes=10, buffer_after_minutes=10
    )
    profiles = []
    intervals = []
    for n in range(1, experts + 1):
        user = user_create(
            tenant=tenant, name=f"Expert {n:02d}", email=f"expert{n:02d}@bench.parley.test", password=PASSWORD, role="expert"
        )
        if user.timezone != ZONE_NAME:
            user.timezone = ZONE_NAME
            user.save(update_fields=["timezone"])
        profile = ExpertProfile.objects.get(user=user)  # user_create makes it for experts
        profile.topics.add(topic)
        profiles.append(profile)
        WeeklyHours.objects.bulk_create(
            WeeklyHours(expert=user, weekday=weekday, start=DAY_START, end=DAY_END) for weekday in range(5)
        )
        conn = CalendarConnection.objects.create(tenant=tenant, expert=user, provider="caldav", last_success_at=now)
        for _ in range(busy):
            day = rng.choice(days)
            minutes = rng.randint(15, 120)
            offset = rng.randint(0, (DAY_END.hour - DAY_START.hour) * 60 - minutes)
            begin = datetime.combine(day, DAY_START, tzinfo=zone) + timedelta(minutes=offset)
            intervals.append(
                BusyInterval(
                    connection=conn,
                    expert=user,
                    starts_at=begin.astimezone(UTC),
                    ends_at=(begin + timedelta(minutes=minutes)).astimezone(UTC),
                )
            )
    BusyInterval.objects.bulk_create(intervals, batch_size=2000)
    return {
        "slug": tenant.slug,
        "appointment_type_id": str(kind.id),
        "topic_id": str(topic.id),
        "expert_id": str(profiles[0].id),  # the API's expert_id is the expert's profile id
        "experts": experts,
        "busy_per_expert": busy,
        "busy_total": BusyInterval.objects.filter(expert__tenant=tenant).count(),
        "working_days": len(days),
        "start": iso(start),
        "end": iso(end),
        "end_week": iso(start + timedelta(weeks=1)),
    }


def probe(params: dict[str, str], profile_top: int, repeat: int) -> dict[str, object]:
    tenant = Tenant.objects.get(slug=params["slug"])
    kind = AppointmentType.objects.get(id=params["appointment_type_id"])
    start = datetime.fromisoformat(params["start"])
    cases = {
        "topic_8w": {"topic_id": uuid.UUID(params["topic_id"]), "end": datetime.fromisoformat(params["end"])},
        "expert_8w": {"expert_profile_id": uuid.UUID(params["expert_id"]), "end": datetime.fromisoformat(params["end"])},
        "expert_1w": {"expert_profile_id": uuid.UUID(params["expert_id"]), "end": datetime.fromisoformat(params["end_week"])},
    }
    result: dict[str, object] = {}
    for name, case in cases.items():
        kwargs = dict(tenant=tenant, appointment_type=kind, start=start, **case)
        slots_for(**kwargs)  # warm: imports, zoneinfo cache, the connection
        with CaptureQueriesContext(connection) as queries:
            per_expert = slots_for(**kwargs)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            slots_for(**kwargs)
            times.append((time.perf_counter() - t0) * 1000)
        result[name] = {
            "experts": len(per_expert),
            "slots": sum(len(e.slots) for e in per_expert),
            "first_free": len({s for e in per_expert for s in e.slots}),
            "queries": len(queries.captured_queries),
            "in_process_ms": round(statistics.median(times), 2),
        }
    if profile_top:
        kwargs = dict(tenant=tenant, appointment_type=kind, start=start, **cases["topic_8w"])
        profiler = cProfile.Profile()
        profiler.enable()
        slots_for(**kwargs)
        profiler.disable()
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(profile_top)
            print(f"--- cProfile of one slots_for call (topic, whole range), by {order} ---", file=sys.stderr)
            print(out.getvalue(), file=sys.stderr)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("create")
    make.add_argument("--experts", type=int, default=20)
    make.add_argument("--busy", type=int, default=500, help="busy intervals per expert")
    make.add_argument("--weeks", type=int, default=8)
    make.add_argument("--seed", type=int, default=4)
    check = sub.add_parser("probe")
    check.add_argument("--params", required=True, help="the JSON printed by `create`")
    check.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile one topic call, top N")
    check.add_argument("--repeat", type=int, default=3, help="timed in-process calls per case (median)")
    args = parser.parse_args()
    if args.command == "create":
        print(json.dumps(create(args.experts, args.busy, args.weeks, args.seed)))
    else:
        print(json.dumps(probe(json.loads(args.params), args.profile, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
