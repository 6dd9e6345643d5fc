"""What intake stores of its own: only the spent one-time tokens of submitted forms (no reporter data)."""

from __future__ import annotations

from django.db import models


class SubmissionToken(models.Model):
    """The hash of a form's one-time token, kept for two days so a re-sent form files no second report.

    The token is random and printed in the form page; nothing here links it to a reporter or a case.
    """

    digest = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"submission token used {self.used_at:%Y-%m-%d %H:%M}"
