"""Database-vendor details of the audit log: the append-only guard's test-only escape hatch, the writer
lock, the privileges of a PostgreSQL application role, and SQLite's error for an altered cell it cannot read.

The triggers (migration 0004) reject every UPDATE and DELETE (and TRUNCATE on PostgreSQL) on the audit tables.
A production database has no way around them short of dropping the triggers (which the owner of the schema can
do, and which the hash chain, checkpoints and witnesses are there to catch).

The test suite must still empty its test database between transactional tests (Django's ``flush``). That escape
hatch exists only where two things hold: the settings are the test settings (``PELUIT_AUDIT_TEST_FLUSH``, set in
tests/settings.py and nowhere else) and the database is one Django created for tests (``test_...`` or in memory).
Only then does migration 0004 install the trigger variant that consults a flag, and only then is the flag
reachable:

- SQLite: the test variant's DELETE trigger calls ``peluit_audit_flush()``, a function registered only on such
  connections; it returns 1 only while ``allow_flush`` is active. A production trigger calls no function, so
  defining one on a connection (``create_function``) changes nothing.
- PostgreSQL: the test variant reads the session setting ``peluit.audit_flush`` and also requires
  ``current_database()`` to start with ``test_``; the production function never reads it.

``allow_flush`` is used only by the ``flush`` command override while pytest runs a test (``flush_allowed_here``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.creation import TEST_DATABASE_PREFIX
from django.db.backends.signals import connection_created
from django.dispatch import receiver

AUDIT_TABLES = ("audit_auditevent", "audit_auditcheckpoint", "audit_auditcosignature")
SQLITE_FLUSH_FUNCTION = "peluit_audit_flush"
POSTGRES_FLUSH_SETTING = "peluit.audit_flush"
_FLAG_ATTRIBUTE = "_peluit_audit_flush"
# The test settings' switch (tests/settings.py); never set in config/settings.py, never read from the environment.
TEST_FLUSH_SETTING = "PELUIT_AUDIT_TEST_FLUSH"
# pg_advisory_xact_lock key that serialises writers of the audit log ("peluit" in ASCII).
WRITER_LOCK_KEY = 0x7065_6C75_6974
# How Python's sqlite3 module begins the error for a TEXT cell that holds bytes which are not UTF-8.
_SQLITE_UNDECODABLE = "Could not decode to UTF-8 column"


@receiver(connection_created)
def _register_sqlite_function(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Give a SQLite test connection (test settings, test database) the flag function its triggers call."""
    if connection.vendor != "sqlite" or not test_flush_enabled(connection):
        return

    def flag() -> int:
        return 1 if getattr(connection, _FLAG_ATTRIBUTE, False) else 0

    connection.connection.create_function(SQLITE_FLUSH_FUNCTION, 0, flag)


def is_test_database(connection: BaseDatabaseWrapper) -> bool:
    """Return True when ``connection`` points at a database Django created for tests."""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor == "sqlite":
        return bool(connection.is_in_memory_db()) or os.path.basename(name).startswith(TEST_DATABASE_PREFIX)  # type: ignore[attr-defined]
    test_name = (connection.settings_dict.get("TEST") or {}).get("NAME")
    return name.startswith(TEST_DATABASE_PREFIX) or (bool(test_name) and name == test_name)


def test_flush_enabled(connection: BaseDatabaseWrapper) -> bool:
    """Return True only under the test settings (``PELUIT_AUDIT_TEST_FLUSH``) for a database made for tests."""
    return getattr(settings, TEST_FLUSH_SETTING, False) is True and is_test_database(connection)


def flush_allowed_here(connection: BaseDatabaseWrapper) -> bool:
    """Return True only while pytest runs a test (``PYTEST_CURRENT_TEST``), under the test settings, on a test
    database."""
    return bool(os.environ.get("PYTEST_CURRENT_TEST")) and test_flush_enabled(connection)


@contextmanager
def allow_flush(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Let DELETE/TRUNCATE through the append-only triggers on ``connection`` for the duration of the block.

    Raises ``RuntimeError`` outside the test settings or on a database not made for tests: there the triggers
    have no escape hatch to open.
    """
    if not test_flush_enabled(connection):
        raise RuntimeError("the audit log's flush escape hatch exists only for test databases under the test settings")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [POSTGRES_FLUSH_SETTING])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', false)", [POSTGRES_FLUSH_SETTING])
        return
    setattr(connection, _FLAG_ATTRIBUTE, True)
    try:
        yield
    finally:
        setattr(connection, _FLAG_ATTRIBUTE, False)


def is_undecodable_text(error: BaseException) -> bool:
    """Return True when ``error`` is SQLite failing to read a TEXT cell that is not UTF-8.

    SQLite stores whatever is written into a column, so someone who edits the audit tables can leave text that
    cannot be decoded; every query that reads the cell then fails with an ``OperationalError``. That is an
    altered log, not a database that is unavailable (the same class, which ``config.faults`` answers with a 503),
    so only this message matches; a stopped server or a lost connection never does.
    """
    return isinstance(error, OperationalError) and str(error).startswith(_SQLITE_UNDECODABLE)


@contextmanager
def undecodable_text_raises(error: Exception) -> Iterator[None]:
    """Raise ``error`` when the block meets a TEXT cell SQLite cannot read (``is_undecodable_text``).

    Every other database error passes unchanged, so an unavailable database keeps its 503.
    """
    try:
        yield
    except OperationalError as cause:
        if not is_undecodable_text(cause):
            raise
        raise error from cause


def lock_writers(connection: BaseDatabaseWrapper) -> None:
    """Serialise appends to the log until the current transaction ends.

    PostgreSQL takes a transaction-level advisory lock. SQLite needs nothing: Peluit opens its transactions
    with BEGIN IMMEDIATE, which already holds the single write lock. On both, ``seq`` is the primary key, so a
    race could only ever fail, never fork the chain.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK_KEY])


def app_role_statements(role: str, *, other_tables: bool = True) -> list[str]:
    """Return the SQL that gives a PostgreSQL application role what Peluit needs, and no more on the audit log.

    The role may read and insert audit rows but never UPDATE, DELETE or TRUNCATE them. With ``other_tables``
    it gets full data access to every other table in the schema (migrations still run as the owner).
    ``role`` must be a plain identifier.
    """
    if not role.replace("_", "").isalnum():
        raise ValueError("role must be a plain identifier")
    audit = ", ".join(AUDIT_TABLES)
    statements = []
    if other_tables:
        statements += [
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        ]
    statements += [
        f"REVOKE ALL ON {audit} FROM {role}",
        f"GRANT SELECT, INSERT ON {audit} TO {role}",
    ]
    return statements
