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

Process handling, the wrk driver (and its Python fallback) and the server start come from bench/http/run.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load_http_bench():
    """bench/http/run.py as a module. Not via sys.path: its name, `run`, is this file's name too."""
    spec = importlib.util.spec_from_file_location("bench_http_run", HERE.parent / "http" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file is executed
    spec.loader.exec_module(module)
    return module


hb = _load_http_bench()
BIN, ROOT, log = hb.BIN, hb.ROOT, hb.log
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
    status, _, body = hb.request(port, "GET", path, timeout=60)
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
    before = hb.group_cpu_seconds(pgid)
    while time.monotonic() - began < timeout:
        time.sleep(0.2)
        now = hb.group_cpu_seconds(pgid)
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

    def _terminate(signum, frame):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)

    work = Path(tempfile.mkdtemp(prefix="parley-bench-slots-"))
    servers: list = []
    began = time.monotonic()

    def elapsed() -> str:
        return f"[{time.monotonic() - began:.0f} s]"

    try:
        log(f"working directory {work}")
        env = {**hb.base_env(work / "data"), "PARLEY_RATE_LIMITS": "0"}
        hb.run_checked([str(BIN / "parley"), "migrate", "--no-input"], env)
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

        server = hb.parley_server("parley", env, server_env, work)
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
            targets.append((key, hb.Target(name, server.port, path, pgid=server.pgid)))
        targets.append(("healthz", hb.Target(HEALTHZ, server.port, "/healthz", pgid=server.pgid)))

        wrk = None if args.python_load else hb.find_wrk()
        load = hb.Load(args.duration, args.connections, args.threads, work, wrk)
        if not wrk:
            log("NOTE: wrk is not available; using the Python load generator (client-bound, not comparable with wrk)")
        log(
            f"load: {load.tool}, {args.connections} connections, {args.threads} threads, {args.duration:g} s per "
            f"target, {args.rounds} interleaved rounds, {len(targets)} targets"
        )
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
        print(
            f"{'target':<{width}}  {'req/s':>8}  {'p50 ms':>8}  {'p99 ms':>8}  {'ratio to /healthz':>18}  "
            f"{'CPU ms/req':>10}  {'requests':>8}  errors"
        )
        for r in results:
            ratio = hb.fmt_ratio(r["ratio_to_healthz"]) if r["case"] != "healthz" else "1"
            print(
                f"{r['target']:<{width}}  {r['rps']:>8,.1f}  {r['p50_ms']:>8.1f}  {r['p99_ms']:>8.1f}  {ratio:>18}  "
                f"{r['server_cpu_ms_per_request']:>10.2f}  {r['requests']:>8}  {r['errors']}"
            )
        print()
        print("One call of parley.scheduling.selectors.slots_for in-process (outside the timed runs):")
        print(f"{'case':<{width}}  {'experts':>7}  {'slots':>6}  {'first_free':>10}  {'SQL queries':>11}  {'ms':>8}")
        for r in results:
            p = r["in_process"]
            if p:
                print(
                    f"{r['target']:<{width}}  {p['experts']:>7}  {p['slots']:>6}  {p['first_free']:>10}  "
                    f"{p['queries']:>11}  {p['in_process_ms']:>8.1f}"
                )
        print(f"load average (1 min) at the start / end: {load_start:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        if not wrk:
            print("NOTE: Python load generator (no wrk): client-bound figures, not comparable with wrk runs.")
        report = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": hb.machine(),
            "data": params,
            "load": {
                "tool": load.tool,
                "connections": args.connections,
                "threads": args.threads,
                "seconds_per_target": args.duration,
                "rounds": args.rounds,
            },
            "server_env": server_env,
            "load_average_start_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
            "results": results,
        }
        if args.json:
            args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report), flush=True)
        return 0
    finally:
        for server in reversed(servers):
            server.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        hb.log("interrupted; server stopped")
        sys.exit(130)
    except RuntimeError as exc:
        hb.log(f"error: {exc}")
        sys.exit(1)
