"""Celery tasks of intake."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from intake.services import purge_spent_tokens
from intake.uploads import sweep_upload_folder


@shared_task(name="intake.tasks.housekeeping", ignore_result=True)  # type: ignore[untyped-decorator]
def housekeeping() -> dict[str, int]:
    """Delete files left in the upload folder for more than an hour, and spent form tokens older than two days
    (run hourly by Celery beat).

    Uploads are spooled nameless, so anything with a name there is a leftover; the hour spares a file some
    other code may be writing right now. Spent tokens are purged here rather than by each submission, which
    keeps the submission's transaction short.
    """
    return {
        "upload_leftovers": sweep_upload_folder(older_than=timedelta(hours=1)),
        "spent_tokens": purge_spent_tokens(),
    }
