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
import http.client
import http.cookies
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BIN = Path(sys.executable).parent  # the venv's bin/ (run as .venv/bin/python bench/http/run.py)
HOST = "127.0.0.1"
DEMO_PASSWORD = "bench-demo-password-1"
EXPERT_EMAIL = "anna.keller@demo.parley.test"
API_PATH = "/api/v1/tenants/demo/experts/"
PORTAL_PATH = "/t/demo/expert/"
LOGIN_PATH = "/t/demo/login/"
BARE = "bare Starlette JSON"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Processes


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    port: int
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        log_file = self.log_path.open("wb")
        try:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
        finally:
            log_file.close()

    @property
    def pgid(self) -> int:
        return self.proc.pid if self.proc is not None else 0  # start_new_session: the leader's pid is the group id

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self, path: str = "/healthz", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _, _ = request(self.port, "GET", path, timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer {path} within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the whole process group: SIGTERM (uvicorn shuts down gracefully), SIGKILL after 10 s."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                continue
            # The leader is gone; make sure nothing else of the group survives it.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def request(
    port: int, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes | None = None, timeout=10
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def run_checked(argv: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def base_env(data_dir: Path) -> dict[str, str]:
    """The caller's environment without Parley's own settings, so the run is the same everywhere: SQLite in the
    throwaway data directory, in-memory channel layer, local settings."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "DJANGO_")) and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        PARLEY_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="config.django.local",
        PARLEY_DEMO_PASSWORD=DEMO_PASSWORD,
        PYTHONUNBUFFERED="1",
    )
    return env


def login(port: int) -> str:
    """Sign in through the real login form (CSRF token included); return the Cookie header for later requests."""
    status, headers, body = request(port, "GET", LOGIN_PATH)
    if status != 200:
        raise RuntimeError(f"GET {LOGIN_PATH} answered {status}")
    cookies: dict[str, str] = {}

    def remember(h: http.client.HTTPMessage) -> None:
        for raw in h.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                cookies[name] = morsel.value

    remember(headers)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not match or "csrftoken" not in cookies:
        raise RuntimeError("the login page has no CSRF token")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": match.group(1).decode(), "email": EXPERT_EMAIL, "password": DEMO_PASSWORD}
    ).encode()
    origin = f"http://{HOST}:{port}"
    status, headers, body = request(
        port,
        "POST",
        LOGIN_PATH,
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Origin": origin,
            "Referer": origin + LOGIN_PATH,
        },
    )
    remember(headers)
    if status != 302 or "parley_session" not in cookies:
        raise RuntimeError(f"login failed: {status} {body[:300]!r}")
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    check_portal(port, cookie)
    return cookie


def check_portal(port: int, cookie: str) -> None:
    status, _, body = request(port, "GET", PORTAL_PATH, headers={"Cookie": cookie})
    if status != 200 or b'id="status-panel"' not in body:
        raise RuntimeError(f"GET {PORTAL_PATH} signed in answered {status}, not the expert's profile page")


# ---------------------------------------------------------------------------------------------------------------
# Load generation


@dataclass
class Target:
    name: str
    port: int
    path: str
    cookie: str = ""
    pgid: int = 0  # the server's process group, for its CPU time


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    cpu_ms: float = 0.0  # server CPU time (user + system) per request: less sensitive to a busy machine than req/s


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every process in a process group, from /proc (0 where /proc is missing)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # fields after the command: state ppid pgrp ... utime(12) stime(13)
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


@dataclass
class Load:
    duration: float
    connections: int
    threads: int
    work_dir: Path
    wrk: str | None = None
    scripts: dict[str, Path] = field(default_factory=dict)

    @property
    def tool(self) -> str:
        return "wrk" if self.wrk else "python"

    def run(self, target: Target, duration: float | None = None) -> Sample:
        duration = duration or self.duration
        cpu_before = group_cpu_seconds(target.pgid) if target.pgid else 0.0
        if self.wrk:
            sample = self._wrk(target, duration)
        else:
            sample = python_load(target, duration, self.connections, self.threads)
        if target.pgid and sample.requests:
            sample.cpu_ms = (group_cpu_seconds(target.pgid) - cpu_before) * 1000 / sample.requests
        return sample

    def _script(self, target: Target) -> Path:
        key = target.cookie
        if key not in self.scripts:
            path = self.work_dir / f"wrk-{len(self.scripts)}.lua"
            cookie = f'wrk.headers["Cookie"] = {json.dumps(target.cookie)}\n' if target.cookie else ""
            path.write_text(cookie + WRK_DONE)
            self.scripts[key] = path
        return self.scripts[key]

    def _wrk(self, target: Target, duration: float) -> Sample:
        argv = [
            self.wrk,
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(self._script(target)),
            f"http://{HOST}:{target.port}{target.path}",
        ]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
        line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
        if result.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        data = json.loads(line.removeprefix("BENCH_JSON "))
        errors = sum(int(data[k]) for k in ("connect", "read", "write", "status", "timeout"))
        seconds = data["duration_us"] / 1e6
        return Sample(
            rps=data["requests"] / seconds,
            p50_ms=data["p50_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            requests=int(data["requests"]),
            errors=errors,
        )


# wrk calls done() once at the end; percentiles are in microseconds. errors.status counts answers >= 400.
WRK_DONE = """
done = function(summary, latency, requests)
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d, "p50_us": %.1f, "p90_us": %.1f, "p99_us": %.1f, "mean_us": %.1f, "max_us": %.1f}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max))
end
"""


def find_wrk() -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    log("wrk is missing; installing it with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, capture_output=True, timeout=300).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=300)
        subprocess.run(install, env=env, capture_output=True, timeout=300)
    return shutil.which("wrk")


def python_load(target: Target, duration: float, connections: int, processes: int) -> Sample:
    """Fallback when wrk is unavailable: keep-alive HTTP/1.1 clients on asyncio, spread over `processes` processes."""
    import multiprocessing

    per = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    jobs = [(target.port, target.path, target.cookie, duration, n) for n in per if n]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(len(jobs)) as pool:
        parts = pool.starmap(_python_load_process, jobs)
    latencies = sorted(x for part in parts for x in part[0])
    elapsed = max(part[2] for part in parts)
    errors = sum(part[1] for part in parts)
    if not latencies:
        return Sample(0.0, 0.0, 0.0, 0, errors)

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return Sample(len(latencies) / elapsed, pct(0.50), pct(0.99), len(latencies), errors)


def _python_load_process(port: int, path: str, cookie: str, duration: float, connections: int):
    import asyncio

    head = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
    if cookie:
        head += f"Cookie: {cookie}\r\n"
    raw = (head + "\r\n").encode("latin-1")
    latencies: list[float] = []
    errors = 0

    async def client(deadline: float) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                writer.write(raw)
                header = await reader.readuntil(b"\r\n\r\n")
                status = int(header.split(b" ", 2)[1])
                length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", header)
                if length is None:
                    errors += 1
                    return
                await reader.readexactly(int(length.group(1)))
                if status >= 400:
                    errors += 1
                latencies.append(time.perf_counter() - t0)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
        finally:
            writer.close()

    async def main() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(client(start + duration) for _ in range(connections)))
        return time.perf_counter() - start

    elapsed = asyncio.run(main())
    return latencies, errors, elapsed


# ---------------------------------------------------------------------------------------------------------------
# Orchestration


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


def parley_server(name: str, env: dict[str, str], settings: dict[str, str], work: Path) -> Server:
    port = free_port()
    settings = dict(settings)
    app = settings.pop("APP", "")
    extra = shlex.split(settings.pop("UVICORN_ARGS", ""))
    env = {**env, **settings}
    if app:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        argv = uvicorn_argv(app, port, extra)
    else:
        if extra:
            raise SystemExit(f"variant {name}: UVICORN_ARGS needs APP=...")
        argv = [str(BIN / "parley"), "serve", "--workers", "1", "--host", HOST, "--port", str(port)]
    return Server(name, argv, env, work / f"server-{name}.log", port)


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.3f} (1/{1 / ratio:.1f})" if ratio > 0 else "-"


def machine() -> dict[str, object]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


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

    # SIGTERM/SIGHUP end the run like Ctrl-C does, so the finally block below stops every server.
    def _terminate(signum, frame):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)

    work = Path(tempfile.mkdtemp(prefix="parley-bench-http-"))
    servers: list[Server] = []
    try:
        log(f"working directory {work}")
        env = base_env(work / "data")
        run_checked([str(BIN / "parley"), "migrate", "--no-input"], env)
        run_checked([str(BIN / "parley"), "demo"], env)

        variants = ([] if args.no_default else [("parley", {})]) + list(args.variant)
        if len({name for name, _ in variants}) != len(variants):
            parser.error("variant names must be unique (and not 'parley' unless --no-default)")
        parleys = [parley_server(name, env, settings, work) for name, settings in variants]
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
        cookie = login(first.port) if "portal" in kinds else ""

        bare = Server(
            "bare", uvicorn_argv("bare_app:app", free_port(), []), {**env, "BENCH_BARE_BODY_FILE": str(body_file)},
            work / "server-bare.log", 0,
        )  # fmt: skip
        bare.port = int(bare.argv[bare.argv.index("--port") + 1])
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
        log(
            f"load: {load.tool}, {args.connections} connections, {args.threads} threads, {args.duration:g} s per "
            f"target, {args.rounds} interleaved rounds, {len(targets)} targets"
        )

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
        print(
            f"{'target':<{width}}  {'req/s':>9}  {'p50 ms':>8}  {'p99 ms':>8}  {'ratio to bare':>16}  {'CPU ms/req':>10}  errors"
        )
        for r in results:
            ratio = fmt_ratio(r["ratio_to_bare"]) if r["target"] != BARE else "1"
            print(
                f"{r['target']:<{width}}  {r['rps']:>9,.0f}  {r['p50_ms']:>8.2f}  {r['p99_ms']:>8.2f}  "
                f"{ratio:>16}  {r['server_cpu_ms_per_request']:>10.3f}  {r['errors']}"
            )
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        if not wrk:
            print("NOTE: Python load generator (no wrk): client-bound figures, not comparable with wrk runs.")
        report = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "load": {
                "tool": load.tool,
                "connections": args.connections,
                "threads": args.threads,
                "seconds_per_target": args.duration,
                "rounds": args.rounds,
            },
            "load_average_start_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
            "variants": {name: settings for name, settings in variants},
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
        log("interrupted; servers stopped")
        sys.exit(130)
    except RuntimeError as exc:
        log(f"error: {exc}")
        sys.exit(1)
