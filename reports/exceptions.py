"""Errors of the reports package. Each carries a message fit to show a staff member (localised, no content)."""

from __future__ import annotations

from django.utils.functional import Promise


class ReportError(Exception):
    """An export that cannot be made; ``message`` says why in the user's language."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)


class ReportInputError(ReportError):
    """Bad input: an unknown kind or case, inverted dates, a redaction passage that is not in the text."""


class ExportRefused(ReportError):
    """The user may not make this export (role, or not a holder of the case key)."""


class SigningUnavailable(ReportError):
    """The signing key is missing or cannot be opened (e.g. a wrong PKCS#12 password)."""


class AuditLogAltered(ReportError):
    """The audit log does not verify or cannot be read (edited behind its back): no export is signed over it."""


class NoPublishedCheckpoint(ReportError):
    """A public document needs the audit log's published checkpoint, and none is published yet."""
