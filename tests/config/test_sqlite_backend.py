"""The SQLite backend keeps connections between requests and drops one whose database file was replaced."""

from __future__ import annotations

import shutil
import sqlite3
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
