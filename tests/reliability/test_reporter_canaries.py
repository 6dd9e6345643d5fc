"""Reporter canaries (DESIGN.md invariant 1): a reporter's address and user agent are never stored or logged.

A subprocess drives every reporter path (pages and API, success and failure paths, a throttled client) with
requests carrying ``X-Forwarded-For: 203.0.113.77`` (and the same address as the client address and in the
other forwarding headers) and a unique user agent. Then everything it left behind is searched: the raw
SQLite file with its WAL, the ``pg_dump`` output on PostgreSQL (when ``PELUIT_PG_DUMP_URL`` is set), the
media folder, the log files and the process output. Both canaries must appear zero times, in UTF-8, UTF-16
or hex form. The staff usernames and a logged 404 path are the positive controls.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKLOAD = Path(__file__).with_name("reporter_canary_workload.py")
ADDRESS = "203.0.113.77"
DB_CONTROL = b"petugas"  # a staff username, stored in clear on purpose
LOG_CONTROL = b"canary-control-404"  # a logged 404 path


def encodings(text: str) -> list[bytes]:
    """Return the forms in which a leaked canary would show up."""
    raw = text.encode("utf-8")
    return [raw, text.encode("utf-16-le"), raw.hex().encode(), raw.hex().upper().encode()]


def count(data: bytes, *canaries: str) -> int:
    return sum(data.count(form) for canary in canaries for form in encodings(canary))


def files_under(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.is_file())


def run_workload(tmp_path: Path, user_agent: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PELUIT_VAR_DIR": str(tmp_path / "var"),
        "PELUIT_MEDIA_ROOT": str(tmp_path / "media"),
        "PELUIT_KDF_PROFILE": "test",
        "PELUIT_PEPPER": "canary-test-pepper",
        "PELUIT_THROTTLE_RECEIPT_PER_ADDRESS": "6",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [sys.executable, str(WORKLOAD), ADDRESS, user_agent],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "workload done" in result.stdout
    return result


def assert_nothing_left(tmp_path: Path, user_agent: str, result: subprocess.CompletedProcess[str]) -> None:
    assert len(list(files_under(tmp_path / "media"))) == 8, "eight encrypted attachments expected"
    logs = b"".join(p.read_bytes() for p in files_under(tmp_path / "var" / "log"))
    assert LOG_CONTROL in logs, "positive control: the log scan must see what was logged"
    found = {str(p.relative_to(tmp_path)): count(p.read_bytes(), ADDRESS, user_agent) for p in files_under(tmp_path)}
    assert {name: n for name, n in found.items() if n} == {}
    output = (result.stdout + result.stderr).encode()
    assert LOG_CONTROL in output  # the console log handler saw the same records
    assert count(output, ADDRESS, user_agent) == 0


def test_reporter_canaries_absent_from_sqlite_media_and_logs(tmp_path: Path) -> None:
    user_agent = f"CanaryBrowser/{uuid.uuid4().hex}"
    result = run_workload(tmp_path, user_agent, f"sqlite:///{tmp_path / 'peluit.sqlite3'}")
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("peluit.sqlite3*"))
    assert DB_CONTROL in raw, "positive control: the scan must see the database content"
    assert count(raw, ADDRESS, user_agent) == 0
    assert_nothing_left(tmp_path, user_agent, result)


@pytest.mark.skipif(not os.environ.get("PELUIT_PG_DUMP_URL"), reason="set PELUIT_PG_DUMP_URL to test pg_dump")
def test_reporter_canaries_absent_from_pg_dump(tmp_path: Path) -> None:
    import psycopg

    admin_url = os.environ["PELUIT_PG_DUMP_URL"]
    name = f"peluit_reporter_canary_{uuid.uuid4().hex[:12]}"
    user_agent = f"CanaryBrowser/{uuid.uuid4().hex}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
        result = run_workload(tmp_path, user_agent, url)
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--dbname", url], capture_output=True, timeout=300, check=True
        ).stdout
        assert DB_CONTROL in dump, "positive control: the dump must hold the database content"
        assert count(dump, ADDRESS, user_agent) == 0
        assert_nothing_left(tmp_path, user_agent, result)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
