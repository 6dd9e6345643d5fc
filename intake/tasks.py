"""Celery tasks of intake."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from intake.uploads import sweep_upload_folder


@shared_task(name="intake.tasks.housekeeping", ignore_result=True)  # type: ignore[untyped-decorator]
def housekeeping() -> dict[str, int]:
    """Delete files left in the upload folder for more than an hour (run hourly by Celery beat).

    Uploads are spooled nameless, so anything with a name there is a leftover; the hour spares a file some
    other code may be writing right now.
    """
    return {"upload_leftovers": sweep_upload_folder(older_than=timedelta(hours=1))}
