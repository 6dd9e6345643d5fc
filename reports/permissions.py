"""Who may export what. Every check of the reports package is here (casework.roles underneath)."""

from __future__ import annotations

from typing import Any

from casework.roles import Role, can_hold_case_keys, can_read_audit_log, has_role
from reports.kinds import CONTENT_KINDS, ExportKind


def can_view_statistics(user: Any) -> bool:
    """Supervisors and auditors see the statistics page and export the recap."""
    return has_role(user, Role.SUPERVISOR, Role.AUDITOR)


def can_export(user: Any, kind: ExportKind) -> bool:
    """Return True when ``user`` may make an export of ``kind``.

    Recap: supervisors and auditors. Audit trail: whoever reads the audit log (auditors, supervisors).
    Content kinds: officers and supervisors (each case is further checked: only holders of its key).
    """
    if kind == ExportKind.RECAP:
        return can_view_statistics(user)
    if kind == ExportKind.AUDIT_TRAIL:
        return can_read_audit_log(user)
    if kind in CONTENT_KINDS:
        return can_hold_case_keys(user)
    return False


def can_use_reports(user: Any) -> bool:
    """Return True when the user may open the reports page at all."""
    return any(can_export(user, kind) for kind in ExportKind)
