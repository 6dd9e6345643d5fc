"""The SQLite backend keeps connections between requests and drops one whose database file was replaced."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from config.sqlite.base import DatabaseWrapper


def _wrapper(path: Path) -> DatabaseWrapper:
    settings = {
        "ENGINE": "config.sqlite",
        "NAME": str(path),
        "OPTIONS": {},
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TIME_ZONE": None,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    return DatabaseWrapper(settings, alias="sqlite_backend_test")


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker: Any) -> Any:
    # These tests open their own scratch databases, never the test database.
    with django_db_blocker.unblock():
        yield


def test_a_kept_connection_is_usable_while_its_file_stays(tmp_path: Path) -> None:
    database = tmp_path / "peluit.sqlite3"
    sqlite3.connect(database).close()
    wrapper = _wrapper(database)
    wrapper.ensure_connection()
    try:
        assert wrapper.is_usable()
        with wrapper.cursor() as cursor:  # writing through it changes nothing about which file it is
            cursor.execute("CREATE TABLE t (x)")
        assert wrapper.is_usable()
    finally:
        wrapper.close()


def test_a_replaced_or_missing_file_makes_the_kept_connection_unusable(tmp_path: Path) -> None:
    database = tmp_path / "peluit.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE t (x)")
    wrapper = _wrapper(database)
    wrapper.ensure_connection()
    try:
        moved = tmp_path / "moved.sqlite3"
        shutil.move(database, moved)
        assert not wrapper.is_usable(), "no file at the path any more"
        database.write_bytes(b"")
        assert not wrapper.is_usable(), "another file at the path"
        database.unlink()
        shutil.move(moved, database)
        assert wrapper.is_usable(), "the same file back in place"
    finally:
        wrapper.close()


def _served(code: str, tmp_path: Path, **environment: str) -> Any:
    """Run ``code`` in a fresh process with Peluit's own settings on a SQLite database in ``tmp_path``/var (no
    DATABASE_URL, as ``bin/run`` serves it); return the JSON its last line prints."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", PELUIT_VAR_DIR=str(tmp_path / "var"), **environment)
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=True, timeout=60)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_embedded_database_runs_with_the_pragmas_the_settings_name(tmp_path: Path) -> None:
    """A served SQLite database (config/settings.py, no DATABASE_URL) is in WAL mode, reads through a memory
    map and copies its WAL back every 10,000 pages (docs/decisions.md): read back from a real connection."""
    code = (
        "import json, django; django.setup(); from django.db import connection; c = connection.cursor(); "
        "print(json.dumps({p: c.execute(f'PRAGMA {p}').fetchone()[0] for p in "
        "('journal_mode', 'synchronous', 'wal_autocheckpoint', 'mmap_size', 'secure_delete')}))"
    )
    pragmas = _served(code, tmp_path)
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "wal_autocheckpoint": 10000,
        "mmap_size": 1073741824,
        "secure_delete": 1,
    }


def test_a_shred_leaves_no_deleted_key_in_the_database_files(tmp_path: Path) -> None:
    """Rows deleted by a crypto-shred leave the disk: the freed pages are zeroed (secure_delete) and the WAL,
    copied back only every 10,000 pages, is emptied (``vault.sealing.empty_sqlite_wal``)."""
    secret = "5ec2e7-wrapped-key-" * 20
    # Read the files while the connection is still open: the last connection to close checkpoints by itself.
    code = (
        "import glob, json, os, django; django.setup(); from django.db import connection\n"
        "from vault.sealing import empty_sqlite_wal\n"
        "def seen(): return any(os.environ['SECRET'].encode() in open(p, 'rb').read()"
        " for p in glob.glob(os.environ['PELUIT_VAR_DIR'] + '/peluit.sqlite3*'))\n"
        "c = connection.cursor(); c.execute('CREATE TABLE k (v BLOB)')\n"
        "c.execute('INSERT INTO k VALUES (%s)', [os.environ['SECRET'].encode()])\n"
        "c.execute('DELETE FROM k')\n"
        "before = seen(); empty_sqlite_wal(); print(json.dumps([before, seen()]))\n"
    )
    before, after = _served(code, tmp_path, SECRET=secret)
    assert before, "the deleted row is still in the WAL before it is emptied (else this test proves nothing)"
    assert not after, "the deleted row is on disk after the WAL was emptied"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT %s, '%%s', 'a%%b' WHERE 1 = %s",
        "INSERT INTO t (a, b) VALUES (%s, %s), (%s, %s)",
        "SELECT 'no placeholders here'",
        "SELECT 100%% || %s",
    ],
)
def test_a_statements_placeholders_are_translated_as_django_translates_them_and_kept(query: str) -> None:
    from django.db.backends.sqlite3.base import SQLiteCursorWrapper as DjangosCursor

    from config.sqlite import base as ours

    connection = sqlite3.connect(":memory:")
    try:
        django_cursor = connection.cursor(factory=DjangosCursor)
        our_cursor = connection.cursor(factory=ours.SQLiteCursorWrapper)
        assert our_cursor.convert_query(query) == django_cursor.convert_query(query)
        assert our_cursor.convert_query("SELECT %(a)s", param_names=["a"]) == "SELECT :a"  # named: Django's
        hits = ours._qmark.cache_info().hits
        our_cursor.convert_query(query)
        assert ours._qmark.cache_info().hits == hits + 1
    finally:
        connection.close()


def test_the_kept_translation_runs_statements_with_their_values(tmp_path: Path) -> None:
    wrapper = _wrapper(tmp_path / "db.sqlite3")
    try:
        with wrapper.cursor() as cursor:
            from config.sqlite import base as ours

            assert isinstance(cursor.cursor, ours.SQLiteCursorWrapper)
            cursor.execute("SELECT %s || '%%' || %s", ["a", "b"])
            assert cursor.fetchone() == ("a%b",)
            cursor.execute("SELECT %s || '%%' || %s", ["c", "d"])
            assert cursor.fetchone() == ("c%d",)
    finally:
        wrapper.close()
