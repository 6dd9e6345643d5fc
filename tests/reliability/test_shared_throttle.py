"""One throttle for all processes: four gunicorn workers count a client's requests together.

Each test serves a scratch Peluit with ``config/gunicorn.py`` and four workers, waits until every worker is
ready, and checks which workers answered, so the requests really were spread over several processes.
"""

from __future__ import annotations

import http.client
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.servers import Server, Site, run_gunicorn, run_redis, scratch_site

LIMIT = 24
WORKERS = 4


def status_of(server: Server, path: str = "/", source: str = "127.0.0.1") -> int:
    """GET ``path`` on a new connection from the loopback address ``source``; return the status."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=90, source_address=(source, 0))
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture(params=["sqlite", "redis"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    """A scratch site whose throttle is the shared SQLite file (as on one machine) or a private Redis."""
    limit = {"PELUIT_THROTTLE_PER_ADDRESS": str(LIMIT)}
    if request.param == "redis":
        with run_redis(tmp_path / "redis") as url:
            yield scratch_site(tmp_path, PELUIT_THROTTLE_URL=url, **limit)
    else:
        yield scratch_site(tmp_path, **limit)


def test_four_workers_share_the_per_address_limit(site: Site, tmp_path: Path) -> None:
    with run_gunicorn(site, workers=WORKERS, threads=4) as server:
        # LIMIT requests at once, each on its own connection: several workers pick them up.
        with ThreadPoolExecutor(max_workers=LIMIT) as pool:
            first = list(pool.map(lambda _n: status_of(server), range(LIMIT)))
        answered_by = server.answering_workers()
        more = [status_of(server) for _ in range(2 * WORKERS)]
        other_client = status_of(server, source="127.0.0.2")
        # A worker that could not use the store lets requests through for a while: say so if it happened.
        store_trouble = [line for line in server.log_text().splitlines() if "throttle" in line.lower()]

    if site.env["PELUIT_THROTTLE_URL"].startswith("sqlite:"):
        with sqlite3.connect(site.folder / "throttle.sqlite3") as db:
            left = db.execute("SELECT (SELECT count(*) FROM event), (SELECT count(*) FROM day_key)").fetchone()
        assert left == (0, 0), "gunicorn empties the machine's throttle file when it stops"
    assert first == [200] * LIMIT
    assert len(answered_by) >= 2, "the requests must have reached several worker processes"
    assert store_trouble == [], "no worker lost the store"
    assert more == [429] * (2 * WORKERS), "past the limit every worker refuses the client"
    assert other_client == 200, "another address has its own counter"
