"""Identity disclosure (issue 11.7): the sealed identity of a WBS reporter opens only after an officer who
holds the case states a reason and a supervisor other than that officer approves with a second factor; it
opens for that officer alone, for that case.

The identity key is sealed to the escrow key only (``vault.seal_report``), so the last step, sealing it to
the officer (``vault.grant_identity``), needs the escrow keyring. When the approving supervisor holds the
escrow key, approval and release are one step; otherwise the approved request waits for an escrow holder,
who releases it (the console's disclosure page lists it). Request, approval, refusal and release are
audited here; each opening is audited by the vault (``vault.report_unsealed`` with scope ``identity``).
The second factor of the approval is demanded by the view (``step_up_required(max_age=0)``).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record as audit_record
from casework.cases import sealed
from casework.cases.models import Case
from casework.cases.services import CaseActionRefused, check_may_receive
from casework.handling.models import IdentityDisclosure
from casework.handling.notes import checked_text
from casework.staff.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from vault import services as vault

MAX_REASON = 2_000


@transaction.atomic
def disclosure_request(*, case: Case, keyring: vault.Keyring, reason: str) -> IdentityDisclosure:
    """Ask for the reporter's identity on ``case``, stating ``reason`` (sealed under the case's key; audited)."""
    user = keyring.user
    assert isinstance(user, StaffUser)
    text = checked_text(reason, limit=MAX_REASON, empty=_("State why you need the reporter's identity."))
    if not vault.holds_report(user=user, report_id=case.id):
        raise CaseActionRefused(_("You do not hold this case."))
    if not vault.has_identity(report_id=case.id):
        raise CaseActionRefused(_("The reporter gave no identity in this case."))
    if vault.holds_identity(user=user, report_id=case.id):
        raise CaseActionRefused(_("The reporter's identity is already disclosed to you."))
    if IdentityDisclosure.objects.filter(case=case, requested_by=user, status__in=IdentityDisclosure.OPEN).exists():
        raise CaseActionRefused(_("You have already asked; the request is waiting for a decision."))
    disclosure = IdentityDisclosure(case=case, requested_by=user)
    disclosure.reason = sealed.seal_text(access=keyring, case=case, purpose=disclosure.reason_purpose, text=text)
    disclosure.save()
    audit_record(
        action=Action.DISCLOSURE_REQUESTED,
        actor=user,
        case_ref=case.number,
        details={"disclosure_id": str(disclosure.id)},
    )
    return disclosure


def _locked(disclosure: IdentityDisclosure) -> IdentityDisclosure:
    return IdentityDisclosure.objects.select_for_update().select_related("case", "requested_by").get(pk=disclosure.pk)


@transaction.atomic
def disclosure_decide(*, disclosure: IdentityDisclosure, keyring: vault.Keyring, approve: bool) -> IdentityDisclosure:
    """Approve or refuse a request, as a supervisor other than the requester who holds the case (audited).

    An approving supervisor who holds the escrow key releases the identity in the same step. Refused for
    non-supervisors, the requester, someone who cannot read the case (and so not the reason), and a request
    already decided.
    """
    decider = keyring.user
    assert isinstance(decider, StaffUser)
    disclosure = _locked(disclosure)
    case = disclosure.case
    if not decider.has_perm(SUPERVISE_CASES):
        raise CaseActionRefused(_("Only a supervisor can decide on a disclosure."))
    if disclosure.requested_by_id == decider.pk:
        raise CaseActionRefused(_("You cannot decide on your own request: another supervisor must."))
    if disclosure.status != IdentityDisclosure.Status.REQUESTED:
        raise CaseActionRefused(_("This request has already been decided."))
    if not vault.holds_report(user=decider, report_id=case.id):
        raise CaseActionRefused(_("You can decide only on a case you hold, so that you can read the reason."))
    disclosure.status = IdentityDisclosure.Status.APPROVED if approve else IdentityDisclosure.Status.REFUSED
    disclosure.decided_by, disclosure.decided_at = decider, timezone.now()
    disclosure.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        action=Action.DISCLOSURE_APPROVED if approve else Action.DISCLOSURE_REFUSED,
        actor=decider,
        case_ref=case.number,
        details={"disclosure_id": str(disclosure.id), "requested_by": disclosure.requested_by.username},
    )
    if approve and vault.is_escrow_holder(decider):
        _release(disclosure, escrow=vault.escrow_keyring_for(keyring=keyring), released_by=decider)
    return disclosure


@transaction.atomic
def disclosure_release(
    *, disclosure: IdentityDisclosure, escrow: vault.EscrowKeyring, released_by: StaffUser
) -> IdentityDisclosure:
    """Seal the identity key to the requester of an approved request, as an escrow holder (audited)."""
    disclosure = _locked(disclosure)
    if disclosure.status != IdentityDisclosure.Status.APPROVED:
        raise CaseActionRefused(_("Only an approved request can be released."))
    _release(disclosure, escrow=escrow, released_by=released_by)
    return disclosure


def _release(disclosure: IdentityDisclosure, *, escrow: vault.EscrowKeyring, released_by: StaffUser) -> None:
    case, requester = disclosure.case, disclosure.requested_by
    if not vault.holds_report(user=requester, report_id=case.id):
        raise CaseActionRefused(_("The requesting officer no longer holds this case."))
    check_may_receive(case, requester)
    vault.grant_identity(report_id=case.id, escrow=escrow, officer=requester, case_ref=case.number)
    disclosure.status = IdentityDisclosure.Status.RELEASED
    disclosure.released_by, disclosure.released_at = released_by, timezone.now()
    disclosure.save(update_fields=["status", "released_by", "released_at"])
    audit_record(
        action=Action.DISCLOSURE_RELEASED,
        actor=released_by,
        case_ref=case.number,
        details={"disclosure_id": str(disclosure.id), "officer": requester.username},
    )
