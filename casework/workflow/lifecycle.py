"""Status changes: one service, driven by the transition table, with its audit event in the same transaction.

Who may make a transition, whether it needs a reason, which clocks it starts, stops, pauses or resumes, what
the reporter's coarse status becomes and whether it closes the case: all of it is a ``Transition`` row. A
form carries the case's ``version``; the update only happens when the case still has that version and the
transition's starting status, so the second of two officers working at once is refused, not overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record as audit_record
from casework.cases.models import Case, CaseStatus, ForwardedTo, Outcome
from casework.cases.services import CaseActionRefused
from casework.staff.models import StaffUser
from casework.workflow import clocks
from casework.workflow.models import CaseClock, GratificationRecord, KpkDecision, StatusChange, Transition
from vault import services as vault
from vault.permissions import may_hold_case_keys

MAX_REASON = 5_000
MAX_REFERENCE = 100


class StaleCase(CaseActionRefused):
    """The case changed since the form was shown (another officer was quicker); nothing was changed."""

    def __init__(self, case: Case) -> None:
        current = Case.objects.filter(pk=case.pk).values_list("status", flat=True).first() or case.status
        super().__init__(
            _(
                "Someone else changed this case while you were working on it (its status is now: %(status)s). "
                "Nothing was saved. Check the case again and repeat your change if it is still needed."
            )
            % {"status": CaseStatus(current).label}
        )


@dataclass(frozen=True)
class TransitionInput:
    """What the officer entered on the transition form (empty values where the transition needs nothing)."""

    reason: str = ""
    outcome: str = ""
    forwarded_to: str = ""
    forward_reference: str = ""
    kpk_registration_number: str = ""
    kpk_forwarded_on: date | None = None
    sk_number: str = ""
    sk_date: date | None = None
    kpk_decision: str = ""


def may_make(user: StaffUser, step: Transition) -> bool:
    """Return True when ``user``'s role allows the transition (holding the case is checked separately)."""
    return user.is_active and may_hold_case_keys(user) and user.has_perm(step.permission)


def check_holder(actor: StaffUser, case: Case) -> None:
    """Refuse anyone who does not hold the case (officers and supervisors working on it) and destroyed cases."""
    if not (actor.is_active and may_hold_case_keys(actor) and vault.holds_report(user=actor, report_id=case.id)):
        raise CaseActionRefused(_("You do not hold this case."))
    if case.shredded_at is not None:
        raise CaseActionRefused(_("This case was destroyed; it can no longer change."))


def transitions_from(case: Case) -> list[Transition]:
    """Return the transitions the table allows from the case's current status, in page order."""
    return list(Transition.objects.filter(kind=case.kind, from_status=case.status).order_by("position", "id"))


def claim_version(
    case: Case, *, expected_version: int, from_status: str | None = None, changes: Mapping[str, object] | None = None
) -> None:
    """Update the case only if it still has ``expected_version`` (and ``from_status``); bump the version.

    Raises ``StaleCase`` otherwise. ``case`` is refreshed with the stored values.
    """
    rows = Case.objects.filter(pk=case.pk, version=expected_version)
    if from_status is not None:
        rows = rows.filter(status=from_status)
    if rows.update(version=F("version") + 1, **(changes or {})) != 1:
        raise StaleCase(case)
    case.refresh_from_db()


def check_date(value: date | None, *, not_before: date | None, label: str) -> date:
    """Refuse a missing date, one in the future or one before ``not_before`` (e.g. the day of receipt)."""
    if value is None:
        raise CaseActionRefused(_("Enter the %(what)s.") % {"what": label})
    if value > timezone.localdate():
        raise CaseActionRefused(_("The %(what)s cannot be in the future.") % {"what": label})
    if not_before is not None and value < not_before:
        raise CaseActionRefused(
            _("The %(what)s cannot be before %(date)s.") % {"what": label, "date": not_before.strftime("%d-%m-%Y")}
        )
    return value


def _reference(value: str, *, label: str) -> str:
    text = value.strip()
    if not text:
        raise CaseActionRefused(_("Enter the %(what)s.") % {"what": label})
    if len(text) > MAX_REFERENCE or "\n" in text:
        raise CaseActionRefused(_("The %(what)s is too long.") % {"what": label})
    return text


def _outcome(step: Transition, case: Case, data: TransitionInput) -> str:
    if not step.closes:
        return ""
    if step.outcome:
        return step.outcome
    if data.outcome:
        if data.outcome not in Outcome.values:
            raise CaseActionRefused(_("Choose an outcome from the list."))
        return data.outcome
    if case.outcome:
        return case.outcome
    raise CaseActionRefused(_("Choose the outcome of the case before closing it."))


def _forwarding(step: Transition, case: Case, data: TransitionInput, outcome: str) -> dict[str, str]:
    needed = step.requires == Transition.Requires.FORWARDING or (
        outcome == Outcome.DITERUSKAN and not case.forwarded_to
    )
    if not needed:
        return {}
    if data.forwarded_to not in ForwardedTo.values:
        raise CaseActionRefused(_("Choose the authority the case is forwarded to."))
    reference = _reference(data.forward_reference, label=_("reference number of the forwarding letter"))
    return {"forwarded_to": data.forwarded_to, "forward_reference": reference}


