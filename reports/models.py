"""Exports made in the background (recap, audit-trail) and kept for the person who asked for them.

Only kinds without sealed content are stored: their PDFs hold statistics and audit events, which auditors
may read anyway. Content kinds (dossier, kpk-forwarding, forwarding) are never stored (reports/services.py).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.models import Organisation
from reports.kinds import ExportKind


class ReportExport(models.Model):
    """One export asked for in the console: its parameters, progress and, when done, the signed PDF."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=32, choices=ExportKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="report_exports",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    language = models.CharField(max_length=8, default="id")
    # Parameters
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("to"), null=True, blank=True)
    case_ref = models.CharField(_("case"), max_length=64, blank=True)
    case_kind = models.CharField(_("kind of report"), max_length=16, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("organisation")
    )
    # Progress and result
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    pdf = models.BinaryField(null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    pades_level = models.CharField(_("PAdES level"), max_length=8, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report export")
        verbose_name_plural = _("report exports")
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="reports_export_owner_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def finished(self) -> bool:
        """True when the export is ready or failed (the progress page stops refreshing)."""
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def filename(self) -> str:
        """Return the download name, e.g. ``peluit-recap-2026-01-01-2026-03-31.pdf``."""
        parts = ["peluit", self.kind]
        if self.case_ref:
            parts.append(self.case_ref)
        if self.period_start and self.period_end:
            parts += [self.period_start.isoformat(), self.period_end.isoformat()]
        return "-".join(parts) + ".pdf"
