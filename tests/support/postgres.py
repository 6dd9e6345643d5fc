"""Dropping a throw-away PostgreSQL database that a test made, also while the server's own processes use it."""

from __future__ import annotations

import time

import psycopg

# A freshly made and migrated database draws an autovacuum worker. ``DROP DATABASE ... WITH (FORCE)`` must end
# every session on it, and the test's role may not end a superuser's worker ("must be a member of the role
# whose process is being terminated"): the worker is done within moments, so the drop is tried again.
DROP_TRIES = 40
DROP_PAUSE = 0.5


def drop_database(admin_url: str, name: str) -> None:
    """Drop database ``name`` through ``admin_url`` (a connection to another database of the same server)."""
    for attempt in range(DROP_TRIES):
        try:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
            if attempt == DROP_TRIES - 1:
                raise
            time.sleep(DROP_PAUSE)
