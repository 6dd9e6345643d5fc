"""Database-vendor details of the audit log: the append-only guard's escape hatch for test flushes, the
writer lock, and the privileges of a PostgreSQL application role.

The triggers installed by migration 0002 reject every UPDATE and DELETE (and TRUNCATE on PostgreSQL) on the
audit tables. Test databases must still be emptied between transactional tests (Django's ``flush``), so the
triggers let a DELETE/TRUNCATE through when a per-connection flag is set:

- SQLite: the trigger calls ``peluit_audit_flush()``, a function this module registers on every connection
  Django opens; it returns 1 only while ``allow_flush`` is active on that connection. A connection that does not
  come from Django (e.g. the ``sqlite3`` shell) has no such function, so its DELETE fails too.
- PostgreSQL: the trigger reads the session setting ``peluit.audit_flush``. Any session may set it, which is
  why production also runs the application under a role without DELETE/TRUNCATE on these tables (see
  ``app_role_statements`` and docs/audit.md).

``allow_flush`` is used only by the ``flush`` command override, and only when pytest is running a test on a
test database (``flush_allowed_here``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.creation import TEST_DATABASE_PREFIX
from django.db.backends.signals import connection_created
from django.dispatch import receiver

AUDIT_TABLES = ("audit_auditevent", "audit_auditcheckpoint")
SQLITE_FLUSH_FUNCTION = "peluit_audit_flush"
POSTGRES_FLUSH_SETTING = "peluit.audit_flush"
_FLAG_ATTRIBUTE = "_peluit_audit_flush"
# pg_advisory_xact_lock key that serialises writers of the audit log ("peluit" in ASCII).
WRITER_LOCK_KEY = 0x7065_6C75_6974


@receiver(connection_created)
def _register_sqlite_function(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Give every SQLite connection the flag function the append-only triggers call."""
    if connection.vendor != "sqlite":
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


def flush_allowed_here(connection: BaseDatabaseWrapper) -> bool:
    """Return True only while pytest runs a test (``PYTEST_CURRENT_TEST``) against a test database."""
    return bool(os.environ.get("PYTEST_CURRENT_TEST")) and is_test_database(connection)


@contextmanager
def allow_flush(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Let DELETE/TRUNCATE through the append-only triggers on ``connection`` for the duration of the block."""
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
