"""Slot benchmark (`make bench-slots`): the widget's slot endpoint next to /healthz of the same server, same run.

Creates a throwaway data directory, runs `parley migrate` and setup_data.py (a tenant "bench", a topic "Team" with
20 experts in Europe/Zurich, Mon-Fri 08:00-18:00, a 30-minute appointment type with 10-minute buffers, and per
expert a fresh CalDAV connection with 500 busy intervals over the next 8 weeks, fixed seed). It then calls the slot
selector once in-process (slots returned, SQL queries per call, in-process time; optionally a cProfile), starts
`parley serve --workers 1` with PARLEY_RATE_LIMITS=0 and load-tests, in interleaved rounds:
  - GET /api/v1/widget/bench/slots for the whole topic over 8 weeks,
  - the same for one expert over 8 weeks and over 1 week,
  - GET /healthz (middleware plus one SELECT 1), the trivial JSON endpoint of the same server.
After each load run it waits until the server is idle again: wrk stops sending, but the server still works
through the requests in flight, and a slow target would otherwise slow down the next one. It prints a table
(requests/s, p50/p99 latency, ratio of requests/s to /healthz, server CPU time per request; medians over the
rounds) and, as the last line of stdout, the same figures as JSON. Every process it starts is
stopped on exit, errors and Ctrl-C included. 127.0.0.1 only.

Process handling, the data directory, the wrk driver (and its Python fallback), the server start and the output
come from bench/common.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py
from common import (  # noqa: E402
    BIN,
    ROOT,
    Load,
    Target,
    exit_on_signals,
    find_wrk,
    fmt_ratio,
    group_cpu_seconds,
    log,
    parley_server,
    prepare_data,
    print_report,
    print_table,
    request,
    run_main,
    workspace,
)

HERE = Path(__file__).resolve().parent
HEALTHZ = "Parley /healthz"


def setup_data(env: dict[str, str], *args: str) -> tuple[dict, str]:
    """Run setup_data.py with the benchmark's environment; its last stdout line is JSON. Returns it and stderr."""
    argv = [str(BIN / "python"), str(HERE / "setup_data.py"), *args]
    result = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"setup_data.py {args[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def slots_path(params: dict, *, end: str, topic: bool) -> str:
    query = {"appointment_type_id": params["appointment_type_id"], "start": params["start"], "end": end}
    query.update({"topic_id": params["topic_id"]} if topic else {"expert_id": params["expert_id"]})
    return f"/api/v1/widget/{params['slug']}/slots?" + urllib.parse.urlencode(query)


def check_slots(port: int, path: str) -> dict[str, int]:
    """One request before the load: it must answer 200 with slots; returns what it answered."""
    status, _, body = request(port, "GET", path, timeout=60)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    data = json.loads(body)
    slots = sum(len(e["slots"]) for e in data["experts"])
    if not slots:
        raise RuntimeError(f"GET {path} answered no slot at all")
    return {"experts": len(data["experts"]), "slots": slots, "first_free": len(data["first_free"]), "bytes": len(body)}


