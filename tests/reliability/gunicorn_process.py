"""Start Peluit under a real gunicorn on a free loopback port, for tests that need a real server to kill.

The listening socket is opened here on port 0 (the kernel picks a free port) and handed to gunicorn as
``fd://N``, so no other process can take the port in between. gunicorn runs in its own session, so the test can
kill the master and its workers together (``kill -9`` of the process group).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Gunicorn:
    """A running gunicorn: its master process and the loopback port it serves."""

    process: subprocess.Popen[bytes]
    port: int

    def worker_pids(self) -> list[int]:
        """Return the pids of the master's worker processes."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def kill_all(self) -> None:
        """SIGKILL the master and its workers at once (no shutdown, no clean-up: a crash)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)


def environment(var_dir: Path, media_root: Path, **extra: str) -> dict[str, str]:
    """Return an environment that gives the server its own SQLite database, var/ and media folders."""
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{var_dir / 'peluit.sqlite3'}",
        "PELUIT_VAR_DIR": str(var_dir),
        "PELUIT_MEDIA_ROOT": str(media_root),
        # The throttle's counters beside the database, not in /dev/shm (a killed server cannot empty its file).
        "PELUIT_THROTTLE_URL": f"sqlite:///{var_dir / 'throttle.sqlite3'}",
        "PELUIT_KDF_PROFILE": "test",
        "PELUIT_PEPPER": "gunicorn-test-pepper",
        "PELUIT_INSECURE_HTTP": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
    }


@contextmanager
def running_gunicorn(env: dict[str, str], log_file: Path, *, workers: int = 1) -> Iterator[Gunicorn]:
    """Run ``gunicorn config.wsgi`` with ``env`` on a free loopback port; kill it (if still alive) at the end."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    fd = listener.fileno()
    os.set_inheritable(fd, True)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"fd://{fd}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--error-logfile",
            str(log_file),
        ],
        cwd=ROOT,
        env=env,
        pass_fds=[fd],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    listener.close()  # gunicorn holds its own copy
    server = Gunicorn(process=process, port=port)
    try:
        yield server
    finally:
        if process.poll() is None:
            server.kill_all()
