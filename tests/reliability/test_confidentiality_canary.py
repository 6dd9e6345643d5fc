"""Confidentiality canaries (DESIGN.md invariant 2).

A subprocess seals reports whose every field, identity and attachment carries a unique canary, and uses them
the ways the application does (officer reads, grants, escrow, reporter follow-up, a failure that logs).
Then everything it left behind is searched: the raw SQLite file (with its WAL), the ``pg_dump`` output on
PostgreSQL (when ``PELUIT_PG_DUMP_URL`` is set, as in CI), the media folder, the log files and its output.
The canary must appear zero times, in UTF-8, UTF-16 or hex form. The staff usernames, stored in clear on
purpose, are the positive control: they prove the scan reads what it claims to read.
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
WORKLOAD = Path(__file__).with_name("canary_workload.py")
CONTROL = b"petugas"  # a staff username: metadata, stored in clear


def forms(canary: str) -> list[bytes]:
    """Return the encodings in which a leaked canary would show up."""
    raw = canary.encode("utf-8")
    return [raw, canary.encode("utf-16-le"), raw.hex().encode(), raw.hex().upper().encode()]


def run_workload(tmp_path: Path, canary: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PELUIT_VAR_DIR": str(tmp_path / "var"),
        "PELUIT_MEDIA_ROOT": str(tmp_path / "media"),
        "PELUIT_KDF_PROFILE": "test",
        "PELUIT_PEPPER": "canary-test-pepper",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [sys.executable, str(WORKLOAD), canary],
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


def files_under(*folders: Path) -> Iterator[Path]:
    for folder in folders:
        yield from (p for p in folder.rglob("*") if p.is_file())


def leaks(data: bytes, canary: str) -> int:
    return sum(data.count(form) for form in forms(canary))


def assert_no_canary(tmp_path: Path, canary: str, result: subprocess.CompletedProcess[str]) -> None:
    media, logs = tmp_path / "media", tmp_path / "var" / "log"
    blobs = list(files_under(media / "vault"))
    assert len(blobs) == 2, "two encrypted attachments expected"
    log_files = list(files_under(logs))
    assert log_files, "the workload should have logged (a failure path logs an error)"
    assert b"does not open" in b"".join(p.read_bytes() for p in log_files)  # the error was logged, no content
    found = {str(p.relative_to(tmp_path)): leaks(p.read_bytes(), canary) for p in files_under(tmp_path)}
    assert {name: count for name, count in found.items() if count} == {}
    assert leaks((result.stdout + result.stderr).encode(), canary) == 0


def test_canary_absent_from_sqlite_media_and_logs(tmp_path: Path) -> None:
    canary = f"KANARI{uuid.uuid4().hex}"
    database = tmp_path / "peluit.sqlite3"
    result = run_workload(tmp_path, canary, f"sqlite:///{database}")
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("peluit.sqlite3*"))  # the file, its WAL and SHM
    assert CONTROL in raw, "positive control: the scan must see the database content"
    assert leaks(raw, canary) == 0
    assert_no_canary(tmp_path, canary, result)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.mark.skipif(not os.environ.get("PELUIT_PG_DUMP_URL"), reason="set PELUIT_PG_DUMP_URL to test pg_dump")
def test_canary_absent_from_pg_dump(tmp_path: Path) -> None:
    import psycopg

    admin_url = os.environ["PELUIT_PG_DUMP_URL"]
    name = f"peluit_canary_{uuid.uuid4().hex[:12]}"
    canary = f"KANARI{uuid.uuid4().hex}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        url = _with_database(admin_url, name)
        result = run_workload(tmp_path, canary, url)
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--dbname", url], capture_output=True, timeout=300, check=True
        ).stdout
        assert CONTROL in dump, "positive control: the dump must hold the database content"
        assert b"\\x" in dump  # bytea columns are dumped as hex: the hex form of the canary is searched too
        assert leaks(dump, canary) == 0
        assert_no_canary(tmp_path, canary, result)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
