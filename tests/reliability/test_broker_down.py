"""Broker down: intake and export requests still succeed quickly, and the queued work runs when the broker is back.

A scratch Peluit is served by gunicorn on a private redis-server. The broker first goes silent (SIGSTOP: the
kernel still accepts connections, nothing answers) and then away (the process ends, connections are refused);
meanwhile reports are submitted and an auditor asks for exports over HTTP. Then Redis starts again on the same
port (empty: nothing was queued in it) and a real Celery worker with beat starts: the outbox's rows are sent
and the exports are made, each exactly once. The same path runs on the embedded SQLite broker, without outage.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests
from django_otp.oath import TOTP

from tests.intake.conftest import wbs_post
from tests.support.servers import (
    ROOT,
    Server,
    Site,
    free_port,
    manage,
    run_gunicorn,
    run_redis,
    scratch_site,
    stop,
)

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
YEAR = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
BROKER_TIMEOUT = 2.0
# An answer while the broker is down may wait for the broker once (connect + read), never much longer.
BOUND = 3 * BROKER_TIMEOUT + 4


def _manage(site: Site, *args: str, env: dict[str, str] | None = None) -> str:
    return manage({**site.env, **(env or {})}, *args)


def _add_auditor(site: Site) -> str:
    """Create the auditor ``pemeriksa`` and the local signing CA; return the base32 secret of its authenticator."""
    _manage(site, "signing_test_ca")
    out = _manage(site, "add_staff", "pemeriksa", "--role", "auditor", env={"PELUIT_PASSWORD": PASSWORD})
    return out.split("Secret: ", 1)[1].split()[0]


def _token(html: str) -> str:
    return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


def _login(server: Server, secret: str) -> requests.Session:
    session = requests.Session()
    session.headers["Origin"] = server.url
    page = session.get(f"{server.url}/en/auth/login/", timeout=30)
    sent = session.post(
        f"{server.url}/en/auth/login/",
        data={"username": "pemeriksa", "password": PASSWORD, "csrfmiddlewaretoken": _token(page.text)},
        timeout=30,
    )
    assert "/auth/verify/" in sent.url, sent.text[:500]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    code = f"{TOTP(key, step=30, t0=0, digits=6).token():06d}"
    verified = session.post(
        sent.url, data={"code": code, "csrfmiddlewaretoken": _token(sent.text)}, timeout=30, allow_redirects=False
    )
    assert verified.status_code == 302 and "/auth/" not in verified.headers["Location"], verified.text[:500]
    return session


def _request_recap(server: Server, session: requests.Session) -> tuple[requests.Response, float]:
    page = session.get(f"{server.url}/en/console/reports/", timeout=30)
    assert page.status_code == 200, page.status_code
    started = time.monotonic()
    answer = session.post(
        f"{server.url}/en/console/reports/request/recap/",
        data={**YEAR, "csrfmiddlewaretoken": _token(page.text)},
        timeout=60,
        allow_redirects=False,
    )
    return answer, time.monotonic() - started


def _submit(server: Server) -> tuple[requests.Response, float]:
    started = time.monotonic()
    answer = requests.post(f"{server.url}/api/v1/reports/wbs", data=wbs_post(), timeout=60)
    return answer, time.monotonic() - started


def _redis_pid(port: int) -> int:
    """The pid of the private redis-server started with ``--port port``."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # redis-server names itself "redis-server 127.0.0.1:PORT" once it runs
        if "redis-server" in text and (f":{port}" in text or f" {port} " in text):
            return int(cmdline.parent.name)
    raise AssertionError(f"no redis-server on port {port}")