def _kpk_fields(step: Transition, case: Case, data: TransitionInput) -> dict[str, object]:
    received = timezone.localdate(case.received_at)
    if step.requires == Transition.Requires.KPK_FORWARDING:
        return {
            "kpk_registration_number": _reference(
                data.kpk_registration_number, label=_("KPK registration number (Gratifikasi Online)")
            ),
            "kpk_forwarded_on": check_date(data.kpk_forwarded_on, not_before=received, label=_("date of forwarding")),
        }
    if step.requires == Transition.Requires.KPK_DECISION:
        record = GratificationRecord.objects.filter(case=case).first()
        not_before = (record.kpk_forwarded_on if record else None) or received
        if data.kpk_decision not in KpkDecision.values:
            raise CaseActionRefused(_("Choose the KPK's decision from the list."))
        return {
            "sk_number": _reference(data.sk_number, label=_("SK number")),
            "sk_date": check_date(data.sk_date, not_before=not_before, label=_("date of the SK")),
            "kpk_decision": data.kpk_decision,
        }
    return {}


def _clock_changes(step: Transition, case: Case, actor: StaffUser) -> None:
    clocks.stop_clocks(case=case, codes=Transition.codes(step.stop_clocks), actor=actor)
    clocks.pause_clocks(case=case, codes=Transition.codes(step.pause_clocks), actor=actor)
    clocks.resume_clocks(case=case, codes=Transition.codes(step.resume_clocks), actor=actor)
    for code in Transition.codes(step.start_clocks):
        clocks.start_clock(case=case, code=code, actor=actor)
    clocks.refresh_case_due(case)


@transaction.atomic
def case_transition(
    *, case: Case, keyring: vault.Keyring, transition_id: int, expected_version: int, data: TransitionInput
) -> StatusChange:
    """Move the case along one transition of the table; audited with its clock changes.

    Refused (``CaseActionRefused``, nothing changed) when the transition does not start from the case's
    status or belongs to the other kind, the keyring's owner may not make it or does not hold the case, a
    needed reason, outcome, forwarding or KPK detail is missing or a date is before receipt or in the future;
    ``StaleCase`` when the case changed since the form was shown.
    """
    actor = keyring.user
    assert isinstance(actor, StaffUser)  # a keyring belongs to a staff member (AUTH_USER_MODEL)
    step = Transition.objects.filter(pk=transition_id).first()
    if step is None or step.kind != case.kind:
        raise CaseActionRefused(_("This status change does not exist for this kind of case."))
    if step.from_status != case.status:
        if case.version != expected_version:
            raise StaleCase(case)
        raise CaseActionRefused(
            _("A case with the status %(status)s cannot be moved to %(target)s.")
            % {"status": CaseStatus(case.status).label, "target": CaseStatus(step.to_status).label}
        )
    if case.shredded_at is not None:
        raise CaseActionRefused(_("This case was destroyed; its status can no longer change."))
    if not may_make(actor, step):
        raise CaseActionRefused(_("Only a supervisor can make this status change."))
    if not vault.holds_report(user=actor, report_id=case.id):
        raise CaseActionRefused(_("You do not hold this case."))
    reason = data.reason.strip()
    if step.reason_required and not reason:
        raise CaseActionRefused(_("State the reason for this status change."))
    if len(reason) > MAX_REASON:
        raise CaseActionRefused(_("The reason is too long (at most 5,000 characters)."))
    outcome = _outcome(step, case, data)
    forwarding = _forwarding(step, case, data, outcome)
    kpk = _kpk_fields(step, case, data)
    if step.requires == Transition.Requires.KPK_FORWARDING:
        forwarding = {"forwarded_to": ForwardedTo.KPK, "forward_reference": str(kpk["kpk_registration_number"])}

    now = timezone.now()
    from_status = case.status
    changes: dict[str, object] = {"status": step.to_status, "public_status": step.public_status, **forwarding}
    if step.closes:
        changes.update(outcome=outcome, closed_at=case.closed_at or now)
    else:
        changes.update(outcome="", closed_at=None)
    claim_version(case, expected_version=expected_version, from_status=from_status, changes=changes)

    change = StatusChange(case=case, from_status=from_status, to_status=step.to_status, actor=actor, at=now)
    change.outcome = outcome
    if reason:
        change.reason = vault.seal(
            access=keyring, report_id=case.id, purpose=change.purpose, plaintext=reason.encode("utf-8")
        )
    change.save()
    if kpk:
        GratificationRecord.objects.update_or_create(case=case, defaults=kpk)
    audit_record(
        action=Action.CASE_STATUS_CHANGED,
        actor=actor,
        case_ref=case.number,
        details={
            "from_status": from_status,
            "to_status": step.to_status,
            "public_status": step.public_status,
            "reason_given": bool(reason),
            "outcome": outcome or None,
            "forwarded_to": forwarding.get("forwarded_to"),
            "kpk_decision": str(kpk["kpk_decision"]) if "kpk_decision" in kpk else None,
            "change_id": str(change.id),
        },
    )
    _clock_changes(step, case, actor)
    return change


@transaction.atomic
def case_start_clock(*, case: Case, actor: StaffUser, code: str) -> None:
    """Start a clock on the case by hand (e.g. ``PDP_BREACH``), counted from today; audited.

    Refused for someone who does not hold the case, an unknown rule and a rule already running on it.
    """
    check_holder(actor, case)
    if CaseClock.objects.filter(
        case=case, rule_code=code, state__in=[CaseClock.State.RUNNING, CaseClock.State.PAUSED]
    ).exists():
        raise CaseActionRefused(_("This clock is already running on the case."))
    try:
        clocks.start_clock(case=case, code=code, actor=actor)
    except KeyError:
        raise CaseActionRefused(_("There is no such deadline rule in force today.")) from None
    clocks.refresh_case_due(case)


def open_reason(*, access: vault.Access, change: StatusChange) -> str:
    """Return the sealed reason of a status change ("" when none was given)."""
    if not change.reason:
        return ""
    plaintext = vault.open(
        access=access, report_id=change.case_id, purpose=change.purpose, ciphertext=bytes(change.reason)
    )
    return plaintext.decode("utf-8")
