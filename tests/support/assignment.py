"""Put officers on a case's team, as a supervisor would at triage (new reports reach the supervisors only)."""

from __future__ import annotations

from casework.cases.assignment import case_assign
from casework.models import Case, StaffUser
from casework.staff.roles import Role
from tests.support.staff import PASSWORD
from vault import services as vault
from vault.access import Keyring
from vault.officers import unwrap_private_key


def supervisor_keyring(supervisor: StaffUser, password: str = PASSWORD) -> Keyring:
    """Return the unlocked keyring of ``supervisor`` (as the console would hold it after login)."""
    return Keyring(user=supervisor, _private_key=unwrap_private_key(user=supervisor, password=password))


def assign_officers(case: Case, *officers: StaffUser) -> None:
    """Put ``officers`` (default: every active officer the reporter did not exclude) on the case's team.

    The first supervisor (the escrow holder in the test fixtures) assigns them with their own keyring; those
    already on the team are left as they are.
    """
    supervisor = StaffUser.objects.filter(role=Role.SUPERVISOR).order_by("pk").first()
    assert supervisor is not None
    keyring = supervisor_keyring(supervisor)
    if not officers:
        excluded = set(case.excluded_recipients.values_list("pk", flat=True))
        officers = tuple(StaffUser.objects.filter(role=Role.OFFICER, is_active=True).exclude(pk__in=excluded))
    for officer in officers:
        if vault.has_officer_key(user=officer) and not case.team.filter(pk=officer.pk).exists():
            case_assign(case=case, officer=officer, lead=False, assigned_by=supervisor, keyring=keyring)
