"""Real servers for tests, each on a free loopback port chosen at run time: gunicorn, Redis, nginx.

``scratch_site`` prepares a Peluit of its own (SQLite file, var/ and media under a temporary folder, an
escrow-holding supervisor); ``run_gunicorn`` serves it with ``config/gunicorn.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUPERVISOR_PASSWORD = "correct horse battery staple"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_for_port(
    host: str, port: int, *, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until something accepts connections on ``host:port``; fail if ``process`` dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode} before listening")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {host}:{port} after {timeout} s")


def stop(process: subprocess.Popen[bytes], *, timeout: float = 15.0) -> None:
    """Stop ``process`` (TERM, then KILL) and reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


@dataclass(frozen=True)
class Site:
    """The environment of a scratch Peluit and where it keeps its files."""

    env: dict[str, str]
    folder: Path

    @property
    def database(self) -> Path:
        """The SQLite file (when the site uses the default database)."""
        return self.folder / "var" / "peluit.sqlite3"


def site_env(folder: Path, **overrides: str) -> dict[str, str]:
    """Return the environment of a Peluit whose files all live under ``folder``."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'var' / 'peluit.sqlite3'}",
        "PELUIT_VAR_DIR": str(folder / "var"),
        "PELUIT_MEDIA_ROOT": str(folder / "media"),
        "PELUIT_THROTTLE_URL": f"sqlite:///{folder / 'throttle.sqlite3'}",
        "PELUIT_KDF_PROFILE": "test",
        "PELUIT_PEPPER": "scratch-site-pepper",
        "PELUIT_SECRET_KEY": "scratch-site-secret-key-" + "x" * 40,
        "PELUIT_INSECURE_HTTP": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(overrides)
    return env


def scratch_site(folder: Path, **overrides: str) -> Site:
    """Migrate a fresh Peluit under ``folder`` and create the supervisor ``kepala`` (the escrow holder)."""
    env = site_env(folder, **overrides)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--no-input", "-v", "0"], ["add_staff", "kepala", "--role", "supervisor"]):
        result = subprocess.run(
            [*manage, *command],
            cwd=ROOT,
            env={**env, "PELUIT_PASSWORD": SUPERVISOR_PASSWORD},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
    return Site(env=env, folder=folder)


@dataclass(frozen=True)
class Server:
    """A running server: its base URL, address, process, log file and the record of its workers."""

    url: str
    host: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    workers_file: Path | None = None

    def log_text(self) -> str:
        """Return everything the server has logged so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def answering_workers(self) -> set[str]:
        """Return the pids of the gunicorn workers that have answered a request so far."""
        if self.workers_file is None or not self.workers_file.exists():
            return set()
        return {line.split()[1] for line in self.workers_file.read_text().splitlines() if line.startswith("answered")}


# Wraps a gunicorn config: the same settings and hooks, plus lines in a file when a worker is ready and when
# it has answered a request (tests wait for every worker, and can see which ones answered).
_RECORDING_CONFIG = """
exec(compile(open({base!r}).read(), {base!r}, "exec"))
_wrapped_post_worker_init = globals().get("post_worker_init")
_wrapped_post_request = globals().get("post_request")


def _note(line):
    with open({record!r}, "a") as out:
        out.write(line + "\\n")


def post_worker_init(worker):
    if _wrapped_post_worker_init:
        _wrapped_post_worker_init(worker)
    _note(f"ready {{worker.pid}}")


def post_request(worker, req, environ, resp):
    if _wrapped_post_request:
        _wrapped_post_request(worker, req, environ, resp)
    _note(f"answered {{worker.pid}}")
"""


def _wait_for_workers(record: Path, workers: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode} before its workers were ready")
        ready = record.read_text().count("ready ") if record.exists() else 0
        if ready >= workers:
            return
        time.sleep(0.05)
    raise AssertionError(f"{workers} gunicorn workers not ready after {timeout} s")


@contextmanager
def run_gunicorn(
    site: Site,
    *,
    workers: int = 2,
    threads: int = 4,
    args: tuple[str, ...] = (),
    config: Path | None = ROOT / "config" / "gunicorn.py",
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Serve ``site`` with gunicorn on a free loopback port; return once every worker is ready.

    ``config`` is ``config/gunicorn.py`` unless told otherwise (``None``: gunicorn's defaults, as bin/run
    used to start it), wrapped so that the test knows when each worker is ready and which ones answered.
    """
    port = free_port()
    log = site.folder / f"gunicorn-{port}.log"
    record = site.folder / f"gunicorn-{port}.workers"
    wrapper = site.folder / f"gunicorn-{port}.conf.py"
    base = config if config is not None else site.folder / "gunicorn-defaults.py"
    if config is None:
        base.write_text("")
    wrapper.write_text(_RECORDING_CONFIG.format(base=str(base), record=str(record)))
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", str(wrapper)]
    command += ["--workers", str(workers), "--threads", str(threads), "--bind", f"127.0.0.1:{port}", *args]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**site.env, **(env or {})}, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_for_port("127.0.0.1", port, process=process)
        _wait_for_workers(record, workers, process)
        yield Server(
            url=f"http://127.0.0.1:{port}", host="127.0.0.1", port=port, process=process, log=log, workers_file=record
        )
    finally:
        stop(process)


@contextmanager
def run_redis(folder: Path, *options: str) -> Iterator[str]:
    """Start a private redis-server (no persistence unless ``options`` say so) on a free port; yield its URL.

    Skips the test when Debian's redis-server is not installed.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (CI installs it: bin/bootstrap redis-server)")
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
            *options,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port, process=process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)
