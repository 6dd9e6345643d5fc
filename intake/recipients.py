"""Who receives a new report: the intake recipients.

Intake recipients are every active officer and supervisor who holds a vault key, minus the people the
reporter excluded (docs/decisions.md, "Intake recipients"). The escrow key always receives a copy too
(the vault adds it), so an excluded or absent officer never makes a report unreadable.
"""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import QuerySet

from casework.models import StaffUser
from casework.staff.selectors import case_key_holders


def intake_recipient_candidates() -> QuerySet[StaffUser]:
    """Return active officers and supervisors, the people a reporter may exclude, by name."""
    return case_key_holders()


def intake_recipients(*, excluded_ids: Collection[int] = ()) -> list[StaffUser]:
    """Return the staff whose public keys a new report is sealed to."""
    return list(with_vault_key(intake_recipient_candidates()).exclude(pk__in=list(excluded_ids)))


def with_vault_key(users: QuerySet[StaffUser]) -> QuerySet[StaffUser]:
    """Return only the users who have enrolled a vault key."""
    return users.filter(officer_key__isnull=False)
