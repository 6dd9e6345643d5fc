"""config/gunicorn.py: request bodies must keep arriving; gunicorn's log loses every address."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from config import gunicorn as conf
from config.logging import GunicornRequestFilter, RemoveAddressesFilter, remove_addresses


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    server, client = socket.socketpair()
    yield server, client
    server.close()
    client.close()


def test_body_reads_return_what_arrives(pair: tuple[socket.socket, socket.socket]) -> None:
    server, client = pair
    paced = conf.PacedChunks(server, lambda size=None: server.recv(size or 8192))
    client.sendall(b"hello")
    assert paced(100) == b"hello"
    assert server.gettimeout() is None, "the socket is blocking again for gunicorn"


def test_a_silent_client_is_cut_off(pair: tuple[socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch) -> None:
    server, _client = pair
    monkeypatch.setattr(conf, "BODY_READ_TIMEOUT", 0.3)
    paced = conf.PacedChunks(server, lambda size=None: server.recv(size or 8192))
    started = time.monotonic()
    with pytest.raises(conf.BodyTooSlow):
        paced(100)
    assert time.monotonic() - started < 2
    assert server.gettimeout() is None


def test_a_trickle_below_the_minimum_rate_is_cut_off(pair: tuple[socket.socket, socket.socket]) -> None:
    server, client = pair
    now = [1000.0]

    def slow_read(size: int | None = None) -> bytes:
        now[0] += 6  # each read of 100 bytes waits 6 s for them
        return server.recv(size or 8192)

    paced = conf.PacedChunks(server, slow_read, clock=lambda: now[0])
    client.sendall(b"x" * 300)
    assert paced(100) == b"x" * 100
    assert paced(100) == b"x" * 100
    with pytest.raises(conf.BodyTooSlow):
        paced(100)  # 200 bytes in 12 s of waiting: far below the minimum rate


def test_a_busy_server_does_not_count_against_the_client(pair: tuple[socket.socket, socket.socket]) -> None:
    server, client = pair
    now = [1000.0]
    paced = conf.PacedChunks(server, lambda size=None: server.recv(size or 8192), clock=lambda: now[0])
    client.sendall(b"x" * 200)
    now[0] += 60  # the worker was busy (or starved) for a minute before it read the body
    assert paced(100) == b"x" * 100
    now[0] += 60
    assert paced(100) == b"x" * 100


def test_addresses_are_removed_but_times_and_versions_stay() -> None:
    assert (
        remove_addresses("Invalid request from ip=203.0.113.9: bad") == "Invalid request from ip=[address removed]: bad"
    )
    assert remove_addresses("from 2001:db8::1 and fe80::1%eth0 and ::ffff:192.0.2.1") == (
        "from [address removed] and [address removed] and ::ffff:[address removed]"
    )
    assert remove_addresses("at 18:41:04, Django 5.2.19, 999.1.1.1") == "at 18:41:04, Django 5.2.19, 999.1.1.1"


def test_the_filter_cleans_arguments_and_tracebacks() -> None:
    try:
        raise OSError("peer 198.51.100.4 reset")
    except OSError:
        record = logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1, "client %s", ("198.51.100.4",), None)
        record.exc_info = sys.exc_info()
    assert RemoveAddressesFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "198.51.100.4" not in text
    assert text.startswith("client [address removed]\nTraceback") and text.endswith("peer [address removed] reset")


def test_a_worker_loads_weasyprint_before_it_serves() -> None:
    """WeasyPrint's import flips Pillow's LOAD_TRUNCATED_IMAGES for the whole process until it is put back: a
    worker loads it in post_worker_init, before any thread can be cleaning a reporter's photo."""
    script = (
        "import sys, django; django.setup()\n"
        "from PIL import ImageFile\n"
        "from config import gunicorn\n"
        "before = 'weasyprint' in sys.modules\n"
        "gunicorn.post_worker_init(None)\n"
        "print(before, 'weasyprint' in sys.modules, ImageFile.LOAD_TRUNCATED_IMAGES)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert result.stdout.split() == ["False", "True", "False"], result.stderr[-2000:]


def gunicorn_record(message: str, args: tuple[object, ...] | None = None) -> logging.LogRecord:
    made = logging.LogRecord("gunicorn.error", logging.WARNING, __file__, 1, message, args, None)
    made.created, made.msecs = 1_772_423_464.123, 123.0  # 2026-03-02 10:51:04.123 in Semarang
    return made


def test_a_request_gunicorn_cannot_parse_is_logged_without_its_bytes_and_to_the_hour() -> None:
    """gunicorn names what the client sent ("... '6497 5969 5340 HTTP/1.1'"): a receipt typed into the address,
    or report text in a query. The line keeps the kind of error only, with a reporter's coarse time."""
    line = gunicorn_record("Invalid request from ip=203.0.113.9: Invalid HTTP Version: '6497 5969 5340 HTTP/1.1'")
    assert GunicornRequestFilter().filter(line) and RemoveAddressesFilter().filter(line)
    assert line.getMessage() == "Invalid request from ip=[address removed]: Invalid HTTP Version: [removed]"
    assert line.created % 3600 == 0 and line.msecs == 0
    quoted = gunicorn_record("Invalid request from ip=::1: Invalid HTTP request line: 'GET /report/?title=RAHASIA\x01'")
    GunicornRequestFilter().filter(quoted)
    assert "RAHASIA" not in quoted.getMessage()


@pytest.mark.parametrize(("path", "coarse"), [("/report/wbs/", True), ("/console/cases/", False)])
def test_a_request_gunicorn_fails_on_keeps_its_path_without_the_query(path: str, coarse: bool) -> None:
    line = gunicorn_record("Error handling request %s %s", ("GET", f"{path}?receipt=1234567812345678"))
    GunicornRequestFilter().filter(line)
    assert line.getMessage() == f"Error handling request GET {path}"
    assert (line.created % 3600 == 0) is coarse


def test_gunicorns_logger_uses_the_request_filter_before_the_address_filter() -> None:
    from gunicorn.config import Config

    from config.gunicorn_logging import AddresslessLogger

    logger = AddresslessLogger(Config())
    assert [type(f) for f in logger.error_log.filters] == [GunicornRequestFilter, RemoveAddressesFilter]
