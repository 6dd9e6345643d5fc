"""Celery tasks of the lifecycles (scheduled daily by Celery beat, see config/settings.py)."""

from __future__ import annotations

from celery import shared_task

from casework.workflow.reminders import send_reminders
from casework.workflow.retention import shred_expired_cases


@shared_task(name="casework.tasks.deadline_reminders", ignore_result=True)  # type: ignore[untyped-decorator]
def deadline_reminders() -> dict[str, int]:
    """Remind the staff working on cases whose clocks are due soon or overdue."""
    run = send_reminders()
    return {"notifications": run.notifications, "emails": run.emails, "email_failures": run.email_failures}


@shared_task(name="casework.tasks.retention_shred", ignore_result=True)  # type: ignore[untyped-decorator]
def retention_shred() -> dict[str, int]:
    """Crypto-shred the closed cases whose retention period has ended (never under a legal hold)."""
    return {"shredded": len(shred_expired_cases())}
