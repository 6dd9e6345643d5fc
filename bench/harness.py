"""What every HTTP benchmark needs: the machine it ran on, a scratch Peluit, gunicorn on 127.0.0.1, a load.

- ``machine()``: cores, CPU model, load average (benchmarks record it before and after their run).
- ``scratch_site()``: a Peluit of its own under a temporary folder (SQLite, or a PostgreSQL database made and
  dropped here), migrated with the benchmark settings (``bench.settings``: Peluit plus the plaintext
  baseline), with a supervisor (the escrow holder) and officers, so a report is sealed to four officers and the
  escrow key as in the README's vault figures.
- ``serve()``: gunicorn on a free loopback port with the site's environment, as the README runs it.
- ``run_load()``: ``concurrency`` clients, each sending requests back to back, bounded by time and count;
  returns throughput, latency percentiles, errors and the CPU the server processes used.

Nothing here is imported by Peluit or its tests.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
STAFF_PASSWORD = "bench passphrase 12345"  # noqa: S105 - throw-away accounts in a scratch database
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- The machine ----------------------------------------------------------------------------------------
def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo (or the platform's guess)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> list[float]:
    """Return the 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """Return what a figure must be read against: cores, CPU model, Python, load average now."""
    return {
        "cores": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "load_average": load_average(),
    }


def commit() -> str:
    """Return the git commit the benchmark ran on (with ``+dirty`` for uncommitted changes)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    except OSError:
        return "unknown"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


class CpuMeter:
    """Share of the machine's CPU time spent busy between ``start()`` and ``stop()`` (from /proc/stat)."""

    def __init__(self) -> None:
        self._start = self._read()

    @staticmethod
    def _read() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields[:8]) - idle, sum(fields[:8])

    def busy(self) -> float:
        """Return the busy fraction of all cores since the meter was made."""
        busy, total = self._read()
        return (busy - self._start[0]) / max(1, total - self._start[1])


