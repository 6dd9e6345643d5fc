"""Celery tasks of casework, gathered here so ``app.autodiscover_tasks()`` finds them."""

from casework.workflow.tasks import deadline_reminders, retention_shred

__all__ = ["deadline_reminders", "retention_shred"]
