"""Celery tasks of the audit log."""

from __future__ import annotations

from celery import shared_task

from audit.checkpoints import checkpoint_if_grown
from audit.publication import periodic_checkpoint, publish_if_due


@shared_task(name="audit.tasks.checkpoint_if_grown", ignore_result=True)  # type: ignore[untyped-decorator]
def checkpoint_if_grown_task() -> int | None:
    """Sign a checkpoint when the log has grown since the last one (on demand; beat runs ``periodic_checkpoint``)."""
    checkpoint = checkpoint_if_grown()
    return checkpoint.tree_size if checkpoint is not None else None


@shared_task(name="audit.tasks.periodic_checkpoint", ignore_result=True)  # type: ignore[untyped-decorator]
def periodic_checkpoint_task() -> int | None:
    """Beat's checkpoint every ten minutes, on the clock (``audit.publication.periodic_checkpoint``)."""
    checkpoint = periodic_checkpoint()
    return checkpoint.tree_size if checkpoint is not None else None


@shared_task(name="audit.tasks.publish_if_due", ignore_result=True)  # type: ignore[untyped-decorator]
def publish_if_due_task() -> int | None:
    """Sign the checkpoint that opens the current publication period when it is due (run every minute by beat)."""
    checkpoint = publish_if_due()
    return checkpoint.tree_size if checkpoint is not None else None
