"""Write transactions that wait their turn: a submission is tried again while the database is busy.

A reporter's submission must never be lost to a lock. On SQLite every write transaction holds the single
writer lock, and a writer that waits longer than the busy timeout gets "database is locked"; on PostgreSQL a
lock wait can end in a deadlock or lock timeout. ``run_in_transaction`` runs the whole write again (in a new
transaction) for as long as ``PELUIT_WRITE_RETRY_SECONDS`` allows; only then does the error reach the
caller (the project answers it with a 503, ``config/faults.py``, never a 500). Everything slow (Argon2id,
sealing, encrypting files) happens before, so the transaction itself is short and retrying it is cheap.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, OperationalError, transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")

# PostgreSQL: serialization failure, deadlock, lock not available. Not a statement cut off by the statement
# timeout (57014): it has already waited its whole allowance (PELUIT_DB_STATEMENT_TIMEOUT), so trying again
# would keep a reporter waiting several allowances long; it answers the 503 at once (issue 9 item 8).
_POSTGRES_BUSY = {"40001", "40P01", "55P03"}
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def is_busy(exc: BaseException) -> bool:
    """Return True when ``exc`` says the database was busy (a lock), so the same write may succeed later."""
    if not isinstance(exc, DatabaseError):
        return False
    if isinstance(exc, OperationalError) and any(text in str(exc).lower() for text in _SQLITE_BUSY):
        return True
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) in _POSTGRES_BUSY


def retry_seconds() -> float:
    """Return how long a write is tried again while the database is busy (``PELUIT_WRITE_RETRY_SECONDS``)."""
    return float(getattr(settings, "PELUIT_WRITE_RETRY_SECONDS", 60))


def _pause(seconds: float) -> None:
    """Wait before the next try (a function of its own so a test can act while a submission waits)."""
    time.sleep(seconds)


def run_in_transaction(write: Callable[[], T]) -> T:
    """Return ``write()`` run in its own transaction, tried again while the database is busy.

    ``write`` must be safe to run again after a rollback (it builds its rows anew each time). Inside a
    transaction the caller already holds, it runs once, without retrying (the outer transaction is the one
    that would have to start again).
    """
    if transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return write()
    deadline = time.monotonic() + retry_seconds()
    delay = 0.05
    attempt = 1
    while True:
        try:
            with transaction.atomic():
                return write()
        except DatabaseError as exc:
            if not is_busy(exc) or time.monotonic() + delay > deadline:
                raise
            logger.warning("database busy (attempt %d): %s; trying again", attempt, type(exc).__name__)
        # Spread the retries of concurrent writers so they do not collide again in step.
        _pause(delay * random.uniform(0.5, 1.5))  # jitter, not a secret
        delay = min(delay * 2, 1.0)
        attempt += 1
