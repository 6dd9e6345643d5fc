"""Celery beat's scheduler: each due task goes through the outbox, and beat relays what waits.

Celery's own scheduler sends a due task straight to the broker and, when the broker is down, logs the error
and waits for the next due time: the morning's deadline reminders would be lost for the day. Here a due task is
written to the outbox (``casework.outbox``; once per task while one waits, since one late run does the work
of the missed ones) and sent at once when the broker answers; every ``PELUIT_OUTBOX_SWEEP_SECONDS`` beat sends
whatever waits, so everything queued while the broker was away runs soon after it is back.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import close_old_connections, transaction

logger = logging.getLogger(__name__)


class OutboxScheduler(PersistentScheduler):  # type: ignore[misc]
    """A persistent beat scheduler that sends through the outbox and relays it."""

    # Celery's scheduler opens a producer (waiting for the broker) before each due task; sending here goes
    # through the outbox's own bounded connection instead, so beat keeps ticking while the broker is down.
    producer = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import django

        django.setup()  # a standalone ``celery beat`` has not set Django up before the scheduler is made
        super().__init__(*args, **kwargs)
        self._next_sweep = 0.0

    def apply_async(self, entry: Any, producer: Any = None, advance: bool = True, **kwargs: Any) -> Any:
        """Write the due ``entry`` to the outbox; it is sent when the transaction commits, or relayed later."""
        from casework.outbox.relay import enqueue

        entry = self.reserve(entry) if advance else entry
        if not transaction.get_connection().in_atomic_block:  # drop a broken or old connection first
            close_old_connections()
        with transaction.atomic():
            return enqueue(task=entry.task, args=list(entry.args), once=True)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        """Run Celery's tick, then a relay run when one is due; return the seconds until the next tick."""
        from casework.outbox.relay import relay_pending

        delay = float(super().tick(*args, **kwargs))
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + settings.PELUIT_OUTBOX_SWEEP_SECONDS
            run = relay_pending()
            if run.sent or run.failed:
                logger.info("outbox relay: %d sent, %d waiting", run.sent, run.waiting)
        return min(delay, max(self._next_sweep - time.monotonic(), 0.5))
