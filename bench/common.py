"""What the benchmarks (bench/http, bench/chat, bench/slots) share: starting and stopping servers, free ports, the
throwaway data directory (migrate, demo), signing in, server CPU time, the HTTP load (wrk or the Python fallback),
the table and JSON output, and the run itself (signals, temporary directory, exit status). 127.0.0.1 only.

The scripts are run as files (`.venv/bin/python bench/http/run.py`), so this is not a package: each puts bench/ on
sys.path and imports `common`.
"""

from __future__ import annotations

import datetime as dt
import http.client
import http.cookies
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin/ (run as .venv/bin/python bench/.../run.py)
HOST = "127.0.0.1"
DEMO_PASSWORD = "bench-demo-password-1"
LOGIN_PATH = "/t/demo/login/"

_log_started: float | None = None


def log(message: str) -> None:
    stamp = "" if _log_started is None else f" {time.monotonic() - _log_started:5.1f}s"
    print(f"[bench{stamp}] {message}", file=sys.stderr, flush=True)


def log_elapsed_time() -> None:
    """From now on every log line carries the seconds since this call: `[bench  12.3s] ...`."""
    global _log_started
    _log_started = time.monotonic()


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
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the leader is gone; nothing else of the group survives it
            except ProcessLookupError:
                pass
            break


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def parley_server(name: str, env: dict[str, str], log_path: Path) -> Server:
    """`parley serve --workers 1` on a free port (not started yet)."""
    port = free_port()
    argv = [str(BIN / "parley"), "serve", "--workers", "1", "--host", HOST, "--port", str(port)]
    return Server(name, argv, env, log_path, port)


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


# ---------------------------------------------------------------------------------------------------------------
# Data


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without Parley's own settings, so the run is the same everywhere: SQLite in the
    throwaway data directory, in-memory channel layer, local settings; then `extra`."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "DJANGO_")) and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        PARLEY_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="config.django.local",
        PARLEY_DEMO_PASSWORD=DEMO_PASSWORD,
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def prepare_data(data_dir: Path, *, demo: bool = True, **extra: str) -> dict[str, str]:
    """`parley migrate` in a fresh data directory and, with `demo`, `parley demo` (the tenant "demo" and its
    experts, password DEMO_PASSWORD). Returns the environment (base_env) for everything that uses the directory."""
    env = base_env(data_dir, **extra)
    run_checked([str(BIN / "parley"), "migrate", "--no-input"], env)
    if demo:
        run_checked([str(BIN / "parley"), "demo"], env)
    return env


def login(port: int, email: str) -> str:
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
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": match.group(1).decode(), "email": email, "password": DEMO_PASSWORD})
    origin = f"http://{HOST}:{port}"
    status, headers, body = request(
        port,
        "POST",
        LOGIN_PATH,
        body=form.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Origin": origin,
            "Referer": origin + LOGIN_PATH,
        },
    )
    remember(headers)
    if status != 302 or "parley_session" not in cookies:
        raise RuntimeError(f"login of {email} failed: {status} {body[:300]!r}")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


# ---------------------------------------------------------------------------------------------------------------
# Server CPU time


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


# ---------------------------------------------------------------------------------------------------------------
# HTTP load (bench/http, bench/slots)


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

    def describe(self, rounds: int, targets: int) -> str:
        return (
            f"load: {self.tool}, {self.connections} connections, {self.threads} threads, {self.duration:g} s per "
            f"target, {rounds} interleaved rounds, {targets} targets"
        )

    def settings(self, rounds: int) -> dict[str, object]:
        """For the JSON report."""
        return {
            "tool": self.tool,
            "connections": self.connections,
            "threads": self.threads,
            "seconds_per_target": self.duration,
            "rounds": rounds,
        }

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
# Output


def fmt_ratio(ratio: float | None) -> str:
    return f"{ratio:.3f} (1/{1 / ratio:.1f})" if ratio else "-"


def print_table(columns: Sequence[tuple[str, str, str]], rows: Iterable[Mapping[str, object]]) -> None:
    """A table, columns two spaces apart. A column is (header, key of the value in each row, format spec of the
    value); the header takes the spec's alignment and width (`>9,.0f`: right-aligned in 9)."""

    def head(title: str, spec: str) -> str:
        align = re.match(r"[<>^]?\d*", spec)[0]  # always matches (perhaps nothing)
        return f"{title:{align}}"

    print("  ".join(head(title, spec) for title, _, spec in columns))
    for row in rows:
        print("  ".join(f"{row[key]:{spec}}" for _, key, spec in columns))


def machine() -> dict[str, object]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "platform": platform.platform(), "python": platform.python_version()}


def print_report(json_path: Path | None, **fields: object) -> None:
    """The figures as JSON (date and machine first, then `fields`) as the last line of stdout, and into
    `json_path` (--json) when given."""
    report = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine(), **fields}
    if json_path:
        json_path.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report), flush=True)


# ---------------------------------------------------------------------------------------------------------------
# The run


def exit_on_signals() -> None:
    """SIGTERM and SIGHUP end the run like Ctrl-C does, so `workspace` stops every server."""

    def _terminate(signum, frame):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)


@contextmanager
def workspace(prefix: str, keep: bool) -> Iterator[tuple[Path, list[Server]]]:
    """A temporary directory and the list of servers started for the run. On the way out, errors and Ctrl-C
    included, every server in the list is stopped (last first) and the directory deleted, unless `keep`."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    servers: list[Server] = []
    try:
        log(f"working directory {work}")
        yield work, servers
    finally:
        for server in reversed(servers):
            server.stop()
        if keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run_main(main: Callable[[], int], stopped: str = "servers stopped") -> NoReturn:
    """Exit with main()'s status: 130 on Ctrl-C or a signal, 1 on a RuntimeError (logged)."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log(f"interrupted; {stopped}")
        sys.exit(130)
    except RuntimeError as exc:
        log(f"error: {exc}")
        sys.exit(1)
