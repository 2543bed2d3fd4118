"""A local coturn for the relay-only call tests: Debian's `turnserver`, started and stopped by the test.

`Coturn` runs `turnserver` as a child process on 127.0.0.1 with a free listening port (UDP and TCP), a small free
range of relay ports outside the kernel's ephemeral range, shared-secret (TURN REST) authentication with a random
secret, and no TLS, DTLS or CLI. It reads no configuration file (an empty one is passed, so a machine's
/etc/turnserver.conf cannot change the test) and writes only into a temporary directory. `start()` returns once the
server answers a STUN Binding request on UDP and accepts a TCP connection; `stop()` ends it (SIGTERM, then SIGKILL)
and is always reached through the fixtures' `finally`. On Linux the child also gets SIGKILL when the test process
dies, so not even a killed pytest leaves a coturn behind.

The test-only switches (`--listening-ip=127.0.0.1`, `--relay-ip=127.0.0.1`, `--allow-loopback-peers`) must never
reach production; the README's "Calls and TURN (coturn) in production" has the production configuration.

Fixtures: `coturn` (the running server) and `turn_settings` (PARLEY_ICE_SERVERS and PARLEY_TURN_SECRET point at
it for the test). `relay_only(tenant)` switches a tenant's calls to relay-only for the customer. Without
`turnserver` the tests are skipped with the reason, except under CI (CI=true), where they fail: `make browser`
installs coturn.
"""

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

HOST = "127.0.0.1"
REALM = "parley.test"
RELAY_PORTS = 16  # two browsers need one relay port each per allocation; ICE restarts allocate again
START_SECONDS = 10
STOP_SECONDS = 5
START_ATTEMPTS = 3  # a port found free can be taken before turnserver binds it: try again with other ports
STUN_MAGIC_COOKIE = 0x2112A442
MISSING = "coturn's `turnserver` is not installed (`make browser` installs it; or `apt-get install -y coturn`)"


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def turnserver_path() -> str:
    """The `turnserver` binary; skips the test without it, or fails it under CI (where it must be installed)."""
    path = shutil.which("turnserver") or ("/usr/bin/turnserver" if os.access("/usr/bin/turnserver", os.X_OK) else None)
    if path:
        return path
    if under_ci():
        pytest.fail(f"{MISSING}; under CI the relay-only call test must run.", pytrace=False)
    pytest.skip(MISSING)


def _port_free(port: int, *, tcp: bool) -> bool:
    kinds = [socket.SOCK_DGRAM, socket.SOCK_STREAM] if tcp else [socket.SOCK_DGRAM]
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                return False
    return True


def _free_listening_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (TURN listens on both)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((HOST, 0))
            port = probe.getsockname()[1]
        if _port_free(port, tcp=True):
            return port
    raise RuntimeError("no port is free for both UDP and TCP on 127.0.0.1")


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def _free_relay_range(count: int = RELAY_PORTS) -> tuple[int, int]:
    """`count` consecutive UDP ports, all free, below the ephemeral range (where the browsers' own sockets and
    every bind to port 0 land), so nothing else is handed one of them while the test runs."""
    low, high = _ephemeral_range()
    first, last = (10_000, low - count) if low - count > 10_000 else (high + 1, 65_535 - count)
    for _ in range(200):
        start = secrets.choice(range(first, last))
        if all(_port_free(port, tcp=False) for port in range(start, start + count)):
            return start, start + count - 1
    raise RuntimeError(f"no {count} consecutive free UDP ports on 127.0.0.1")


