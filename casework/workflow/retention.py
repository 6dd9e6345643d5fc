"""Retention: cases are crypto-shredded a number of years after closure (per kind, a setting), never while a
legal hold stands; destroying a case earlier needs a request by one supervisor and the approval of another.

Shredding deletes every key to the case (officers', escrow, receipt, identity), its ciphertext (content,
messages, file names, reasons) and its encrypted files; the statistics metadata and the audit trail stay.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record as audit_record
from casework.cases.models import Case, CaseAttachment, CaseKind, CaseMessage
from casework.cases.services import CaseActionRefused
from casework.staff.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from casework.workflow import clocks
from casework.workflow.models import ALL_CLOCKS, DestructionRequest, Notification, StatusChange
from vault import services as vault

MAX_GROUNDS = 200
DEFAULT_RETENTION_YEARS = 5


def retention_years(kind: str) -> int:
    """Return how many years after closure a case of ``kind`` is kept (``PELUIT_RETENTION_YEARS``)."""
    table: dict[str, int] = getattr(settings, "PELUIT_RETENTION_YEARS", {})
    return int(table.get(kind, DEFAULT_RETENTION_YEARS))


def _years_later(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def retention_until(case: Case) -> date | None:
    """Return the day from which the closed case may be shredded (None while it is open)."""
    if case.closed_at is None:
        return None
    return timezone.localdate(_years_later(case.closed_at, retention_years(case.kind)))


def _supervisor(actor: StaffUser) -> None:
    if not (actor.is_active and actor.has_perm(SUPERVISE_CASES)):
        raise CaseActionRefused(_("Only a supervisor can do this."))


def _grounds(text: str) -> str:
    value = text.strip()
    if not value:
        raise CaseActionRefused(_("State the grounds (for example the number of the court's letter)."))
    if len(value) > MAX_GROUNDS or "\n" in value:
        raise CaseActionRefused(_("The grounds must be one line of at most 200 characters."))
    return value


def _not_shredded(case: Case) -> None:
    if case.shredded_at is not None:
        raise CaseActionRefused(_("This case was already destroyed."))


@transaction.atomic
def case_set_legal_hold(*, case: Case, actor: StaffUser, hold: bool, grounds: str) -> None:
    """Set or lift the legal hold of a case (a supervisor; grounds required; audited without the grounds)."""
    _supervisor(actor)
    _not_shredded(case)
    _grounds(grounds)
    if case.legal_hold == hold:
        raise CaseActionRefused(
            _("This case is already under a legal hold.") if hold else _("This case is not under a legal hold.")
        )
    Case.objects.filter(pk=case.pk).update(legal_hold=hold)
    case.legal_hold = hold
    audit_record(action=Action.LEGAL_HOLD_SET if hold else Action.LEGAL_HOLD_LIFTED, actor=actor, case_ref=case.number)


def _shred(*, case: Case, actor: StaffUser | str, trigger: str, request: DestructionRequest | None = None) -> int:
    """Crypto-shred the case inside the caller's transaction; return the number of files deleted."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    _not_shredded(locked)
    if locked.legal_hold:
        raise CaseActionRefused(_("This case is under a legal hold and cannot be destroyed."))
    blobs = vault.shred_report(report_id=case.id)
    CaseAttachment.objects.filter(case=case).delete()
    CaseMessage.objects.filter(case=case).delete()
    StatusChange.objects.filter(case=case).update(reason=b"")
    # Internal notes and disclosure reasons (casework.handling, a sibling layer reached through the case's
    # reverse relations) are sealed under the case's key too: gone with it, the rows go or lose their text.
    case.notes.all().delete()
    case.disclosures.update(reason=b"")
    Notification.objects.filter(case=case).delete()
    clocks.stop_clocks(case=case, codes=[ALL_CLOCKS], actor=actor)
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(content=b"", shredded_at=now, due_on=None)
    case.refresh_from_db()
    audit_record(
        action=Action.CASE_SHREDDED,
        actor=actor,
        case_ref=case.number,
        details={"trigger": trigger, "files_deleted": blobs, "request_id": request.pk if request else None},
    )
    return blobs


@transaction.atomic
def destruction_request(*, case: Case, actor: StaffUser, grounds: str) -> DestructionRequest:
    """A supervisor asks to destroy the case before its retention period ends; another must approve."""
    _supervisor(actor)
    _not_shredded(case)
    text = _grounds(grounds)
    if case.legal_hold:
        raise CaseActionRefused(_("This case is under a legal hold and cannot be destroyed."))
    if DestructionRequest.objects.filter(case=case, decided_at__isnull=True).exists():
        raise CaseActionRefused(_("A request to destroy this case is already waiting for a decision."))
    request = DestructionRequest.objects.create(case=case, requested_by=actor, grounds=text)
    audit_record(
        action=Action.DESTRUCTION_REQUESTED, actor=actor, case_ref=case.number, details={"request_id": request.pk}
    )
    return request


@transaction.atomic
def destruction_decide(*, request: DestructionRequest, actor: StaffUser, approve: bool) -> None:
    """Another supervisor approves (the case is shredded at once) or refuses an early destruction request."""
    _supervisor(actor)
    locked = DestructionRequest.objects.select_for_update().get(pk=request.pk)
    if locked.decided_at is not None:
        raise CaseActionRefused(_("This request was already decided."))
    if locked.requested_by_id == actor.pk:
        raise CaseActionRefused(_("A second supervisor must decide: you made this request yourself."))
    locked.decided_by, locked.decided_at, locked.approved = actor, timezone.now(), approve
    locked.save(update_fields=["decided_by", "decided_at", "approved"])
    case = locked.case
    action = Action.DESTRUCTION_APPROVED if approve else Action.DESTRUCTION_REFUSED
    audit_record(action=action, actor=actor, case_ref=case.number, details={"request_id": locked.pk})
    if approve:
        _shred(case=case, actor=actor, trigger="early", request=locked)
    request.refresh_from_db()


def expired_cases(*, now: datetime | None = None) -> list[Case]:
    """Return the closed cases whose retention period has ended, not under a legal hold, not yet shredded."""
    now = now or timezone.now()
    found: list[Case] = []
    for kind in CaseKind.values:
        cutoff = _years_later(now, -retention_years(kind))
        found.extend(
            Case.objects.filter(kind=kind, closed_at__lte=cutoff, legal_hold=False, shredded_at__isnull=True).order_by(
                "closed_at"
            )
        )
    return found


def shred_expired_cases(*, now: datetime | None = None) -> list[str]:
    """Crypto-shred every expired case, each in its own transaction; return their numbers (Celery beat)."""
    shredded = []
    for case in expired_cases(now=now):
        try:
            with transaction.atomic():
                _shred(case=case, actor="system", trigger="retention")
        except CaseActionRefused:  # a legal hold set meanwhile, or shredded by a parallel run
            continue
        shredded.append(case.number)
    return shredded
