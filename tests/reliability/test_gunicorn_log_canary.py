"""gunicorn's own log never holds a client address (issue 9 item 9; DESIGN.md invariant 1).

gunicorn answers malformed requests itself, before Peluit's middleware runs, and used to log
``Invalid request from ip=...``. A real gunicorn with ``config/gunicorn.py`` (at debug level, stricter than
production) receives malformed requests from 127.0.0.2; its log must name the errors but never the address.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.support.servers import Server, Site, run_gunicorn, scratch_site

CLIENT = "127.0.0.2"
MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(80)) + b"\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"b" * 9000 + b"\r\n\r\n",
    b"POST /api/v1/reports/wbs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"GET / HTTP/1.1\r\nHost: x\r\nFolded: a\r\n b\r\n\r\n",
    b"PROXY TCP4 203.0.113.9 10.0.0.1 1 2\r\nGET / HTTP/1.1\r\n\r\n",
]


def send_raw(server: Server, data: bytes) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=60, source_address=(CLIENT, 0)) as conn:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
        return answer


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return scratch_site(tmp_path)


def test_malformed_requests_leave_no_client_address_in_gunicorns_log(site: Site) -> None:
    with run_gunicorn(site, args=("--log-level", "debug")) as server:
        answers = [send_raw(server, request) for request in MALFORMED]
        log = server.log_text()
    assert all(answer.startswith(b"HTTP/1.1 4") for answer in answers), [a[:40] for a in answers]
    assert log.count("Invalid request from ip=[address removed]") >= len(MALFORMED) - 1, log[-3000:]
    assert CLIENT not in log
    assert "203.0.113.9" not in log
