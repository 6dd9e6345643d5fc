"""Put background work into the outbox (``enqueue``) and send it to the broker (``relay_pending``).

``enqueue`` writes a ``QueuedTask`` row inside the caller's transaction and asks for one quick attempt to send
it once that transaction has committed. The attempt talks to the broker over a connection of its own whose
every wait is bounded by ``PELUIT_BROKER_TIMEOUT`` seconds, and never raises: when the broker is down or
silent the use case has already succeeded, the row waits, and for ``PELUIT_BROKER_RETRY_SECONDS`` this process
does not try again on commit (so a broker outage costs one request a few seconds, not every request).
``relay_pending`` (Celery beat's scheduler every ``PELUIT_OUTBOX_SWEEP_SECONDS``, a worker when it starts,
``manage.py relay_outbox``) sends whatever waits, oldest first.

Delivery is at least once: a message can be sent twice when a relay dies between the broker's answer and
marking the row, so every task sent through here must be idempotent (the export claims its row, reminders
exist once per person and clock, a checkpoint is signed only when the log has grown).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from casework.outbox.models import QueuedTask

logger = logging.getLogger(__name__)

# A relay holds a row this long while sending it; then another relay may take it.
LEASE = timedelta(seconds=60)
# Sent rows are kept this long (for operators), then deleted by the relay.
KEEP_SENT = timedelta(days=7)
# At most this many rows per relay run; the next run takes the rest.
BATCH = 500
# Task arguments are ids: short tokens or integers, never content.
REDIS_SCHEMES = {"redis", "rediss", "sentinel", "sentinels"}
_ID = re.compile(r"^[A-Za-z0-9_:-]{1,64}$")

_state = threading.Lock()
_skip_until = 0.0  # monotonic time until which on-commit attempts are skipped (the broker was just down)


@dataclass
class RelayRun:
    """What one relay run did."""

    sent: int = 0
    waiting: int = 0
    failed: bool = False


def _check_args(args: Sequence[object]) -> list[str | int]:
    checked: list[str | int] = []
    for arg in args:
        if isinstance(arg, bool) or not isinstance(arg, int | str):
            raise TypeError("outbox task arguments are ids: strings or integers")
        if isinstance(arg, str) and not _ID.match(arg):
            raise ValueError("outbox task arguments are ids of at most 64 letters, digits, '-', '_' or ':'")
        checked.append(arg)
    return checked


def enqueue(*, task: str, args: Sequence[str | int] = (), once: bool = False) -> QueuedTask | None:
    """Record the Celery task ``task`` with ``args`` in the current transaction; send it once that commits.

    Must run inside ``transaction.atomic`` (the row commits or rolls back with the use case). With ``once``,
    nothing is added while an unsent row of the same task waits (for periodic work, where one run does what
    several missed runs would). Returns the row, or None when ``once`` found one waiting.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("enqueue() belongs inside the use case's transaction")
    checked = _check_args(args)
    if once and QueuedTask.objects.filter(task=task, sent_at__isnull=True).exists():
        return None
    row = QueuedTask.objects.create(task=task, args=checked)
    transaction.on_commit(lambda: send_soon(ids=[row.pk]))
    return row


def send_soon(*, ids: Sequence[Any]) -> int:
    """Try once, quickly, to send the rows ``ids`` (the on-commit attempt); return how many were sent.

    Never raises: the use case has committed and its answer must not depend on the broker.
    """
    if time.monotonic() < _skip_until:
        return 0
    try:
        return _relay(QueuedTask.objects.filter(pk__in=list(ids))).sent
    except Exception as exc:  # the outbox row waits for the relay; the request goes on
        logger.warning("outbox: sending on commit failed (%s); the relay sends it later", type(exc).__name__)
        return 0


def relay_pending(*, limit: int = BATCH) -> RelayRun:
    """Send every waiting task, oldest first (at most ``limit``), and forget rows sent over a week ago.

    Never raises; a broker that is still down leaves the rows waiting for the next run.
    """
    if not transaction.get_connection().in_atomic_block:  # a long-lived beat: drop a broken or old connection
        close_old_connections()
    try:
        QueuedTask.objects.filter(sent_at__lt=timezone.now() - KEEP_SENT).delete()
        run = _relay(QueuedTask.objects.all(), limit=limit)
    except Exception as exc:
        logger.warning("outbox: relay run failed (%s)", type(exc).__name__)
        return RelayRun(failed=True, waiting=_waiting_quietly())
    run.waiting = _waiting_quietly()
    return run


def waiting() -> int:
    """Return how many tasks wait to be sent."""
    return QueuedTask.objects.filter(sent_at__isnull=True).count()


def _waiting_quietly() -> int:
    try:
        return waiting()
    except Exception:
        return -1


def _relay(queryset: Any, *, limit: int = BATCH) -> RelayRun:
    global _skip_until
    run = RelayRun()
    rows = list(queryset.filter(sent_at__isnull=True).order_by("created_at")[:limit])
    if not rows:
        return run
    app = current_app
    with _broker(app) as connection:
        for row in rows:
            if not _lease(row):
                continue
            try:
                _send(app, connection, row)
            except Exception as exc:
                _release(row, exc)
                with _state:
                    _skip_until = time.monotonic() + settings.PELUIT_BROKER_RETRY_SECONDS
                logger.warning("outbox: the broker did not take %s (%s); it waits", row.task, type(exc).__name__)
                run.failed = True
                return run
            QueuedTask.objects.filter(pk=row.pk).update(sent_at=timezone.now(), leased_until=None)
            run.sent += 1
    with _state:
        _skip_until = 0.0
    return run


@contextmanager
def _broker(app: Any) -> Iterator[Any]:
    """A broker connection of its own whose connect, read and write each wait at most PELUIT_BROKER_TIMEOUT."""
    if app.conf.task_always_eager:  # tests: tasks run here, as ``delay`` would run them
        yield None
        return
    timeout = float(settings.PELUIT_BROKER_TIMEOUT)
    options: dict[str, float] = {"max_retries": 0}
    scheme = str(app.conf.broker_write_url or app.conf.broker_url).split(":", 1)[0]
    if scheme in REDIS_SCHEMES:  # Redis also reads and writes with a timeout (a silent server is not a hang)
        options |= {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    connection = app.connection_for_write(connect_timeout=timeout, transport_options=options)
    try:
        yield connection
    finally:
        connection.release()


def _send(app: Any, connection: Any, row: QueuedTask) -> None:
    if connection is None:
        app.tasks[row.task].apply(args=row.args, task_id=str(row.pk))
        return
    # No result is ever read through the outbox; asking for one would subscribe on the result backend first,
    # an unbounded wait of its own when the backend is the silent Redis.
    producer = app.amqp.Producer(connection)
    app.send_task(row.task, args=row.args, task_id=str(row.pk), producer=producer, retry=False, ignore_result=True)


def _lease(row: QueuedTask) -> bool:
    """Take the row for this relay (a conditional UPDATE, its own short transaction); False if another has it."""
    now = timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    taken = QueuedTask.objects.filter(free, pk=row.pk, sent_at__isnull=True).update(
        leased_until=now + LEASE, attempts=F("attempts") + 1
    )
    return bool(taken)


def _release(row: QueuedTask, exc: BaseException) -> None:
    QueuedTask.objects.filter(pk=row.pk).update(leased_until=None, last_error=type(exc).__name__[:100])