def drain(pgid: int, timeout: float = 30.0) -> float:
    """Wait until the server is idle: once wrk stops, the server still works through the requests in flight (a
    slow target leaves up to --connections of them), which would otherwise be billed to the next target. Idle means
    under 10 ms of CPU in 200 ms. Returns the seconds waited."""
    began = time.monotonic()
    before = group_cpu_seconds(pgid)
    while time.monotonic() - began < timeout:
        time.sleep(0.2)
        now = group_cpu_seconds(pgid)
        if now - before < 0.010:
            break
        before = now
    return time.monotonic() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per target per round (default 4)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (or load processes)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of unmeasured load per target first")
    parser.add_argument("--experts", type=int, default=20)
    parser.add_argument("--busy", type=int, default=500, help="busy intervals per expert")
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile one in-process topic call (top N)")
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="KEY=VALUE", help="extra environment for `parley serve`"
    )
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even with wrk")
    parser.add_argument("--json", type=Path, help="also write the JSON figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
    args = parser.parse_args(argv)
    server_env = dict(item.partition("=")[::2] for item in args.server_env)

    exit_on_signals()
    began = time.monotonic()

    def elapsed() -> str:
        return f"[{time.monotonic() - began:.0f} s]"

    with workspace("parley-bench-slots-", args.keep) as (work, servers):
        env = prepare_data(work / "data", demo=False, PARLEY_RATE_LIMITS="0")
        params, _ = setup_data(
            env, "create", "--experts", str(args.experts), "--busy", str(args.busy), "--weeks", str(args.weeks),
            "--seed", str(args.seed),
        )  # fmt: skip
        log(
            f"{elapsed()} data: {params['experts']} experts, {params['busy_total']} busy intervals over {params['working_days']} "
            f"working days, {params['start']} to {params['end']}"
        )
        probe_args = ["probe", "--params", json.dumps(params)]
        if args.profile:
            probe_args += ["--profile", str(args.profile)]
        probe, profile = setup_data(env, *probe_args)
        if profile.strip():
            print(profile, file=sys.stderr, flush=True)
        log(f"{elapsed()} in-process probe done")

        server = parley_server("parley", {**env, **server_env}, work / "server-parley.log")
        servers.append(server)
        server.start()
        server.wait_ready()
        log(f"{elapsed()} server up on :{server.port}")

        cases = [
            ("topic_8w", f"slots: topic ({args.experts} experts), {args.weeks} weeks", True, params["end"]),
            ("expert_8w", f"slots: 1 expert, {args.weeks} weeks", False, params["end"]),
            ("expert_1w", "slots: 1 expert, 1 week", False, params["end_week"]),
        ]
        targets = []
        answered: dict[str, dict[str, int]] = {}
        for key, name, topic, end in cases:
            path = slots_path(params, end=end, topic=topic)
            answered[key] = check_slots(server.port, path)
            targets.append((key, Target(name, server.port, path, pgid=server.pgid)))
        targets.append(("healthz", Target(HEALTHZ, server.port, "/healthz", pgid=server.pgid)))

        wrk = None if args.python_load else find_wrk()
        load = Load(args.duration, args.connections, args.threads, work, wrk)
        if not wrk:
            log("NOTE: wrk is not available; using the Python load generator (client-bound, not comparable with wrk)")
        log(load.describe(args.rounds, len(targets)))
        load_start = os.getloadavg()[0]
        for _, target in targets:
            if args.warmup > 0:
                load.run(target, args.warmup)
                drain(server.pgid)
        samples: dict[str, list] = {key: [] for key, _ in targets}
        for rnd in range(args.rounds):
            order = targets[rnd % len(targets) :] + targets[: rnd % len(targets)]
            for key, target in order:
                sample = load.run(target)
                samples[key].append(sample)
                waited = drain(server.pgid)
                log(
                    f"{elapsed()} round {rnd + 1}: {target.name}: {sample.rps:,.1f} req/s, p50 {sample.p50_ms:.1f} ms, "
                    f"p99 {sample.p99_ms:.1f} ms, {sample.requests} requests, server CPU {sample.cpu_ms:.2f} ms/req, "
                    f"errors {sample.errors}, load average {os.getloadavg()[0]:.1f}, then idle after {waited:.1f} s"
                )

        results = []
        for key, target in targets:
            runs = samples[key]
            ratios = [s.rps / h.rps for s, h in zip(runs, samples["healthz"], strict=True) if h.rps > 0]
            results.append(
                {
                    "case": key,
                    "target": target.name,
                    "url_path": target.path,
                    "rps": round(statistics.median(s.rps for s in runs), 2),
                    "p50_ms": round(statistics.median(s.p50_ms for s in runs), 1),
                    "p99_ms": round(statistics.median(s.p99_ms for s in runs), 1),
                    "ratio_to_healthz": round(statistics.median(ratios), 5) if ratios else None,
                    "server_cpu_ms_per_request": round(statistics.median(s.cpu_ms for s in runs), 2),
                    "requests": sum(s.requests for s in runs),
                    "errors": sum(s.errors for s in runs),
                    "rounds_rps": [round(s.rps, 2) for s in runs],
                    "answer": answered.get(key),
                    "in_process": probe.get(key),
                }
            )

        print()
        print(
            f"Slot benchmark, {dt.datetime.now(dt.UTC).date().isoformat()}, {os.cpu_count()} CPUs, {args.experts} "
            f"experts x {args.busy} busy intervals over {args.weeks} weeks; {load.tool} -t{args.threads} "
            f"-c{args.connections}, {args.duration:g} s x {args.rounds} interleaved rounds (medians)"
        )
        width = max(len(r["target"]) for r in results)
        print_table(
            [("target", "target", f"<{width}"), ("req/s", "rps", ">8,.1f"), ("p50 ms", "p50_ms", ">8.1f"),
             ("p99 ms", "p99_ms", ">8.1f"), ("ratio to /healthz", "ratio", ">18"),
             ("CPU ms/req", "server_cpu_ms_per_request", ">10.2f"), ("requests", "requests", ">8"), ("errors", "errors", "")],
            [{**r, "ratio": fmt_ratio(r["ratio_to_healthz"]) if r["case"] != "healthz" else "1"} for r in results],
        )  # fmt: skip
        print()
        print("One call of parley.scheduling.selectors.slots_for in-process (outside the timed runs):")
        print_table(
            [("case", "target", f"<{width}"), ("experts", "experts", ">7"), ("slots", "slots", ">6"),
             ("first_free", "first_free", ">10"), ("SQL queries", "queries", ">11"), ("ms", "in_process_ms", ">8.1f")],
            [{"target": r["target"], **r["in_process"]} for r in results if r["in_process"]],
        )  # fmt: skip
        print(f"load average (1 min) at the start / end: {load_start:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        if not wrk:
            print("NOTE: Python load generator (no wrk): client-bound figures, not comparable with wrk runs.")
        print_report(
            args.json,
            data=params,
            load=load.settings(args.rounds),
            server_env=server_env,
            load_average_start_end=[round(load_start, 2), round(os.getloadavg()[0], 2)],
            results=results,
        )
        return 0


if __name__ == "__main__":
    run_main(main, stopped="server stopped")
