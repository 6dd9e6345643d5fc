"""Confidentiality canaries (DESIGN.md invariant 2).

A subprocess seals reports whose every field, identity and attachment carries a unique canary, and uses them
the ways the application does (officer reads, grants, escrow, reporter follow-up, a failure that logs).
Then everything it left behind is searched: the raw SQLite file (with its WAL), the ``pg_dump`` output on
PostgreSQL (when ``PELUIT_PG_DUMP_URL`` is set, as in CI), the media folder, the log files and its output.
The canary must appear zero times, in UTF-8, UTF-16 or hex form. The staff usernames, stored in clear on
purpose, are the positive control: they prove the scan reads what it claims to read.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

from tests.reliability.canaries import (
    count,
    files_under,
    needs_pg_dump,
    pg_dump,
    run_workload,
    scratch_postgres_database,
    sqlite_bytes,
    sqlite_url,
)

WORKLOAD = Path(__file__).with_name("canary_workload.py")
CONTROL = b"petugas"  # a staff username: metadata, stored in clear


def assert_no_canary(tmp_path: Path, canary: str, result: subprocess.CompletedProcess[str]) -> None:
    media, logs = tmp_path / "media", tmp_path / "var" / "log"
    blobs = list(files_under(media / "vault"))
    assert len(blobs) == 2, "two encrypted attachments expected"
    assert len(list(files_under(media / "held"))) == 2, "two encrypted held files expected"
    log_files = list(files_under(logs))
    assert log_files, "the workload should have logged (a failure path logs an error)"
    assert b"does not open" in b"".join(p.read_bytes() for p in log_files)  # the error was logged, no content
    found = {str(p.relative_to(tmp_path)): count(p.read_bytes(), canary) for p in files_under(tmp_path)}
    assert {name: n for name, n in found.items() if n} == {}
    assert count((result.stdout + result.stderr).encode(), canary) == 0


def test_canary_absent_from_sqlite_media_and_logs(tmp_path: Path) -> None:
    canary = f"KANARI{uuid.uuid4().hex}"
    result = run_workload(WORKLOAD, tmp_path, sqlite_url(tmp_path), canary)
    raw = sqlite_bytes(tmp_path)
    assert CONTROL in raw, "positive control: the scan must see the database content"
    assert count(raw, canary) == 0
    assert_no_canary(tmp_path, canary, result)


@needs_pg_dump
def test_canary_absent_from_pg_dump(tmp_path: Path) -> None:
    canary = f"KANARI{uuid.uuid4().hex}"
    with scratch_postgres_database("peluit_canary") as url:
        result = run_workload(WORKLOAD, tmp_path, url, canary)
        dump = pg_dump(url)
        assert CONTROL in dump, "positive control: the dump must hold the database content"
        assert b"\\x" in dump  # bytea columns are dumped as hex: the hex form of the canary is searched too
        assert count(dump, canary) == 0
        assert_no_canary(tmp_path, canary, result)
