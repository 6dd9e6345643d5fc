"""Shared machinery of the canary tests: run a workload in a subprocess with its own database and folders,
then search everything it left behind for canary strings in every encoding a leak could take."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support.postgres import drop_database

ROOT = Path(__file__).resolve().parents[2]
PG_DUMP_URL = os.environ.get("PELUIT_PG_DUMP_URL", "")
needs_pg_dump = pytest.mark.skipif(not PG_DUMP_URL, reason="set PELUIT_PG_DUMP_URL to test pg_dump")


def encodings(text: str) -> list[bytes]:
    """Return the forms in which a leaked canary would show up: UTF-8, UTF-16 and hex (bytea dumps)."""
    raw = text.encode("utf-8")
    return [raw, text.encode("utf-16-le"), raw.hex().encode(), raw.hex().upper().encode()]


def count(data: bytes, *canaries: str) -> int:
    """Return how often any of ``canaries`` occurs in ``data``, in any of its encodings."""
    return sum(data.count(form) for canary in canaries for form in encodings(canary))


def files_under(*folders: Path) -> Iterator[Path]:
    """Yield every file below ``folders``."""
    for folder in folders:
        yield from (p for p in folder.rglob("*") if p.is_file())


def sqlite_bytes(tmp_path: Path) -> bytes:
    """Return the raw workload database: the SQLite file, its WAL and its shared-memory file."""
    return b"".join(p.read_bytes() for p in tmp_path.glob("peluit.sqlite3*"))


def sqlite_url(tmp_path: Path) -> str:
    """Return the workload's file-backed SQLite database URL."""
    return f"sqlite:///{tmp_path / 'peluit.sqlite3'}"


def run_workload(
    script: Path, tmp_path: Path, database_url: str, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with its own database, var/ and media folders under ``tmp_path``; it must succeed."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PELUIT_VAR_DIR": str(tmp_path / "var"),
        "PELUIT_MEDIA_ROOT": str(tmp_path / "media"),
        # The throttle's store (keyed address hashes) is scanned with everything else.
        "PELUIT_THROTTLE_URL": f"sqlite:///{tmp_path / 'throttle.sqlite3'}",
        "PELUIT_KDF_PROFILE": "test",
        "PELUIT_PEPPER": "canary-test-pepper",
        "PYTHONDONTWRITEBYTECODE": "1",
        **(extra_env or {}),
    }
    result = subprocess.run(
        [sys.executable, str(script), *args],
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


@contextmanager
def scratch_postgres_database(prefix: str, *, beside: str = "") -> Iterator[str]:
    """Create a throw-away PostgreSQL database next to ``beside`` (default ``PELUIT_PG_DUMP_URL``); yield its
    URL; drop it."""
    import psycopg

    server = beside or PG_DUMP_URL
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    finally:
        drop_database(server, name)


def pg_dump(database_url: str) -> bytes:
    """Return the plain-SQL ``pg_dump`` of a database."""
    return subprocess.run(
        ["pg_dump", "--no-owner", "--dbname", database_url], capture_output=True, timeout=300, check=True
    ).stdout
