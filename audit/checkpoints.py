"""Signed checkpoints of the audit log: create (on a schedule, on demand, for every export) and read.

A checkpoint is only signed after the whole log verifies (a log must never sign a tree inconsistent with an
earlier checkpoint), and its own ``audit.checkpoint_created`` event is the last leaf it covers, so a quiet log
does not grow checkpoints.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit.actions import Action
from audit.db import lock_writers
from audit.exceptions import AuditError
from audit.models import AuditCheckpoint, AuditEvent
from audit.note import CheckpointBody, checkpoint_text, format_time, signature_line, signed_note
from audit.services import record
from audit.verify import scan_events
from vault import checkpoint_signer


def log_size() -> int:
    """Return the number of events in the log (the highest sequence number)."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    return int(last or 0)


def latest_checkpoint() -> AuditCheckpoint | None:
    """Return the checkpoint with the largest tree size, if any."""
    return AuditCheckpoint.objects.order_by("-tree_size").first()


@transaction.atomic
def create_checkpoint() -> AuditCheckpoint:
    """Record ``audit.checkpoint_created``, verify the log, and sign a checkpoint over all of it.

    Raises ``AuditError`` (and signs nothing) when the log does not verify. Reporters of exports call this to
    embed a fresh checkpoint in each PDF.
    """
    lock_writers(transaction.get_connection())
    event = record(action=Action.CHECKPOINT_CREATED, actor="system", details={"tree_size": log_size() + 1})
    previous = latest_checkpoint()
    report = scan_events(sizes=[previous.tree_size] if previous else [])
    if not report.intact:
        raise AuditError(f"the audit log does not verify; no checkpoint signed: {report.problems[0].message}")
    if previous is not None and report.roots.get(previous.tree_size) != bytes(previous.root_hash):
        raise AuditError(f"the log no longer matches the checkpoint of tree size {previous.tree_size}")
    if report.events != event.seq:
        raise AuditError("the log changed while the checkpoint was being made")
    now = timezone.now()
    verifier = checkpoint_signer.verifier_key()
    text = checkpoint_text(
        CheckpointBody(
            origin=verifier.name,
            tree_size=report.events,
            root_hash=report.root_hash,
            extensions=(format_time(now),),
        )
    )
    signature = checkpoint_signer.sign(text.encode())
    note = signed_note(text, [signature_line(verifier.name, verifier.key_id, signature)])
    return AuditCheckpoint.objects.create(
        tree_size=report.events, root_hash=report.root_hash, created_at=now, note=note
    )


def checkpoint_if_grown() -> AuditCheckpoint | None:
    """Create a checkpoint when events were added since the latest one; return it, or None when there were none."""
    with transaction.atomic():
        lock_writers(transaction.get_connection())
        latest, size = latest_checkpoint(), log_size()
        if size == 0 or (latest is not None and latest.tree_size >= size):
            return None
        return create_checkpoint()


def current_checkpoint() -> AuditCheckpoint:
    """Return the latest checkpoint, creating one first if the log has grown since (or none exists)."""
    return checkpoint_if_grown() or latest_checkpoint() or create_checkpoint()
