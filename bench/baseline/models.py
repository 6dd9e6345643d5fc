"""The baseline's one table (created by ``migrate --run-syncdb``; the app has no migrations on purpose)."""

from django.db import models


class PlainReport(models.Model):  # noqa: DJ008 - never shown
    """A report stored as it came: plaintext JSON, the opposite of everything Peluit stands for."""

    kind = models.CharField(max_length=20)
    received_at = models.DateTimeField()
    content = models.TextField()
