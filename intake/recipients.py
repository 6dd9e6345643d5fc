"""Who receives a new report: the intake recipients.

A new report is sealed to the supervisors (the triage circle: active staff who may supervise cases and hold a
vault key), minus the people the reporter excluded, and always to the escrow key (the vault adds it), so an
excluded or absent supervisor never makes a report unreadable. Officers receive a case when a supervisor
assigns it to them (``casework.cases.assignment``), need-to-know (docs/decisions.md, "Intake recipients").
The reporter may exclude any officer or supervisor: the exclusion also refuses later grants.
"""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import QuerySet

from casework.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from casework.staff.selectors import case_key_holders, staff_with_permission


def intake_recipient_candidates() -> QuerySet[StaffUser]:
    """Return active officers and supervisors, the people a reporter may exclude, by name."""
    return case_key_holders()


def intake_recipients(*, excluded_ids: Collection[int] = ()) -> list[StaffUser]:
    """Return the staff whose public keys a new report is sealed to: the supervisors, minus the excluded."""
    supervisors = intake_recipient_candidates().filter(pk__in=staff_with_permission(SUPERVISE_CASES).values("pk"))
    return list(with_vault_key(supervisors).exclude(pk__in=list(excluded_ids)))


def with_vault_key(users: QuerySet[StaffUser]) -> QuerySet[StaffUser]:
    """Return only the users who have enrolled a vault key."""
    return users.filter(officer_key__isnull=False)