def process_cpu_seconds(pids: list[int]) -> float:
    """Return the CPU time (user + system) the processes ``pids`` have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


# --- A scratch Peluit -------------------------------------------------------------------------------------
@dataclass
class Site:
    """A Peluit of its own: its environment and folder (deleted by ``scratch_site`` at the end)."""

    env: dict[str, str]
    folder: Path
    vendor: str

    def manage(self, *args: str, extra_env: dict[str, str] | None = None, timeout: float = 600) -> str:
        """Run ``manage.py`` with the site's environment; return its output (raise on failure)."""
        result = subprocess.run(
            [PYTHON, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed: {result.stderr[-2000:]}")
        return result.stdout


def _pg_admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(statement)


@contextmanager
def scratch_site(
    *, database_url: str | None = None, kdf_profile: str = "production", officers: int = 3, **env: str
) -> Iterator[Site]:
    """Yield a migrated Peluit with a supervisor (escrow holder) and ``officers`` officers; delete it afterwards.

    ``database_url`` names an empty PostgreSQL database to (re)create; otherwise SQLite in the folder.
    """
    folder = Path(os.environ.get("PELUIT_BENCH_TMP", "/tmp")) / f"peluit-bench-{secrets.token_hex(4)}"
    folder.mkdir(mode=0o700, parents=True)  # private: the throttle store refuses a folder others can read
    vendor = "postgresql" if database_url else "sqlite"
    if database_url:
        name = database_url.rsplit("/", 1)[1]
        _pg_admin(database_url, f'DROP DATABASE IF EXISTS "{name}"')
        _pg_admin(database_url, f'CREATE DATABASE "{name}"')
    site = Site(
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url or f"sqlite:///{folder / 'var' / 'peluit.sqlite3'}",
            "PELUIT_VAR_DIR": str(folder / "var"),
            "PELUIT_MEDIA_ROOT": str(folder / "media"),
            "PELUIT_KDF_PROFILE": kdf_profile,
            "PELUIT_PEPPER": "bench-pepper-" + secrets.token_hex(8),
            "PELUIT_SECRET_KEY": "bench-secret-" + secrets.token_hex(24),
            "PELUIT_CHECKPOINT_KEY": "bench-checkpoint-" + secrets.token_hex(8),
            "PELUIT_INSECURE_HTTP": "1",
            # The benchmark is the only client, from one address: no throttle may refuse it.
            "PELUIT_THROTTLE_PER_ADDRESS": "100000000",
            "PELUIT_THROTTLE_GLOBAL_POSTS": "100000000",
            "PELUIT_THROTTLE_RECEIPT_PER_ADDRESS": "100000000",
            "PELUIT_THROTTLE_RECEIPT_GLOBAL": "100000000",
            "PYTHONDONTWRITEBYTECODE": "1",
            **env,
        },
        folder=folder,
        vendor=vendor,
    )
    # The shared throttle store (when this Peluit has one) lives with the site, not in /dev/shm.
    site.env.setdefault("PELUIT_THROTTLE_URL", f"sqlite:///{folder / 'throttle.sqlite3'}")
    try:
        site.manage("migrate", "--run-syncdb", "--no-input", "-v", "0")
        password = {"PELUIT_PASSWORD": STAFF_PASSWORD}
        site.manage("add_staff", "kepala", "--role", "supervisor", extra_env=password)
        for i in range(1, officers + 1):
            site.manage("add_staff", f"petugas{i}", "--role", "officer", extra_env=password)
        yield site
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if database_url:
            from contextlib import suppress

            with suppress(Exception):
                _pg_admin(database_url, f'DROP DATABASE IF EXISTS "{database_url.rsplit("/", 1)[1]}" WITH (FORCE)')


# --- gunicorn ---------------------------------------------------------------------------------------------
@dataclass
class Server:
    """A gunicorn serving a site: its port and master process."""

    port: int
    process: subprocess.Popen[bytes]
    workers: int
    threads: int

    def pids(self) -> list[int]:
        """Return the master's pid and its workers' pids."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [self.process.pid, *(int(p) for p in children.read_text().split())]
        except OSError:
            return [self.process.pid]


def wait_until_answering(port: int, process: subprocess.Popen[bytes], *, timeout: float = 120) -> None:
    """Wait until ``GET /healthz`` answers 200 (fail if the server exits first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            status, _headers, _body = request("127.0.0.1", port, "GET", "/healthz", timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn on port {port} does not answer after {timeout} s")


def gunicorn_shape() -> tuple[int, int]:
    """Return the gunicorn workers and threads per worker ``bin/run`` uses on this machine (config/gunicorn.py)."""
    from config import gunicorn

    return gunicorn.workers, gunicorn.threads


@contextmanager
def serve(site: Site, *, workers: int | None = None, threads: int | None = None) -> Iterator[Server]:
    """Serve the site with gunicorn on a free loopback port (the socket is made here and handed over).

    ``workers`` and ``threads`` default to ``bin/run``'s (``gunicorn_shape``).
    """
    default_workers, default_threads = gunicorn_shape()
    workers = workers or default_workers
    threads = threads or default_threads
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    os.set_inheritable(listener.fileno(), True)
    command = [PYTHON, "-m", "gunicorn", "config.wsgi"]
    config = ROOT / "config" / "gunicorn.py"
    if config.exists():  # the project's bounds and address-free logging, as bin/run uses them
        command += ["-c", str(config)]
    command += ["--bind", f"fd://{listener.fileno()}", "--workers", str(workers), "--threads", str(threads)]
    command += ["--timeout", "120"]  # the worker class is config/gunicorn.py's (gthread), as bin/run uses it
    log = (site.folder / f"gunicorn-{port}.log").open("wb")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**site.env, "PELUIT_WORKERS": str(workers), "PELUIT_THREADS": str(threads)},
        pass_fds=[listener.fileno()],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    listener.close()
    log.close()
    server = Server(port=port, process=process, workers=workers, threads=threads)
    try:
        wait_until_answering(port, process)
        # Every worker imports the application on start; wait until all are up before measuring.
        deadline = time.monotonic() + 60
        while len(server.pids()) < workers + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


# --- HTTP ---------------------------------------------------------------------------------------------------
def request(
    host: str,
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 120,
) -> tuple[int, dict[str, str], bytes]:
    """Send one request on a new connection; return status, headers (lower-case names) and body."""
    connection = KeptConnection(host, port, timeout=timeout)
    try:
        return connection.request(method, path, body=body, headers=headers)
    finally:
        connection.close()


class KeptConnection:
    """One client's HTTP/1.1 connection, kept open between requests as a browser keeps it.

    Written on a plain socket rather than ``http.client``: the client shares the machine's cores with the
    server it measures, and with ``http.client`` (its header parsing goes through ``email``) the intake bench's
    client took 0.40 ms of CPU per request, against 0.23 ms now (8 clients, stop 25). It reads what gunicorn
    answers: a length, chunks, or up to the close.
    """

    def __init__(self, host: str, port: int, *, timeout: float = 120) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._socket: socket.socket | None = None
        self._buffer = b""

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request (opening the connection if the server closed it); return status, headers, body."""
        if self._socket is None:
            self._socket = socket.create_connection((self.host, self.port), timeout=self.timeout)
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._buffer = b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept-Encoding: identity"]
        if body is not None or method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(body or b'')}")
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        try:
            self._socket.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
            status, answer, data, closes = self._response(method)
        except (OSError, ValueError):
            self.close()
            raise
        if closes:
            self.close()
        return status, answer, data

    def _response(self, method: str) -> tuple[int, dict[str, str], bytes, bool]:
        head = self._until(b"\r\n\r\n").decode("latin-1")
        status_line, *header_lines = head.split("\r\n")
        version, code = status_line.split(" ", 2)[:2]
        status = int(code)
        answer: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            answer[name.strip().lower()] = value.strip()
        closes = version != "HTTP/1.1" or answer.get("connection", "").lower() == "close"
        if method == "HEAD" or status < 200 or status in {204, 304}:
            return status, answer, b"", closes
        if answer.get("transfer-encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self._until(b"\r\n").split(b";", 1)[0], 16)
                if size == 0:
                    while self._until(b"\r\n"):  # trailers, up to the empty line
                        pass
                    return status, answer, b"".join(chunks), closes
                chunks.append(self._exactly(size))
                self._exactly(2)
        if "content-length" in answer:
            return status, answer, self._exactly(int(answer["content-length"])), closes
        data = self._buffer + self._rest()
        self._buffer = b""
        return status, answer, data, True

    def _receive(self) -> bytes:
        assert self._socket is not None
        data = self._socket.recv(65536)
        if not data:
            raise ConnectionResetError("the server closed the connection")
        return data

    def _until(self, mark: bytes) -> bytes:
        while mark not in self._buffer:
            self._buffer += self._receive()
        found, self._buffer = self._buffer.split(mark, 1)
        return found

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._buffer += self._receive()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _rest(self) -> bytes:
        assert self._socket is not None
        parts = []
        while data := self._socket.recv(65536):
            parts.append(data)
        return b"".join(parts)

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
            self._buffer = b""


def percentile(values: list[float], share: float) -> float:
    """Return the ``share`` (0..1) percentile of ``values`` (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


@dataclass
class LoadResult:
    """What one load level produced."""

    concurrency: int
    seconds: float
    ok: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    machine_busy: float = 0.0
    server_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Return the figures: rate, percentiles in ms, errors, CPU busy and server CPU per request."""
        return {
            "clients": self.concurrency,
            "seconds": round(self.seconds, 1),
            "requests_ok": self.ok,
            "per_second": round(self.ok / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": round(1000 * percentile(self.latencies, 0.50), 1),
            "p95_ms": round(1000 * percentile(self.latencies, 0.95), 1),
            "p99_ms": round(1000 * percentile(self.latencies, 0.99), 1),
            "errors": self.errors,
            "error_samples": self.error_samples[:5],
            "machine_cpu_busy": round(self.machine_busy, 3),
            "server_cpu_ms_per_request": round(1000 * self.server_cpu_seconds / self.ok, 2) if self.ok else None,
            # The clients run on the same machine as the server: their CPU is the machine's too.
            "client_cpu_ms_per_request": round(1000 * self.client_cpu_seconds / self.ok, 2) if self.ok else None,
        }


def run_load(
    server: Server,
    send: Callable[[int], tuple[bool, str]],
    *,
    concurrency: int,
    seconds: float,
    max_requests: int,
    warmup: Callable[[int], None] | None = None,
) -> LoadResult:
    """Run ``concurrency`` clients sending back to back until ``seconds`` pass or ``max_requests`` are done.

    ``send(client)`` makes one request and returns (ok, error description). ``warmup(client)`` runs once per
    client before the clock starts (e.g. fetching a form's CSRF cookie).
    """
    result = LoadResult(concurrency=concurrency, seconds=0.0)
    lock = threading.Lock()
    issued = 0
    stop_at = 0.0
    start_gate = threading.Barrier(concurrency + 1)

    def client(index: int) -> None:
        nonlocal issued
        if warmup is not None:
            warmup(index)
        start_gate.wait()
        while True:
            with lock:
                if issued >= max_requests or time.monotonic() >= stop_at:
                    return
                issued += 1
            started = time.monotonic()
            try:
                ok, error = send(index)
            except Exception as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"
            elapsed = time.monotonic() - started
            with lock:
                if ok:
                    result.ok += 1
                    result.latencies.append(elapsed)
                else:
                    result.errors += 1
                    if len(result.error_samples) < 20:
                        result.error_samples.append(error[:300])

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    pids = server.pids()
    cpu_before = process_cpu_seconds(pids)
    client_cpu_before = time.process_time()
    meter = CpuMeter()
    began = time.monotonic()
    stop_at = began + seconds
    start_gate.wait()
    for thread in threads:
        thread.join(timeout=seconds + 300)
    result.seconds = time.monotonic() - began
    result.machine_busy = meter.busy()
    result.server_cpu_seconds = process_cpu_seconds(pids) - cpu_before
    result.client_cpu_seconds = time.process_time() - client_cpu_before
    return result


def median(values: list[float]) -> float:
    """Return the median (NaN for no values)."""
    return statistics.median(values) if values else float("nan")


def emit(result: dict[str, Any]) -> None:
    """Print a benchmark's result as JSON (the last line of its output is what ``bin/bench`` reads)."""
    print(json.dumps(result, indent=2, default=str))
