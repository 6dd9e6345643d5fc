"""Which signed checkpoints the public sees: one a period, signed at the period's start whatever reporters did.

``/audit/checkpoint`` needs no login. If it served every checkpoint (Celery beat's ten-minute ones, every
export's), anyone fetching it every few minutes on a quiet log would see the tree grow by the handful of events
one submission writes, and place a report to within minutes: finer than the hour its stored times keep
(``audit.clock``). So the public sees only **published** checkpoints:

- Beat asks ``publish_if_due`` every minute. In a period's first ``publication_slack()`` seconds it signs one
  checkpoint, recorded with the event ``audit.checkpoint_published`` (the checkpoint's own last leaf), when the
  log grew **before the period began** since the last published checkpoint. Growth after the boundary waits for
  the next period: otherwise a report in a period's first minutes after a quiet period would be published at
  the next minute's tick, and placed to the minute (outside probe, stop 28). So when a checkpoint is published
  depends only on the clock and on beat, never on when a report came in.
- Periods are ``publication_period()`` seconds long (the reporter time granularity, at least ten minutes),
  counted from local midnight like the reporter times. Two published checkpoints are at least
  ``period - slack`` apart.
- The other checkpoints are signed and stored as before (the console, ``audit_verify`` and the exports use
  them), but never served publicly: ``/audit/proof`` proves only up to a published size, from any older size,
  and answers a signed but unpublished size as it answers one never signed, in the same time (one lookup by
  primary key either way). ``/audit/cosignature`` accepts only published checkpoints.

The published mark is an event in the hash-chained log, so it cannot be edited away unnoticed. With a
granularity of one second (exact reporter times, nothing to hide) every checkpoint is published.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from audit import clock
from audit.actions import Action
from audit.checkpoints import CheckpointAltered, checked_checkpoint, create_checkpoint
from audit.db import lock_writers, undecodable_text_raises
from audit.models import AuditCheckpoint, AuditEvent

# Published checkpoints are never closer together than this (Celery beat's cadence for checkpoints).
SHORTEST_PERIOD = 600
# At most this many seconds after a period's boundary may its checkpoint be signed; beat asks every minute.
LONGEST_SLACK = 300


def publication_period() -> int | None:
    """Return the seconds between published checkpoints, or None when every checkpoint is published.

    The reporter time granularity when it is ten minutes or more; below that, its smallest multiple of at least
    ten minutes that divides a day (so periods line up with the reporter time windows); None for a granularity
    of one second (exact times).
    """
    granularity = clock.granularity()
    if granularity == 1:
        return None
    period = granularity
    while period < SHORTEST_PERIOD or clock.DAY_SECONDS % period:
        period += granularity
    return period


def publication_slack(period: int) -> int:
    """Return how many seconds after a period's boundary its checkpoint may still be signed (at most a tenth)."""
    return min(LONGEST_SLACK, period // 10)


def _published_seqs() -> list[int]:
    """Return the sequence number of the latest ``audit.checkpoint_published`` event (a list of at most one)."""
    events = AuditEvent.objects.filter(action=Action.CHECKPOINT_PUBLISHED).order_by("-seq")
    with undecodable_text_raises(CheckpointAltered()):
        return list(events.values_list("seq", flat=True)[:1])


def latest_published() -> AuditCheckpoint | None:
    """Return the latest checkpoint the public may see (``/audit/checkpoint``), or None when there is none yet.

    Raises ``CheckpointAltered`` when its row was edited or is gone (the log says it was published).
    """
    if publication_period() is None:
        return checked_checkpoint()
    seqs = _published_seqs()
    if not seqs:
        return None
    return _row_of(seqs[0])


def published(tree_size: int) -> AuditCheckpoint | None:
    """Return the checkpoint of ``tree_size`` if the public may see it, else None (none of that size, or not published).

    One lookup by primary key decides, so neither the answer nor its time tells a signed but unpublished size
    from one never signed. Raises ``CheckpointAltered`` as ``checked_checkpoint`` does.
    """
    if publication_period() is None:
        return checked_checkpoint(tree_size)
    with undecodable_text_raises(CheckpointAltered()):
        marked = AuditEvent.objects.filter(seq=tree_size, action=Action.CHECKPOINT_PUBLISHED).exists()
    return _row_of(tree_size) if marked else None


def _row_of(tree_size: int) -> AuditCheckpoint:
    """The stored checkpoint the log marks as published at ``tree_size``; ``CheckpointAltered`` if it is not whole."""
    if not isinstance(tree_size, int):  # SQLite: an edited seq
        raise CheckpointAltered
    checkpoint = checked_checkpoint(tree_size)
    if checkpoint is None:
        raise CheckpointAltered  # the event says it was published and signed, and its row is gone
    return checkpoint


def publish_if_due() -> AuditCheckpoint | None:
    """Sign and publish the checkpoint of the current period when it is due; return it, or None.

    Due in a period's first ``publication_slack`` seconds, when no checkpoint was published since the period
    began and the first event after the last published checkpoint was written before the period began. Run
    every minute by Celery beat. Raises ``AuditError`` as ``create_checkpoint`` does.
    """
    period = publication_period()
    if period is None:
        return None
    now = timezone.now()
    start = clock.coarse(now, seconds=period)
    if now - start >= timedelta(seconds=publication_slack(period)):
        return None
    boundary = clock.to_us(start)
    with transaction.atomic():
        lock_writers(transaction.get_connection())
        seqs = _published_seqs()
        last = seqs[0] if seqs else 0
        times = dict(AuditEvent.objects.filter(seq__in=[last, last + 1]).values_list("seq", "at_us"))
        if last and times.get(last, 0) >= boundary:
            return None  # this period's checkpoint is out already
        first_new = times.get(last + 1)
        if first_new is None or first_new >= boundary:
            return None  # nothing written before the boundary since the last one: nothing to publish yet
        return create_checkpoint(publish=True)
