"""Celery tasks of the reports package; routed to the ``reports`` queue (CELERY_TASK_ROUTES).

Only kinds without sealed content run here, and the task's only argument is the export's id: no keys, no
plaintext, no parameters that could hold content ever travel through the broker.
"""

from __future__ import annotations

from celery import shared_task

from reports import services


@shared_task(name="reports.tasks.generate_export", ignore_result=True)  # type: ignore[untyped-decorator]
def generate_export(export_id: str) -> None:
    """Make the queued export ``export_id`` (recap or audit-trail) and store the signed PDF on its row."""
    services.run_export(export_id=export_id)
