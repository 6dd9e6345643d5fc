"""Reporter canaries (DESIGN.md invariant 1): a reporter's address and user agent are never stored or logged.

A subprocess drives every reporter path (pages and API, success and failure paths, a throttled client) with
requests carrying ``X-Forwarded-For: 203.0.113.77`` (and the same address as the client address and in the
other forwarding headers) and a unique user agent. Then everything it left behind is searched: the raw
SQLite file with its WAL, the ``pg_dump`` output on PostgreSQL (when ``PELUIT_PG_DUMP_URL`` is set), the
media folder, the log files and the process output. Both canaries must appear zero times, in UTF-8, UTF-16
or hex form. The staff usernames and a logged 404 path are the positive controls.
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

WORKLOAD = Path(__file__).with_name("reporter_canary_workload.py")
ADDRESS = "203.0.113.77"
DB_CONTROL = b"petugas"  # a staff username, stored in clear on purpose
LOG_CONTROL = b"canary-control-404"  # a logged 404 path
# The workload tries wrong receipts on purpose; let it reach the throttle quickly.
WORKLOAD_ENV = {"PELUIT_THROTTLE_RECEIPT_PER_ADDRESS": "6"}


def assert_nothing_left(tmp_path: Path, user_agent: str, result: subprocess.CompletedProcess[str]) -> None:
    assert len(list(files_under(tmp_path / "media" / "vault"))) == 10, "ten encrypted attachments expected"
    assert not list(files_under(tmp_path / "media" / "held")), "held files are deleted once the report is sent"
    logs = b"".join(p.read_bytes() for p in files_under(tmp_path / "var" / "log"))
    assert LOG_CONTROL in logs, "positive control: the log scan must see what was logged"
    found = {str(p.relative_to(tmp_path)): count(p.read_bytes(), ADDRESS, user_agent) for p in files_under(tmp_path)}
    assert {name: n for name, n in found.items() if n} == {}
    output = (result.stdout + result.stderr).encode()
    assert LOG_CONTROL in output  # the console log handler saw the same records
    assert count(output, ADDRESS, user_agent) == 0


def test_reporter_canaries_absent_from_sqlite_media_and_logs(tmp_path: Path) -> None:
    user_agent = f"CanaryBrowser/{uuid.uuid4().hex}"
    result = run_workload(WORKLOAD, tmp_path, sqlite_url(tmp_path), ADDRESS, user_agent, extra_env=WORKLOAD_ENV)
    raw = sqlite_bytes(tmp_path)
    assert DB_CONTROL in raw, "positive control: the scan must see the database content"
    assert count(raw, ADDRESS, user_agent) == 0
    assert_nothing_left(tmp_path, user_agent, result)


@needs_pg_dump
def test_reporter_canaries_absent_from_pg_dump(tmp_path: Path) -> None:
    user_agent = f"CanaryBrowser/{uuid.uuid4().hex}"
    with scratch_postgres_database("peluit_reporter_canary") as url:
        result = run_workload(WORKLOAD, tmp_path, url, ADDRESS, user_agent, extra_env=WORKLOAD_ENV)
        dump = pg_dump(url)
        assert DB_CONTROL in dump, "positive control: the dump must hold the database content"
        assert count(dump, ADDRESS, user_agent) == 0
        assert_nothing_left(tmp_path, user_agent, result)
