"""Purge benchmark (`make bench-purge`): the retention engine next to a plain SQL DELETE of the same rows, same run.

Creates a throwaway data directory (and, with --postgres or --database-url, a throwaway PostgreSQL database),
runs `parley migrate`, then in separate child processes:
  1. seeds --count interactions whose last activity lies 13 months back, each with --messages messages, one
     visitor access token and its own data key, plus --young interactions of last week that must survive
     (bulk_create with one precomputed sealed value: the purge never decrypts, so seeding stays fast);
  2. runs the engine (`parley.privacy.retention.purge`, the code behind `parley purge`: batches of
     PARLEY_RETENTION_BATCH_SIZE, data keys destroyed, erasure ledger written, one transaction per batch);
  3. seeds the same again;
  4. deletes the same rows with plain SQL in one transaction (DELETE messages, tokens, interactions; UPDATE the
     data keys to destroyed) - the floor: no batching, no ledger, no hold check, nothing resumable.
Each timed phase runs in a fresh process, so its peak RSS (getrusage) is its own; a child that only starts Django
gives the baseline. After each delete the run checks that no expired row and every young row remains. It prints
a table (rows/s, interactions/s, seconds, peak RSS) and, as the last line of stdout, the figures as JSON.

    .venv/bin/python bench/purge.py                      # SQLite, 100 000 interactions
    .venv/bin/python bench/purge.py --count 2000         # a smoke run
    .venv/bin/python bench/purge.py --postgres           # PostgreSQL at postgres://postgres@127.0.0.1:5432
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py
from common import BIN, ROOT, log, log_elapsed_time, prepare_data, print_report, print_table, run_main, workspace  # noqa: E402

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
BATCH = 5_000


# --- the child: one phase in a fresh process ---------------------------------------------------------------------


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def phase_seed(count: int, messages: int, young: int) -> dict:
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from parley.crypto.fields import Sealed
    from parley.crypto.models import DataKey
    from parley.interactions.models import Interaction, Message, VisitorAccess
    from parley.privacy.retention import add_months
    from parley.tenants.models import Tenant

    tenant = Tenant.objects.filter(slug="bench").first()
    if tenant is None:
        from parley.tenants.services import tenant_create

        tenant = tenant_create(slug="bench", name="Bench")
    sealed = Sealed(b"\x01" + os.urandom(60))  # stands in for a ciphertext; never opened
    old = add_months(timezone.now(), -13)
    recent = timezone.now() - timedelta(days=7)
    started = time.perf_counter()
    made = 0
    for first in range(0, count + young, BATCH):
        size = min(BATCH, count + young - first)
        with transaction.atomic():
            interactions = [
                Interaction(
                    id=uuid.uuid4(),
                    tenant=tenant,
                    customer_name=sealed,
                    customer_email=sealed,
                    last_activity_at=old if first + n < count else recent,
                    last_seq=messages,
                )
                for n in range(size)
            ]
            Interaction.objects.bulk_create(interactions)
            Message.objects.bulk_create(
                [
                    Message(tenant=tenant, interaction=i, seq=s, sender="customer", body=sealed)
                    for i in interactions
                    for s in range(1, messages + 1)
                ]
            )
            VisitorAccess.objects.bulk_create(
                [VisitorAccess(tenant=tenant, interaction=i, token_hash=uuid.uuid4().hex * 2) for i in interactions]
            )
            DataKey.objects.bulk_create(
                [
                    DataKey(tenant_id=tenant.id, scope_type="interaction", scope_id=i.id, kek_version=1, wrapped=b"\x02" * 60)
                    for i in interactions
                ]
            )
        made += size
    return {"interactions": made, "seconds": time.perf_counter() - started}


def _counts() -> dict:
    from django.utils import timezone

    from parley.crypto.models import DataKey
    from parley.interactions.models import Interaction, Message, VisitorAccess
    from parley.privacy.retention import add_months

    cutoff = add_months(timezone.now(), -12)
    return {
        "expired": Interaction.objects.filter(last_activity_at__lt=cutoff).count(),
        "young": Interaction.objects.filter(last_activity_at__gte=cutoff).count(),
        "messages": Message.objects.count(),
        "accesses": VisitorAccess.objects.count(),
        "live_keys": DataKey.objects.filter(scope_type="interaction", destroyed_at__isnull=True).count(),
    }


def phase_engine() -> dict:
    from parley.privacy.registry import Retention
    from parley.privacy.retention import purge

    before = _counts()
    started = time.perf_counter()
    batches = 0
    slowest = 0.0
    mark = time.perf_counter()
    for _step in purge(only=Retention.SERVICE_12_MONTHS):
        now = time.perf_counter()
        slowest = max(slowest, now - mark)
        mark = now
        batches += 1
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "before": before, "after": _counts(), "batches": batches, "slowest_batch_s": slowest}


def phase_sql() -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from parley.crypto.models import DataKey
    from parley.interactions.models import Interaction, Message, VisitorAccess
    from parley.privacy.retention import add_months

    before = _counts()
    q = connection.ops.quote_name
    interactions, messages, accesses = (q(m._meta.db_table) for m in (Interaction, Message, VisitorAccess))
    keys = q(DataKey._meta.db_table)
    cutoff = add_months(timezone.now(), -12)
    expired = f"SELECT id FROM {interactions} WHERE last_activity_at < %s"
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {messages} WHERE interaction_id IN ({expired})", [cutoff])
        cursor.execute(f"DELETE FROM {accesses} WHERE interaction_id IN ({expired})", [cutoff])
        cursor.execute(
            f"UPDATE {keys} SET wrapped = %s, destroyed_at = %s WHERE scope_type = 'interaction' AND scope_id IN ({expired})",
            [b"", timezone.now(), cutoff],
        )
        cursor.execute(f"DELETE FROM {interactions} WHERE last_activity_at < %s", [cutoff])
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "before": before, "after": _counts()}


def child(phase: str, args: argparse.Namespace) -> None:
    _django()
    if phase == "baseline":
        from parley.interactions.models import Interaction

        Interaction.objects.exists()
        result: dict = {}
    elif phase == "seed":
        result = phase_seed(args.count, args.messages, args.young)
    elif phase == "engine":
        result = phase_engine()
    else:
        result = phase_sql()
    result["peak_rss_mib"] = _peak_rss_mib()
    print(json.dumps(result), flush=True)


# --- the parent -------------------------------------------------------------------------------------------------


def run_phase(phase: str, env: dict[str, str], args: argparse.Namespace, *, young: int | None = None) -> dict:
    argv = [str(BIN / "python"), __file__, "--phase", phase, "--count", str(args.count)]
    argv += ["--messages", str(args.messages), "--young", str(args.young if young is None else young)]
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"phase {phase} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _check(result: dict, args: argparse.Namespace, label: str) -> None:
    before, after = result["before"], result["after"]
    if before["expired"] != args.count:
        raise RuntimeError(f"{label}: seeded {before['expired']} expired interactions, expected {args.count}")
    if after["expired"] or after["young"] != args.young or after["messages"] != args.young * args.messages:
        raise RuntimeError(f"{label}: wrong rows left: {after}")
    if after["live_keys"] != args.young or after["accesses"] != args.young:
        raise RuntimeError(f"{label}: wrong keys or tokens left: {after}")


def _database(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """(DATABASE_URL for the run, name of a throwaway PostgreSQL database to drop afterwards)."""
    url = args.database_url or (DEFAULT_POSTGRES if args.postgres else None)
    if url is None:
        return None, None
    import psycopg

    name = f"parley_bench_purge_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}", name


def _drop(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="expired interactions (default 100 000)")
    parser.add_argument("--messages", type=int, default=3, help="messages per interaction (default 3)")
    parser.add_argument("--young", type=int, default=1_000, help="recent interactions that must survive")
    parser.add_argument("--postgres", action="store_true", help=f"PostgreSQL at {DEFAULT_POSTGRES.rsplit('/', 1)[0]}")
    parser.add_argument("--database-url", help="a PostgreSQL server URL; a throwaway database is created on it")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        child(args.phase, args)
        return 0
    if args.count < 1 or args.messages < 0 or args.young < 0:
        parser.error("--count must be at least 1, --messages and --young at least 0")
    log_elapsed_time()
    database_url, throwaway = _database(args)
    try:
        with workspace("parley-bench-purge-", args.keep) as (work, _servers):
            extra = {"DATABASE_URL": database_url} if database_url else {}
            env = prepare_data(work / "data", demo=False, **extra)
            engine_name = "postgresql" if database_url else "sqlite"
            rows_per_interaction = 1 + args.messages + 1 + 1  # interaction, messages, token, data key
            rows = args.count * rows_per_interaction
            baseline = run_phase("baseline", env, args)
            log(f"{engine_name}: seeding {args.count} expired interactions ({rows} rows) and {args.young} young ones")
            seeded = run_phase("seed", env, args)
            log(f"seeded in {seeded['seconds']:.1f} s; purging with the engine")
            engine = run_phase("engine", env, args)
            _check(engine, args, "engine")
            log(f"engine: {engine['seconds']:.1f} s in {engine['batches']} batches; seeding again")
            run_phase("seed", env, args, young=0)  # the young ones are still there
            log("plain SQL DELETE")
            sql = run_phase("sql", env, args)
            _check(sql, args, "sql")
    finally:
        if throwaway:
            _drop(args.database_url or DEFAULT_POSTGRES, throwaway)
    table = []
    for name, result in (("engine (parley purge)", engine), ("plain SQL DELETE", sql)):
        table.append(
            {
                "method": name,
                "seconds": result["seconds"],
                "rows_s": rows / result["seconds"],
                "interactions_s": args.count / result["seconds"],
                "rss": result["peak_rss_mib"],
            }
        )
    print(f"{engine_name}: {args.count} expired interactions, {rows} rows; baseline RSS {baseline['peak_rss_mib']:.0f} MiB")
    print_table(
        [
            ("method", "method", "<22"),
            ("seconds", "seconds", ">8.2f"),
            ("rows/s", "rows_s", ">10,.0f"),
            ("interactions/s", "interactions_s", ">14,.0f"),
            ("peak RSS MiB", "rss", ">12.0f"),
        ],
        table,
    )
    print(
        f"engine: {engine['batches']} batches, slowest {engine['slowest_batch_s']:.2f} s; ratio sql/engine "
        f"{engine['seconds'] / sql['seconds']:.1f}x"
    )
    print_report(
        args.json,
        benchmark="purge",
        database=engine_name,
        interactions=args.count,
        messages_per_interaction=args.messages,
        rows=rows,
        baseline_rss_mib=round(baseline["peak_rss_mib"], 1),
        engine={k: round(v, 3) if isinstance(v, float) else v for k, v in engine.items() if k not in ("before", "after")}
        | {"rows_per_s": round(rows / engine["seconds"])},
        sql={
            "seconds": round(sql["seconds"], 3),
            "peak_rss_mib": round(sql["peak_rss_mib"], 1),
            "rows_per_s": round(rows / sql["seconds"]),
        },
    )
    return 0


if __name__ == "__main__":
    run_main(main, stopped="throwaway data removed")
