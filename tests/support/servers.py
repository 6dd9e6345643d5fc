"""Real servers for tests, each on a free loopback port chosen at run time: gunicorn, Redis, nginx.

``scratch_site`` prepares a Peluit of its own (SQLite file, var/ and media under a temporary folder, an
escrow-holding supervisor); ``run_gunicorn`` serves it with ``config/gunicorn.py``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
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


def manage(env: dict[str, str], *command: str, timeout: float = 300) -> str:
    """Run ``manage.py command`` in its own process with ``env``; return its output (fail the test if it fails)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _prepare(env: dict[str, str]) -> None:
    with_password = {**env, "PELUIT_PASSWORD": SUPERVISOR_PASSWORD}
    manage(with_password, "migrate", "--no-input", "-v", "0")
    manage(with_password, "add_staff", "kepala", "--role", "supervisor")


# One migrated SQLite database per test process, copied for each scratch site (migrating takes seconds).
_TEMPLATE: dict[str, Path] = {}


def _sqlite_template() -> Path:
    if "sqlite" not in _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="peluit-site-template-"))
        atexit.register(shutil.rmtree, folder, True)
        _prepare(site_env(folder))
        database = folder / "var" / "peluit.sqlite3"
        with sqlite3.connect(database) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _TEMPLATE["sqlite"] = database
    return _TEMPLATE["sqlite"]


def scratch_site(folder: Path, **overrides: str) -> Site:
    """Return a migrated Peluit under ``folder`` with the supervisor ``kepala`` (the escrow holder).

    On the default SQLite database the files of a template made once per test process are copied; any other
    ``DATABASE_URL`` (an empty PostgreSQL database) is migrated here.
    """
    env = site_env(folder, **overrides)
    if "DATABASE_URL" in overrides:
        _prepare(env)
    else:
        (folder / "var").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_template(), folder / "var" / "peluit.sqlite3")
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
    ca: Path | None = None  # the certificate to trust for an https server

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
    by_environment: bool = False,
) -> Iterator[Server]:
    """Serve ``site`` with gunicorn on a free loopback port; return once every worker is ready.

    ``config`` is ``config/gunicorn.py`` unless told otherwise (``None``: gunicorn's defaults, as bin/run
    used to start it), wrapped so that the test knows when each worker is ready and which ones answered.
    ``by_environment`` gives the address, workers and threads as ``PELUIT_BIND``, ``PELUIT_WORKERS`` and
    ``PELUIT_THREADS`` (read by ``config/gunicorn.py``, as the README's deployment does) instead of options.
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
    placement: dict[str, str] = {}
    if by_environment:
        placement = {"PELUIT_BIND": f"127.0.0.1:{port}", "PELUIT_WORKERS": str(workers), "PELUIT_THREADS": str(threads)}
    else:
        command += ["--workers", str(workers), "--threads", str(threads), "--bind", f"127.0.0.1:{port}"]
    command += list(args)
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**site.env, **placement, **(env or {})}, stdout=output, stderr=subprocess.STDOUT
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
def run_redis(folder: Path, *options: str, port: int | None = None) -> Iterator[str]:
    """Start a private redis-server (no persistence unless ``options`` say so) on ``port`` or a free port; yield
    its URL.

    Skips the test when Debian's redis-server is not installed.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (CI installs it: bin/bootstrap redis-server)")
    port = port or free_port()
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


# A self-signed certificate for 127.0.0.1, made for each test (verified by the test's clients).
OPENSSL_SELF_SIGNED = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
OPENSSL_SELF_SIGNED += ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
# The main configuration around deploy/nginx.conf for a test: everything under one folder, logs at "info"
# (stricter than production, so a client address anywhere in nginx's logs shows up).
_NGINX_MAIN = """
{user}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/logs/main-error.log info;
events {{ worker_connections 512; }}
http {{
    access_log {folder}/logs/main-access.log;
    client_body_temp_path {folder}/tmp/body;
    proxy_temp_path {folder}/tmp/proxy;
    fastcgi_temp_path {folder}/tmp/fastcgi;
    uwsgi_temp_path {folder}/tmp/uwsgi;
    scgi_temp_path {folder}/tmp/scgi;
    include {folder}/peluit.conf;
}}
"""


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, f"deploy/nginx.conf no longer has {old!r}"
    return text.replace(old, new)


def self_signed_certificate(folder: Path) -> Path:
    """Make ``key.pem`` and ``cert.pem`` (for 127.0.0.1) in ``folder``; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [*OPENSSL_SELF_SIGNED, "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True,
        capture_output=True,
    )
    return folder


@contextmanager
def run_nginx(upstream: Server, folder: Path, *, certificate: Path | None = None) -> Iterator[Server]:
    """Serve ``deploy/nginx.conf`` (TLS) in front of ``upstream``; yield it (https).

    The certificate is made here, or taken from the folder ``certificate`` (one site's certificate on
    several fronts).
    """
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (bin/bootstrap installs it)")
    for sub in ("logs", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    tls = certificate or self_signed_certificate(folder)
    https_port, http_port = free_port(), free_port()
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = _replace_once(site, "server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream.port};")
    site = _replace_once(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = _replace_once(site, "listen [::]:443 ssl http2;", "")
    site = _replace_once(site, "listen 80;", f"listen 127.0.0.1:{http_port};")
    site = _replace_once(site, "listen [::]:80;", "")
    site = _replace_once(site, "/etc/ssl/peluit/fullchain.pem", str(tls / "cert.pem"))
    site = _replace_once(site, "/etc/ssl/peluit/privkey.pem", str(tls / "key.pem"))
    site = _replace_once(site, "/var/log/nginx/", f"{folder}/logs/")
    (folder / "peluit.conf").write_text(site)
    user = "user root root;" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(_NGINX_MAIN.format(folder=folder, user=user))
    output = folder / "logs" / "stderr.log"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port("127.0.0.1", https_port, process=process)
        url = f"https://127.0.0.1:{https_port}"
        yield Server(url=url, host="127.0.0.1", port=https_port, process=process, log=output, ca=tls / "cert.pem")
    finally:
        stop(process)
