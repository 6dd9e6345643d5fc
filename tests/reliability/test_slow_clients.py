"""Slow request bodies cannot freeze the service (issue 9 item 6).

A slow client announces ``Content-Length: 100000``, sends 5 bytes and goes silent. With ``deploy/nginx.conf``
in front, 20 of them wait in nginx while a normal submission and /healthz go through. gunicorn alone
(``config/gunicorn.py``) frees the threads they hold after a bounded time instead of never.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests

from tests.intake.conftest import pdf_with_author, wbs_post
from tests.support.servers import Server, Site, run_gunicorn, run_nginx, scratch_site

SLOW_HEAD = (
    b"POST /api/v1/reports/wbs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: multipart/form-data; boundary=peluit\r\nContent-Length: 100000\r\n\r\n"
)


@contextmanager
def slow_clients(server: Server, count: int) -> Iterator[list[socket.socket]]:
    """Open ``count`` connections that send the head of a 100 kB body, then 5 bytes, then nothing."""
    tls = server.ca is not None
    context = ssl.create_default_context(cafile=str(server.ca) if tls else None)
    with ExitStack() as stack:
        sockets = []
        for _ in range(count):
            raw = socket.create_connection((server.host, server.port), timeout=10)
            conn = context.wrap_socket(raw, server_hostname=server.host) if tls else raw
            stack.callback(conn.close)
            conn.sendall(SLOW_HEAD + b"--pel")
            sockets.append(conn)
        yield sockets


def still_open(conn: socket.socket) -> bool:
    """True while the server has neither answered nor closed the connection (TLS records alone do not count)."""
    conn.setblocking(False)
    try:
        conn.recv(1)
    except (BlockingIOError, ssl.SSLWantReadError):
        return True
    except OSError:
        return False
    finally:
        conn.setblocking(True)
    return False


def answer_within(conn: socket.socket, *, deadline: float) -> bytes:
    """Wait until ``deadline`` for the server's answer on a stalled connection.

    Each connection is freed BODY_READ_TIMEOUT (10 s) after a thread began reading its body, and a connection
    queued behind others starts later; a 10 s socket timeout of our own would race the server's.
    """
    conn.settimeout(max(1.0, deadline - time.monotonic()))
    return conn.recv(200)


def submit(server: Server, **kwargs: object) -> requests.Response:
    files = {"attachments": ("bukti.pdf", pdf_with_author(), "application/pdf")}
    return requests.post(f"{server.url}/api/v1/reports/wbs", data=wbs_post(), files=files, timeout=60, **kwargs)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return scratch_site(tmp_path, PELUIT_BEHIND_PROXY="1", PELUIT_TRUSTED_PROXIES="1")


def test_twenty_slow_clients_wait_in_nginx_while_reporters_get_through(site: Site, tmp_path: Path) -> None:
    with run_gunicorn(site) as app, run_nginx(app, tmp_path / "nginx") as front:
        assert requests.get(f"{front.url}/healthz", verify=str(front.ca), timeout=30).status_code == 200
        with slow_clients(front, 20) as stalled:
            time.sleep(1)  # let nginx read every head and wait for the rest of each body
            started = time.monotonic()
            health = requests.get(f"{front.url}/healthz", verify=str(front.ca), timeout=30)
            submitted = submit(front, verify=str(front.ca))
            elapsed = time.monotonic() - started
            assert all(still_open(conn) for conn in stalled), "the slow clients are still held meanwhile"
        assert health.status_code == 200
        assert submitted.status_code == 201, submitted.text[:300]
        assert elapsed < 20, f"normal traffic took {elapsed:.1f} s beside the slow clients"
        # Positive control for the log scan below: staff pages are logged, with the address.
        assert requests.get(
            f"{front.url}/console/", verify=str(front.ca), timeout=30, allow_redirects=False
        ).status_code
        app_log = app.log_text()
    logs = {path.name: path.read_text(errors="replace") for path in (tmp_path / "nginx" / "logs").iterdir()}
    assert "127.0.0.1" in logs["peluit-staff-access.log"], "positive control: staff requests are logged"
    assert logs.get("peluit-error.log", "") == "", "reporter requests leave no error line"
    assert "127.0.0.1" not in "".join(text for name, text in logs.items() if "staff" not in name), logs
    assert "127.0.0.1" not in app_log


def test_gunicorn_alone_frees_the_threads_slow_clients_hold(site: Site) -> None:
    """Ten slow clients hold all eight threads of two workers; the body timeout frees them within seconds."""
    with run_gunicorn(site, workers=2, threads=4) as app, slow_clients(app, 10) as stalled:
        time.sleep(1)
        started = time.monotonic()
        health = requests.get(f"{app.url}/healthz", timeout=60)
        waited = time.monotonic() - started
        answers = [answer_within(conn, deadline=started + 60) for conn in stalled]
    assert health.status_code == 200
    # Each slow client holds a thread for at most BODY_READ_TIMEOUT (10 s); if one worker got all ten and
    # /healthz queued behind them, that is three rounds of its four threads. Without the bound: forever.
    assert waited < 45, f"/healthz waited {waited:.1f} s"
    assert all(answer.startswith(b"HTTP/1.1 400") or answer == b"" for answer in answers), answers
