"""The vault's audit events: one helper so every writer records the same way (inside its transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.apps import apps

from audit.actions import Action
from audit.services import record as audit_record
from vault import conf
from vault.permissions import Staff


def case_ref_for(report_id: uuid.UUID | None, given: str = "") -> str:
    """Return the case number for the audit log: ``given``, else ``number`` of ``VAULT_REPORT_MODEL``, else the id."""
    if given or report_id is None:
        return given
    if not conf.REPORT_MODEL:
        return str(report_id)
    try:
        case_model = apps.get_model(conf.REPORT_MODEL)
    except (LookupError, ValueError):
        return str(report_id)
    # No try/except around the query: on PostgreSQL a failed statement (a statement timeout, a lost
    # connection) aborts the caller's transaction, and carrying on would turn a clear 503 into a 500.
    number = case_model.objects.filter(pk=report_id).values_list("number", flat=True).first()
    return str(number) if number else str(report_id)


def record(
    *,
    action: Action,
    actor: Staff | str,
    report_id: uuid.UUID | None = None,
    case_ref: str = "",
    details: Mapping[str, str | int | bool | None] | None = None,
) -> None:
    """Record one audit event for a vault action (metadata only: no content, no keys, no reporter data)."""
    audit_record(action=action, actor=actor, case_ref=case_ref_for(report_id, case_ref), details=details)
