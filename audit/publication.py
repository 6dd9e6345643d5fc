"""Which signed checkpoints the public sees: at most one a period, signed in the period's first minutes.

``/audit/checkpoint`` needs no login. If it served every checkpoint, anyone fetching it every few minutes on
a quiet log would see the tree grow by the handful of events one submission writes, and so place a report to
within minutes: finer than the hour its stored times keep (``audit.clock``). So the public sees only the
checkpoints that open a period: the first one signed in the first ``PUBLICATION_SLACK`` seconds after a
boundary, where periods are ``publication_period()`` seconds long and counted from local midnight, like the
reporter times. Between two published checkpoints lie at least ``period - PUBLICATION_SLACK`` seconds, so the
growth between them says no more about when a report came in than the stored hour does.

The other checkpoints (Celery beat's ten-minute ones, every export's, "Sign a checkpoint now") are signed and
stored as before: the console, ``audit_verify`` and the exports use them. Witnesses see only published ones,
and ``/audit/proof`` proves only up to a published size (from any older size, so a checkpoint held
from a PDF can still be proved consistent with a later published one).

Which checkpoint opens a period follows from the signed times alone (the signed notes, not the unsigned
``created_at``): times never decrease along the checkpoints, so a checkpoint opens its period when it was
signed in the period's first minutes and the checkpoint before it was signed before the period began. Beat
runs ``publish_if_due`` every minute, which signs the opening checkpoint when the log grew since the last
published one.

With a granularity of one second (exact reporter times, nothing to hide) every checkpoint is published.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from audit import clock
from audit.checkpoints import (
    CheckpointAltered,
    checked_checkpoint,
    checked_row,
    create_checkpoint,
    latest_to_extend,
    log_size,
    signed_time,
)
from audit.db import lock_writers, undecodable_text_raises
from audit.models import AuditCheckpoint

# Seconds after a period's boundary in which its opening checkpoint must be signed. Beat asks every minute;
# signing verifies the whole log first (seconds on a large log), so the margin is generous.
PUBLICATION_SLACK = 300
# Published checkpoints are never closer together than this (Celery beat's cadence for checkpoints).
SHORTEST_PERIOD = 600
# Rows read at a time while looking for the latest published checkpoint.
_BATCH = 32


def publication_period() -> int | None:
    """Return the seconds between published checkpoints, or None when every checkpoint is published.

    The reporter time granularity, at least ten minutes; None for a granularity of one second (exact times).
    Both divide a day, so the periods line up with the reporter times' windows.
    """
    granularity = clock.granularity()
    return None if granularity == 1 else max(granularity, SHORTEST_PERIOD)


def opens_period(signed_at: datetime | None, previous_signed_at: datetime | None, period: int) -> bool:
    """Return True when a checkpoint signed at ``signed_at`` opens its period of ``period`` seconds.

    That is: it was signed in the first ``PUBLICATION_SLACK`` seconds after the period's boundary, and the
    checkpoint before it (signed at ``previous_signed_at``; None for the first checkpoint) before the boundary.
    A checkpoint whose note holds no time opens nothing.
    """
    if signed_at is None:
        return False
    start = clock.coarse(signed_at, seconds=period)
    if signed_at - start >= timedelta(seconds=PUBLICATION_SLACK):
        return False
    return previous_signed_at is None or previous_signed_at < start


def latest_published() -> AuditCheckpoint | None:
    """Return the latest checkpoint the public may see (``/audit/checkpoint``), or None when there is none yet.

    Raises ``CheckpointAltered`` when a row read on the way was edited (as ``checked_checkpoint`` does).
    Reads the checkpoints from the latest back to the published one: on a running installation the few
    signed since the period began.
    """
    period = publication_period()
    rows = AuditCheckpoint.objects.defer("created_at").order_by("-tree_size")
    newer: AuditCheckpoint | None = None
    offset = 0
    while True:
        with undecodable_text_raises(CheckpointAltered()):
            batch = [checked_row(row) for row in rows[offset : offset + _BATCH]]
        for row in batch:
            if period is None:
                return row
            if newer is not None and opens_period(signed_time(newer), signed_time(row), period):
                return newer
            newer = row
        if len(batch) < _BATCH:
            break
        offset += _BATCH
    if newer is not None and period is not None and opens_period(signed_time(newer), None, period):
        return newer
    return None


def published(tree_size: int) -> AuditCheckpoint | None:
    """Return the checkpoint of ``tree_size`` if the public may see it, else None (none of that size, or not published).

    Both answers look alike from outside, so ``/audit/proof`` does not tell which sizes were signed.
    Raises ``CheckpointAltered`` as ``checked_checkpoint`` does.
    """
    checkpoint = checked_checkpoint(tree_size)
    period = publication_period()
    if checkpoint is None or period is None:
        return checkpoint
    previous = AuditCheckpoint.objects.defer("created_at").filter(tree_size__lt=tree_size).order_by("-tree_size")
    with undecodable_text_raises(CheckpointAltered()):
        before = previous.first()
    previous_at = signed_time(checked_row(before)) if before is not None else None
    return checkpoint if opens_period(signed_time(checkpoint), previous_at, period) else None


def publish_if_due() -> AuditCheckpoint | None:
    """Sign the checkpoint that opens the current period, when it is due; return it, or None.

    Due in a period's first ``PUBLICATION_SLACK`` seconds when no checkpoint was signed since the period began
    and the log grew since the latest published checkpoint. Run every minute by Celery beat. Raises
    ``AuditError`` as ``create_checkpoint`` does.
    """
    period = publication_period()
    if period is None:
        return None
    now = timezone.now()
    start = clock.coarse(now, seconds=period)
    if now - start >= timedelta(seconds=PUBLICATION_SLACK):
        return None
    with transaction.atomic():
        lock_writers(transaction.get_connection())
        latest = latest_to_extend()
        latest_at = signed_time(latest) if latest is not None else None
        if latest_at is not None and latest_at >= start:
            return None  # this period's opening checkpoint was signed already (or a later one, if the clock ran back)
        try:
            shown = latest_published()
        except CheckpointAltered:
            shown = None  # create_checkpoint refuses what it must; an old edited row does not stop publication
        size = log_size()
        if size == 0 or (shown is not None and shown.tree_size >= size):
            return None
        return create_checkpoint()
