"""Celery tasks of the vault."""

from __future__ import annotations

from celery import shared_task

from vault.attachments import sweep_orphaned_blobs
from vault.followup import purge_expired_followups


@shared_task(name="vault.tasks.housekeeping", ignore_result=True)  # type: ignore[untyped-decorator]
def housekeeping() -> dict[str, int]:
    """Purge expired follow-up sessions and orphaned attachment blobs (run hourly by Celery beat)."""
    return {"followups": purge_expired_followups(), "blobs": sweep_orphaned_blobs()}
