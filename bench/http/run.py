"""HTTP benchmark for `parley serve` against a bare Starlette baseline (`make bench-http`).

Sets up a throwaway data directory (migrate + demo), starts `parley serve --workers 1` and a bare Starlette app
(bare_app.py, one uvicorn worker) that answers the exact body of Parley's expert list API, then load-tests, in
interleaved rounds, Parley's /healthz, a signed-in portal page, the JSON API and the bare app. It prints a table
(requests/s, p50/p99 latency, ratio to bare Starlette, server CPU time per request; medians over the rounds) and,
as the last line of stdout, the same figures as JSON. Every process it starts is stopped on exit, errors and
Ctrl-C included. 127.0.0.1 only.

Load comes from wrk (installed with apt-get when missing and running as root). Without wrk a Python load
generator is used and the output says so: it is client-bound, so its figures are not comparable with wrk's.

Comparing server set-ups in one interleaved run (see README.md):
    run.py --variant 'threads4:PARLEY_HTTP_THREADS=4' --variant 'stock:APP=stock_asgi:application'
A variant is NAME[:KEY=VALUE[;KEY=VALUE...]]: environment variables for its own `parley serve` (for instance
DJANGO_SETTINGS_MODULE=settings_persistent_db;PYTHONPATH=bench/http), or with APP=module:attr an ASGI app from this
directory (or PYTHONPATH) under uvicorn with serve's options (UVICORN_ARGS adds some: "--loop asyncio --http h11").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shlex
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for common.py
from common import (  # noqa: E402
    BIN,
    HOST,
    ROOT,
    Load,
    Sample,
    Server,
    Target,
    exit_on_signals,
    find_wrk,
    fmt_ratio,
    free_port,
    log,
    login,
    parley_server,
    prepare_data,
    print_report,
    print_table,
    request,
    run_main,
    workspace,
)

HERE = Path(__file__).resolve().parent
EXPERT_EMAIL = "anna.keller@demo.parley.test"
API_PATH = "/api/v1/tenants/demo/experts/"
PORTAL_PATH = "/t/demo/expert/"
BARE = "bare Starlette JSON"


def check_portal(port: int, cookie: str) -> None:
    status, _, body = request(port, "GET", PORTAL_PATH, headers={"Cookie": cookie})
    if status != 200 or b'id="status-panel"' not in body:
        raise RuntimeError(f"GET {PORTAL_PATH} signed in answered {status}, not the expert's profile page")


def parse_variant(spec: str) -> tuple[str, dict[str, str]]:
    name, _, rest = spec.partition(":")
    if not name or not re.fullmatch(r"[\w.+-]+", name):
        raise argparse.ArgumentTypeError(f"bad variant name in {spec!r}")
    settings: dict[str, str] = {}
    for item in filter(None, (x.strip() for x in rest.split(";"))):
        key, sep, value = item.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"bad KEY=VALUE {item!r} in {spec!r}")
        settings[key.strip()] = value
    return name, settings


def uvicorn_argv(app: str, port: int, extra: list[str]) -> list[str]:
    """The same uvicorn options `parley serve` uses, for an app from this directory."""
    return [
        str(BIN / "python"), "-m", "uvicorn", app, "--app-dir", str(HERE), "--host", HOST, "--port", str(port),
        "--workers", "1", "--log-level", "warning", "--no-access-log", "--no-server-header", "--lifespan", "on",
        *extra,
    ]  # fmt: skip


def variant_server(name: str, env: dict[str, str], settings: dict[str, str], work: Path) -> Server:
    """`parley serve` with the variant's environment or, with APP=module:attr, that app under uvicorn."""
    settings = dict(settings)
    app = settings.pop("APP", "")
    extra = shlex.split(settings.pop("UVICORN_ARGS", ""))
    env = {**env, **settings}
    log_path = work / f"server-{name}.log"
    if not app:
        if extra:
            raise SystemExit(f"variant {name}: UVICORN_ARGS needs APP=...")
        return parley_server(name, env, log_path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    port = free_port()
    return Server(name, uvicorn_argv(app, port, extra), env, log_path, port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per target per round (default 6)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (or load processes)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of unmeasured load per target first")
    parser.add_argument("--variant", action="append", type=parse_variant, default=[], metavar="NAME[:K=V;...]")
    parser.add_argument(
        "--targets",
        default="healthz,portal,api",
        help="Parley targets per server, comma-separated from healthz,portal,api (default all)",
    )
    parser.add_argument("--no-default", action="store_true", help="only the --variant servers, not plain serve")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even with wrk")
    parser.add_argument("--json", type=Path, help="also write the JSON figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.targets.split(",") if k.strip()]
    if not set(kinds) <= {"healthz", "portal", "api"} or not kinds:
        parser.error("--targets takes healthz, portal and/or api")
    if args.no_default and not args.variant:
        parser.error("--no-default needs at least one --variant")

    exit_on_signals()
    with workspace("parley-bench-http-", args.keep) as (work, servers):
        env = prepare_data(work / "data")

        variants = ([] if args.no_default else [("parley", {})]) + list(args.variant)
        if len({name for name, _ in variants}) != len(variants):
            parser.error("variant names must be unique (and not 'parley' unless --no-default)")
        parleys = [variant_server(name, env, settings, work) for name, settings in variants]
        servers.extend(parleys)
        for server in parleys:
            server.start()
        for server in parleys:
            server.wait_ready()
        log("servers up: " + ", ".join(f"{s.name} :{s.port}" for s in parleys))

        first = parleys[0]
        status, _, api_body = request(first.port, "GET", API_PATH)
        if status != 200:
            raise RuntimeError(f"GET {API_PATH} answered {status}")
        body_file = work / "experts.json"
        body_file.write_bytes(api_body)
        cookie = login(first.port, EXPERT_EMAIL) if "portal" in kinds else ""  # checked with the targets

        port = free_port()
        bare_env = {**env, "BENCH_BARE_BODY_FILE": str(body_file)}
        bare = Server("bare", uvicorn_argv("bare_app:app", port, []), bare_env, work / "server-bare.log", port)
        servers.append(bare)
        bare.start()
        bare.wait_ready()
        status, _, bare_body = request(bare.port, "GET", API_PATH)
        if status != 200 or bare_body != api_body:
            raise RuntimeError("the bare app does not answer Parley's body")

        targets: list[Target] = []
        for server in parleys:
            prefix = "Parley" if server.name == "parley" else server.name
            for kind in kinds:
                if kind == "healthz":
                    targets.append(Target(f"{prefix} /healthz", server.port, "/healthz", pgid=server.pgid))
                elif kind == "portal":
                    check_portal(server.port, cookie)
                    targets.append(Target(f"{prefix} portal {PORTAL_PATH}", server.port, PORTAL_PATH, cookie, server.pgid))
                else:
                    targets.append(Target(f"{prefix} JSON {API_PATH}", server.port, API_PATH, pgid=server.pgid))
        targets.append(Target(BARE, bare.port, API_PATH, pgid=bare.pgid))

        wrk = None if args.python_load else find_wrk()
        load = Load(args.duration, args.connections, args.threads, work, wrk)
        if not wrk:
            log(
                "NOTE: wrk is not available; using the Python load generator. It is client-bound on a small "
                "machine: its figures are NOT comparable with wrk's (install wrk: apt-get install -y wrk)."
            )
        log(load.describe(args.rounds, len(targets)))

        load_start = os.getloadavg()[0]
        for target in targets:  # warm-up: imports, template caches, connection set-up
            if args.warmup > 0:
                load.run(target, args.warmup)

        samples: dict[str, list[Sample]] = {t.name: [] for t in targets}
        for rnd in range(args.rounds):
            order = targets[rnd % len(targets) :] + targets[: rnd % len(targets)]  # rotate: no target always first
            for target in order:
                sample = load.run(target)
                samples[target.name].append(sample)
                log(
                    f"round {rnd + 1}: {target.name}: {sample.rps:,.0f} req/s, p50 {sample.p50_ms:.2f} ms, "
                    f"p99 {sample.p99_ms:.2f} ms, server CPU {sample.cpu_ms:.3f} ms/req, errors {sample.errors}, "
                    f"load average {os.getloadavg()[0]:.1f}"
                )
        if "portal" in kinds:
            for server in parleys:
                check_portal(server.port, cookie)  # still signed in: every measured answer was the real page

        results = []
        for target in targets:
            runs = samples[target.name]
            ratios = [s.rps / b.rps for s, b in zip(runs, samples[BARE], strict=True) if b.rps > 0]
            results.append(
                {
                    "target": target.name,
                    "url_path": target.path,
                    "rps": round(statistics.median(s.rps for s in runs), 1),
                    "p50_ms": round(statistics.median(s.p50_ms for s in runs), 2),
                    "p99_ms": round(statistics.median(s.p99_ms for s in runs), 2),
                    "ratio_to_bare": round(statistics.median(ratios), 4) if ratios else None,
                    "server_cpu_ms_per_request": round(statistics.median(s.cpu_ms for s in runs), 3),
                    "errors": sum(s.errors for s in runs),
                    "rounds_rps": [round(s.rps, 1) for s in runs],
                }
            )

        print()
        print(
            f"HTTP benchmark, {dt.datetime.now(dt.UTC).date().isoformat()}, {os.cpu_count()} CPUs, {load.tool} -t{args.threads} "
            f"-c{args.connections}, {args.duration:g} s x {args.rounds} interleaved rounds (medians)"
        )
        width = max(len(r["target"]) for r in results)
        print_table(
            [("target", "target", f"<{width}"), ("req/s", "rps", ">9,.0f"), ("p50 ms", "p50_ms", ">8.2f"),
             ("p99 ms", "p99_ms", ">8.2f"), ("ratio to bare", "ratio", ">16"),
             ("CPU ms/req", "server_cpu_ms_per_request", ">10.3f"), ("errors", "errors", "")],
            [{**r, "ratio": fmt_ratio(r["ratio_to_bare"]) if r["target"] != BARE else "1"} for r in results],
        )  # fmt: skip
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        if not wrk:
            print("NOTE: Python load generator (no wrk): client-bound figures, not comparable with wrk runs.")
        print_report(
            args.json,
            load=load.settings(args.rounds),
            load_average_start_end=[round(load_start, 2), round(os.getloadavg()[0], 2)],
            variants={name: settings for name, settings in variants},
            results=results,
        )
        return 0


if __name__ == "__main__":
    run_main(main)