def _die_with_parent() -> None:  # pragma: no cover (runs in the child between fork and exec)
    """Linux: the child gets SIGKILL when the thread that started it ends (e.g. a killed pytest)."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def stun_binding_ok(port: int, *, timeout: float = 0.2) -> bool:
    """Sends a STUN Binding request (RFC 5389, no attributes) over UDP; True if a Binding success response with the
    same transaction id comes back."""
    transaction = secrets.token_bytes(12)
    request = struct.pack("!HHI", 0x0001, 0, STUN_MAGIC_COOKIE) + transaction
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(timeout)
        try:
            client.sendto(request, (HOST, port))
            answer, _ = client.recvfrom(2048)
        except OSError:  # timeout, or ICMP port unreachable while nothing listens yet
            return False
    return len(answer) >= 20 and answer[:2] == b"\x01\x01" and answer[8:20] == transaction


def _tcp_accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


class Coturn:
    """One `turnserver` child process on 127.0.0.1 (see the module's docstring)."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.secret = secrets.token_urlsafe(24)
        self.port = 0
        self.min_port = 0
        self.max_port = 0
        self.process: subprocess.Popen[str] | None = None
        self.lines: list[str] = []
        self._reader: threading.Thread | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """The TURN URL the browsers are given (TURN over UDP)."""
        return f"turn:{HOST}:{self.port}?transport=udp"

    def command(self, workdir: Path) -> list[str]:
        config = workdir / "turnserver.conf"
        config.write_text("# empty on purpose: everything is on the command line\n")
        return [
            self.executable,
            "-c",
            str(config),
            f"--listening-port={self.port}",
            f"--listening-ip={HOST}",
            f"--relay-ip={HOST}",
            f"--min-port={self.min_port}",
            f"--max-port={self.max_port}",
            "--use-auth-secret",
            f"--static-auth-secret={self.secret}",
            f"--realm={REALM}",
            "--fingerprint",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--no-multicast-peers",
            "--allow-loopback-peers",  # test only: the peers' relay addresses are 127.0.0.1 too
            "--log-file=stdout",
            "--simple-log",
            "--verbose",  # session lines (allocations, refused credentials) for the assertions and for failures
            f"--pidfile={workdir / 'turnserver.pid'}",
            f"--userdb={workdir / 'turndb'}",  # unused with a static secret, but never /var/lib/turn
        ]

    def start(self) -> None:
        last_error = ""
        for _ in range(START_ATTEMPTS):
            self._dir = tempfile.TemporaryDirectory(prefix="parley-coturn-")
            self.port = _free_listening_port()
            self.min_port, self.max_port = _free_relay_range()
            self.lines = []
            self.process = subprocess.Popen(
                self.command(Path(self._dir.name)),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                preexec_fn=_die_with_parent,
            )
            self._reader = threading.Thread(target=self._read, name="parley-test-coturn-log", daemon=True)
            self._reader.start()
            deadline = time.monotonic() + START_SECONDS
            while time.monotonic() < deadline and self.process.poll() is None:
                if stun_binding_ok(self.port) and _tcp_accepts(self.port):
                    return
                time.sleep(0.05)
            last_error = (
                f"turnserver exited with {self.process.returncode}"
                if self.process.poll() is not None
                else f"turnserver did not answer STUN on {HOST}:{self.port} within {START_SECONDS} s"
            )
            self.stop()
        raise RuntimeError(f"{last_error}; its log:\n{self.log()}")

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def log(self, last: int = 60) -> str:
        return "\n".join(self.lines[-last:])

    def log_matches(self, pattern: str) -> list[str]:
        expression = re.compile(pattern)
        return [line for line in list(self.lines) if expression.search(line)]

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        process, self.process = self.process, None
        try:
            if process is not None:
                if process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(STOP_SECONDS)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait(STOP_SECONDS)
                if process.stdout is not None:
                    if self._reader is not None:
                        self._reader.join(STOP_SECONDS)
                    process.stdout.close()
        finally:
            if self._dir is not None:
                self._dir.cleanup()
                self._dir = None
        assert process is None or process.returncode is not None, "turnserver did not stop"


@contextlib.contextmanager
def running_coturn() -> Iterator[Coturn]:
    server = Coturn(turnserver_path())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def coturn() -> Iterator[Coturn]:
    """A fresh coturn for the test, stopped after it whatever happens."""
    with running_coturn() as server:
        yield server


@pytest.fixture
def turn_settings(coturn: Coturn, settings) -> Coturn:
    """PARLEY_ICE_SERVERS and PARLEY_TURN_SECRET point at the test's coturn (the live server runs in this process, so
    the call socket hands these out in `joined`); only TURN, no STUN: relay candidates are all a browser can get."""
    settings.PARLEY_ICE_SERVERS = [coturn.url]
    settings.PARLEY_TURN_SECRET = coturn.secret
    settings.PARLEY_TURN_TTL = 600
    return coturn


def relay_only(tenant) -> None:
    """The tenant requires relayed connections for its customers (the admin's "calls: relay the customer's
    connection" switch)."""
    tenant.calls_enabled = True
    tenant.calls_relay_only = True
    tenant.save(update_fields=["calls_enabled", "calls_relay_only"])