def _rows(site: Site, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(site.database) as db:
        return list(db.execute(sql).fetchall())


@contextmanager
def _worker(site: Site) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker with embedded beat on both queues, as bin/run starts it."""
    log = site.folder / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "--beat", "-Q", "default,reports",
                "--pool", "solo", "--without-mingle", "--without-gossip", "--without-heartbeat",
                "-n", f"outbox-{os.getpid()}@localhost", "--loglevel", "INFO",
                "--schedule", str(site.folder / "var" / "celerybeat-schedule"),
            ],
            cwd=ROOT,
            env={**site.env, "PELUIT_OUTBOX_SWEEP_SECONDS": "2"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield process
    finally:
        stop(process)


def _wait_for_exports(site: Site, count: int, timeout: float = 240) -> list[tuple[object, ...]]:
    """Wait until ``count`` exports have finished (done or failed); return (status, error) of each."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        finished = _rows(site, "SELECT status, error FROM reports_reportexport WHERE status IN ('done', 'failed')")
        if len(finished) >= count:
            return finished
        time.sleep(1)
    worker_log = (site.folder / "worker.log").read_text(errors="replace")[-4000:]
    statuses = _rows(site, "SELECT status FROM reports_reportexport")
    raise AssertionError(f"exports not finished after {timeout} s: {statuses}\n{worker_log}")


def _assert_done_once(site: Site, exports: int) -> None:
    finished = _wait_for_exports(site, exports)
    assert finished == [("done", "")] * exports, finished
    assert _rows(site, "SELECT count(*) FROM casework_queuedtask WHERE sent_at IS NULL") == [(0,)]
    made = _rows(site, "SELECT count(*) FROM audit_auditevent WHERE action = 'reports.export_created'")
    assert made == [(exports,)], f"each export made once: {made}"
    assert _rows(site, "SELECT count(*) FROM reports_reportexport WHERE length(pdf) > 1000") == [(exports,)]


def test_broker_down_then_back_on_redis(tmp_path: Path) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    site = scratch_site(
        tmp_path / "site", CELERY_BROKER_URL=url, CELERY_RESULT_BACKEND=url, PELUIT_BROKER_TIMEOUT=str(BROKER_TIMEOUT)
    )
    secret = _add_auditor(site)
    with ExitStack() as redis:
        redis.enter_context(run_redis(tmp_path / "redis", port=port))
        redis_pid = _redis_pid(port)
        with run_gunicorn(site) as server:
            session = _login(server, secret)
            os.kill(redis_pid, signal.SIGSTOP)  # silent: connections are accepted, nothing answers
            try:
                report, seconds = _submit(server)
                assert report.status_code == 201 and seconds < BOUND, (report.status_code, seconds)
                figures = {"submission, broker silent": seconds}
                first, seconds = _request_recap(server, session)
                assert first.status_code == 302 and "/exports/" in first.headers["Location"], first.text[:300]
                assert seconds < BOUND, f"the request waited {seconds:.1f} s on a silent broker"
                figures["export request, broker silent"] = seconds
            finally:
                os.kill(redis_pid, signal.SIGCONT)
            redis.close()  # gone: connections are refused
            for attempt in range(2):
                again, seconds = _request_recap(server, session)
                assert again.status_code == 302 and seconds < BOUND, (again.status_code, seconds)
                figures[f"export request {attempt + 2}, broker gone"] = seconds
            assert _submit(server)[0].status_code == 201
            progress = session.get(server.url + first.headers["Location"], timeout=30)
            assert progress.status_code == 200
            assert "Server Error" not in server.log_text() and "Traceback" not in server.log_text()
    waiting = _rows(site, "SELECT task, args, sent_at FROM casework_queuedtask")
    assert len(waiting) == 3 and all(sent is None for _task, _args, sent in waiting), waiting
    assert {task for task, _args, _sent in waiting} == {"reports.tasks.generate_export"}
    exports = {str(export_id).replace("-", "") for (export_id,) in _rows(site, "SELECT id FROM reports_reportexport")}
    assert {re.sub(r"[^0-9a-f]", "", str(args)) for _task, args, _sent in waiting} == exports, "only the ids"
    assert _rows(site, "SELECT count(*) FROM reports_reportexport WHERE status = 'queued'") == [(3,)]

    with run_redis(tmp_path / "redis", port=port), _worker(site):  # back, empty; a worker starts
        started = time.monotonic()
        _assert_done_once(site, 3)
        figures["worker start to 3 exports done"] = time.monotonic() - started
    print("broker down:", ", ".join(f"{name} {value:.2f} s" for name, value in figures.items()))
    assert _rows(site, "SELECT count(*) FROM casework_case") == [(2,)]
    _manage(site, "audit_verify")


def test_exports_run_on_the_embedded_broker(tmp_path: Path) -> None:
    var = tmp_path / "site" / "var"  # the default broker (set here: CI's second run sets Redis for the suite)
    site = scratch_site(
        tmp_path / "site",
        CELERY_BROKER_URL=f"sqla+sqlite:///{var / 'celery-broker.sqlite3'}",
        CELERY_RESULT_BACKEND=f"db+sqlite:///{var / 'celery-results.sqlite3'}",
    )
    secret = _add_auditor(site)
    with run_gunicorn(site) as server:
        session = _login(server, secret)
        answer, seconds = _request_recap(server, session)
        assert answer.status_code == 302 and seconds < BOUND, (answer.status_code, seconds)
    sent = _rows(site, "SELECT count(*) FROM casework_queuedtask WHERE sent_at IS NOT NULL")
    assert sent == [(1,)], "sent on commit: the embedded broker answers"
    with _worker(site):
        _assert_done_once(site, 1)
