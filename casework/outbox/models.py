"""The outbox's one table: a Celery task waiting to be sent to the broker, or sent recently."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class QueuedTask(models.Model):
    """A Celery task a use case asked for, written in the use case's own transaction.

    Only the task's name and ids travel: ``args`` holds strings of at most 64 letters, digits, ``-``, ``_`` or
    ``:`` and integers (``casework.outbox.relay.enqueue`` refuses anything else), never report content. The row's
    id is the Celery task id. ``sent_at`` is set once the broker took the message; sent rows are deleted after
    a week by the relay.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.CharField(max_length=100)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # A relay that is sending the row holds it until then; another relay leaves it alone meanwhile.
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The class of the last broker error (never its message: it could name hosts or credentials).
    last_error = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at", "created_at"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.task} {self.pk}"
