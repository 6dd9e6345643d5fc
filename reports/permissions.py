"""Who may export what, as Django permissions. Every check of the reports package is here.

Statistics and the audit trail are oversight: whoever may read the audit log (``audit.read_audit_log``:
supervisors and auditors) may see them. Content kinds need ``vault.hold_case_keys`` (officers and supervisors),
and each case is further checked: only holders of its key (``reports.case_documents.require_holder``).
"""

from __future__ import annotations

from typing import Any

from audit.models import READ_AUDIT_LOG
from reports.kinds import CONTENT_KINDS, ExportKind
from vault.permissions import may_hold_case_keys


def _has(user: Any, permission: str) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.has_perm(permission))


def can_view_statistics(user: Any) -> bool:
    """Supervisors and auditors (``audit.read_audit_log``) see the statistics page and export the recap."""
    return _has(user, READ_AUDIT_LOG)


def can_export(user: Any, kind: ExportKind) -> bool:
    """Return True when ``user`` may make an export of ``kind``.

    Recap, annual report and service standard: supervisors and auditors.
    Audit trail: whoever reads the audit log (auditors, supervisors).
    Content kinds: officers and supervisors (each case is further checked: only holders of its key).
    """
    if kind in (ExportKind.RECAP, ExportKind.ANNUAL, ExportKind.SERVICE_STANDARD):
        return can_view_statistics(user)
    if kind == ExportKind.AUDIT_TRAIL:
        return _has(user, READ_AUDIT_LOG)
    if kind in CONTENT_KINDS:
        return may_hold_case_keys(user)
    return False


def can_use_reports(user: Any) -> bool:
    """Return True when the user may open the reports page at all."""
    return any(can_export(user, kind) for kind in ExportKind)
