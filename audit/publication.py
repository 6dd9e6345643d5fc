"""Which signed checkpoints the public sees: one a period, signed at the period's start whatever reporters did.

``/audit/checkpoint`` needs no login. If it served every checkpoint (Celery beat's ten-minute ones, every
export's), anyone fetching it every few minutes on a quiet log would see the tree grow by the handful of events
one submission writes, and place a report to within minutes: finer than the hour its stored times keep
(``audit.clock``). So the public sees only **published** checkpoints:

- Beat asks ``publish_if_due`` every minute. In a period's first minute (``PUBLICATION_SLACK``) it signs one
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
granularity of one second (exact reporter times, nothing to hide) every checkpoint is published. The public
``/verify/`` page checks a PDF's checkpoint against the published one too (``check_against_published``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from audit import clock, merkle, signing
from audit.actions import Action
from audit.checkpoints import CheckpointAltered, checked_checkpoint, checkpoint_if_grown, create_checkpoint
from audit.db import lock_writers, undecodable_text_raises
from audit.exceptions import AuditError
from audit.models import AuditCheckpoint, AuditEvent
from audit.note import CheckpointBody
from audit.verify import scan_events, verified_body

# Published checkpoints are never closer together than this (Celery beat's cadence for checkpoints).
SHORTEST_PERIOD = 600
# At most this many seconds after a period's boundary may its checkpoint be signed. Beat asks at every minute's
# start, so one tick falls in it: a second tick would publish growth made after the first one looked (a submission
# that was being written at the boundary), placing it to the minute (outside probe, stop 28).
PUBLICATION_SLACK = 60


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


def _latest_published_seq() -> int | None:
    """Return the sequence number of the latest ``audit.checkpoint_published`` event, None when there is none.

    Raises ``CheckpointAltered`` when SQLite holds an edited value there (text where the number belongs).
    """
    events = AuditEvent.objects.filter(action=Action.CHECKPOINT_PUBLISHED).order_by("-seq")
    with undecodable_text_raises(CheckpointAltered()):
        seq = events.values_list("seq", flat=True).first()
    if seq is not None and not isinstance(seq, int):
        raise CheckpointAltered
    return seq


def latest_published() -> AuditCheckpoint | None:
    """Return the latest checkpoint the public may see (``/audit/checkpoint``), or None when there is none yet.

    Raises ``CheckpointAltered`` when its row was edited or is gone (the log says it was published).
    """
    if publication_period() is None:
        return checked_checkpoint()
    seq = _latest_published_seq()
    return None if seq is None else _row_of(seq)


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
    checkpoint = checked_checkpoint(tree_size)
    if checkpoint is None:
        raise CheckpointAltered  # the event says it was published and signed, and its row is gone
    return checkpoint


def periodic_checkpoint() -> AuditCheckpoint | None:
    """Beat's checkpoint every ten minutes; return it, or None when none was signed.

    With publication on (the default) it is signed at every tick, whether or not the log grew. Each checkpoint
    writes an event, and the public sees the growth between two published checkpoints: when the ten-minute
    checkpoints were signed only after growth, their number in an hour told in which ten minutes a report came
    in (an outsider writing events of their own, such as wrong receipts, into all but one slot learnt whether a
    report fell in that one: outside probe, stop 28). Signed on the clock, their number is the same every hour.
    With exact reporter times (nothing published is held back) only when the log grew, as before. Raises
    ``AuditError`` as ``create_checkpoint`` does.
    """
    if publication_period() is None:
        return checkpoint_if_grown()
    return create_checkpoint()


def publish_if_due() -> AuditCheckpoint | None:
    """Sign and publish the checkpoint of the current period when it is due; return it, or None.

    Due in a period's first ``PUBLICATION_SLACK`` seconds, when no checkpoint was published since the period
    began and the first event after the last published checkpoint was written before the period began. Run
    every minute by Celery beat. Raises ``AuditError`` as ``create_checkpoint`` does.
    """
    period = publication_period()
    if period is None:
        return None
    now = timezone.now()
    start = clock.coarse(now, seconds=period)
    if now - start >= timedelta(seconds=PUBLICATION_SLACK):
        return None
    boundary = clock.to_us(start)
    with transaction.atomic():
        lock_writers(transaction.get_connection())
        try:
            last = _latest_published_seq() or 0
        except CheckpointAltered:
            message = "the audit log's published checkpoint was altered; nothing published (run audit_verify)"
            raise AuditError(message) from None
        times = dict(AuditEvent.objects.filter(seq__in=[last, last + 1]).values_list("seq", "at_us"))
        if last and times.get(last, 0) >= boundary:
            return None  # this period's checkpoint is out already
        first_new = times.get(last + 1)
        if first_new is None or first_new >= boundary:
            return None  # nothing written before the boundary since the last one: nothing to publish yet
        return create_checkpoint(publish=True)


@dataclass(frozen=True)
class PublishedCheck:
    """A checkpoint held outside (a PDF's) against the latest published checkpoint.

    ``consistent`` is None when it cannot be told yet: nothing is published, or the held checkpoint is newer
    than the published one (it can be checked after the next publication).
    """

    body: CheckpointBody
    published: AuditCheckpoint | None
    consistent: bool | None
    proof_hashes: int = 0


def check_against_published(note: str) -> PublishedCheck:
    """Check ``note`` (one of our signed checkpoints, e.g. from a PDF) against the latest published checkpoint.

    For the public ``/verify/`` page: the log is read only up to the published size, never to today's, so neither
    the answer nor its time says anything about what was written since the last publication (a first version
    printed today's size, which placed every report to the minute: outside probe, stop 28). Consistent means the
    events up to the published size, each recomputed from its content, give the published checkpoint's signed root
    and, at the held checkpoint's size, the held root (so the one tree is a prefix of the other). Raises
    ``CheckpointInputError`` or ``NoteError`` for text that cannot be used,
    ``CheckpointAltered`` when the published checkpoint's row was altered.
    """
    body = verified_body(note, signing.verifier_key())
    shown = latest_published()
    if shown is None or body.tree_size > shown.tree_size:
        return PublishedCheck(body, shown, None)
    # Every event up to the published size, recomputed from its content (an edited event is caught even when its
    # stored hash was left alone), and the tree's roots at both sizes.
    report = scan_events(sizes=[body.tree_size], upto=shown.tree_size)
    consistent = (
        report.events == shown.tree_size
        and report.root_hash == bytes(shown.root_hash)
        and report.roots.get(body.tree_size) == body.root_hash
    )
    # Equal roots at both sizes are the proof; the page names how many hashes the RFC 9162 proof has.
    hashes = len(merkle.consistency_subtrees(body.tree_size, shown.tree_size)) if consistent else 0
    return PublishedCheck(body, shown, consistent, hashes)
