"""Who handles a case (issue 11.5): assignment of a lead officer and a team, conflict of interest, hand-over.

Assigning someone gives them the case's key: sealed with the assigning supervisor's own keyring when they
hold the case, otherwise from the escrow copy when they hold the escrow key. A supervisor with neither is
refused (the escrow holder, or a supervisor holding the case, must assign). The reporter's exclusions and
declared conflicts of interest are refused for every way a key reaches someone
(``casework.cases.services.check_may_receive``). Taking access away is ``services.case_revoke``.

Keyword-only arguments; each writer is one transaction with its audit event. Refusals raise
``CaseActionRefused`` with a translated message, and nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record as audit_record
from casework.cases.models import Case
from casework.cases.services import CaseActionRefused, check_may_receive, leave_team
from casework.staff.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from vault import services as vault
from vault.exceptions import AccessDenied


def _supervisor(user: StaffUser) -> None:
    if not user.has_perm(SUPERVISE_CASES):
        raise CaseActionRefused(_("Only a supervisor can assign cases."))


def give_key(*, case: Case, officer: StaffUser, keyring: vault.Keyring) -> str:
    """Make sure ``officer`` holds the case's key; return how: ``held``, ``keyring`` or ``escrow``.

    The caller holds the transaction and has checked ``check_may_receive``. Refused when the keyring's owner
    neither holds the case nor the escrow key.
    """
    if vault.holds_report(user=officer, report_id=case.id):
        return "held"
    if vault.holds_report(user=keyring.user, report_id=case.id):
        vault.grant_case(report_id=case.id, keyring=keyring, officer=officer, case_ref=case.number)
        return "keyring"
    try:
        escrow = vault.escrow_keyring_for(keyring=keyring)
    except AccessDenied:
        raise CaseActionRefused(
            _("You do not hold this case or the escrow key: ask the escrow holder or a supervisor who holds it.")
        ) from None
    vault.escrow_regrant(report_id=case.id, escrow=escrow, officer=officer, case_ref=case.number)
    return "escrow"


@transaction.atomic
def case_assign(*, case: Case, officer: StaffUser, lead: bool, assigned_by: StaffUser, keyring: vault.Keyring) -> None:
    """Put ``officer`` on the case's team (as its lead officer when ``lead``) and give them its key (audited).

    ``keyring`` is the assigning supervisor's. A new lead replaces the old one, who stays on the team.
    Refused for non-supervisors, staff who cannot hold keys, staff the reporter excluded or who declared a
    conflict, and when the supervisor can reach the key neither through the case nor through escrow.
    """
    _supervisor(assigned_by)
    if keyring.user.pk != assigned_by.pk:
        raise CaseActionRefused(_("Assign with your own console session."))
    check_may_receive(case, officer)
    already = case.team.filter(pk=officer.pk).exists()
    if already and (not lead or case.lead_officer_id == officer.pk):
        raise CaseActionRefused(_("This staff member is already on the team in this role."))
    via = give_key(case=case, officer=officer, keyring=keyring)
    case.team.add(officer)
    if lead:
        case.lead_officer = officer
        case.save(update_fields=["lead_officer"])
    audit_record(
        action=Action.CASE_ASSIGNED,
        actor=assigned_by,
        case_ref=case.number,
        details={"officer": officer.username, "role": "lead" if lead else "member", "key": via},
    )


@transaction.atomic
def case_declare_conflict(*, case: Case, officer: StaffUser) -> None:
    """``officer`` declares a conflict of interest: their key to the case is deleted at once, they leave its
    team, and no one can give it back to them (audited)."""
    holds = vault.holds_report(user=officer, report_id=case.id)
    if not holds and not case.team.filter(pk=officer.pk).exists():
        raise CaseActionRefused(_("You do not handle this case."))
    if case.conflicted_staff.filter(pk=officer.pk).exists():
        raise CaseActionRefused(_("You have already declared a conflict of interest in this case."))
    vault.revoke_case(report_id=case.id, officer=officer, actor=officer, case_ref=case.number)
    leave_team(case=case, officer=officer)
    case.conflicted_staff.add(officer)
    audit_record(
        action=Action.CONFLICT_DECLARED, actor=officer, case_ref=case.number, details={"officer": officer.username}
    )


@dataclass(frozen=True)
class HandOverOutcome:
    """What a hand-over did: the cases moved, and the ones left with the reason."""

    moved: list[str]
    skipped: list[tuple[str, str]]


def hand_over_cases(
    *,
    departing: StaffUser,
    successor: StaffUser,
    handed_over_by: StaffUser,
    keyring: vault.Keyring,
    revoke_other_access: bool = False,
) -> HandOverOutcome:
    """Move every case ``departing`` is on the team of to ``successor``, one case per transaction.

    For each case: ``successor`` gets the key (the supervisor's keyring or escrow), takes ``departing``'s role
    (lead or member), and ``departing``'s key to it is deleted. A case the successor may not receive
    (excluded, conflicted ...) is left as it is and reported. Each moved case records ``case_handed_over``.
    With ``revoke_other_access``, ``departing``'s keys to the cases they hold without being on the team are
    deleted too (``vault.case_revoked`` each). Short transactions: a long list never holds the database's
    write lock for the whole loop, and a refusal leaves the other cases done.
    """
    _supervisor(handed_over_by)
    if departing.pk == successor.pk:
        raise CaseActionRefused(_("Choose someone else to take the cases over."))
    moved: list[str] = []
    skipped: list[tuple[str, str]] = []
    for case in Case.objects.filter(team=departing).order_by("received_at", "number"):
        try:
            _hand_over_one(case=case, departing=departing, successor=successor, by=handed_over_by, keyring=keyring)
        except CaseActionRefused as exc:
            skipped.append((case.number, exc.message))
        else:
            moved.append(case.number)
    if revoke_other_access:
        held = Case.objects.filter(id__in=vault.granted_report_ids(user=departing)).exclude(team=departing)
        for case in held.order_by("received_at", "number"):
            with transaction.atomic():
                vault.revoke_case(report_id=case.id, officer=departing, actor=handed_over_by, case_ref=case.number)
    return HandOverOutcome(moved=moved, skipped=skipped)


@transaction.atomic
def _hand_over_one(
    *, case: Case, departing: StaffUser, successor: StaffUser, by: StaffUser, keyring: vault.Keyring
) -> None:
    case = Case.objects.select_for_update().get(pk=case.pk)
    check_may_receive(case, successor)
    was_lead = case.lead_officer_id == departing.pk
    via = give_key(case=case, officer=successor, keyring=keyring)
    if departing.pk in vault.granted_officer_ids(report_id=case.id):  # also when their account is deactivated
        vault.revoke_case(report_id=case.id, officer=departing, actor=by, case_ref=case.number)
    leave_team(case=case, officer=departing)
    case.team.add(successor)
    if was_lead:
        case.lead_officer = successor
        case.save(update_fields=["lead_officer"])
    audit_record(
        action=Action.CASE_HANDED_OVER,
        actor=by,
        case_ref=case.number,
        details={
            "from_officer": departing.username,
            "to_officer": successor.username,
            "role": "lead" if was_lead else "member",
            "key": via,
        },
    )
