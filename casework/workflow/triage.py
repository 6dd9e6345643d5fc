"""Triage metadata in clear, for statistics: what kind of violation or gift, which organisation, the gift's
value band. Set by officers holding the case; the reporter's own words stay sealed."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record as audit_record
from casework.cases.models import Case, CaseKind, GiftType, GiftValueBand, Organisation, ViolationType
from casework.cases.services import CaseActionRefused
from casework.staff.models import StaffUser
from casework.workflow.lifecycle import check_holder, claim_version


@dataclass(frozen=True)
class Triage:
    """The metadata an officer sets; a field of the other kind stays empty."""

    organisation: Organisation | None
    violation_type: str = ""
    gift_type: str = ""
    gift_value_band: str = ""


@transaction.atomic
def case_set_triage(*, case: Case, actor: StaffUser, expected_version: int, triage: Triage) -> list[str]:
    """Set the case's triage metadata; return the names of the fields that changed (audited, codes only).

    Refused for someone who does not hold the case, values of the other kind or unknown codes, and a stale
    form (``StaleCase``).
    """
    check_holder(actor, case)
    values: dict[str, object] = {"organisation": triage.organisation}
    if case.kind == CaseKind.WBS:
        if triage.gift_type or triage.gift_value_band:
            raise CaseActionRefused(_("A whistleblowing report has no gift."))
        if triage.violation_type and triage.violation_type not in ViolationType.values:
            raise CaseActionRefused(_("Choose a violation type from the list."))
        values["violation_type"] = triage.violation_type
    else:
        if triage.violation_type:
            raise CaseActionRefused(_("A gratification report has a gift type, not a violation type."))
        if triage.gift_type and triage.gift_type not in GiftType.values:
            raise CaseActionRefused(_("Choose a gift type from the list."))
        if triage.gift_value_band and triage.gift_value_band not in GiftValueBand.values:
            raise CaseActionRefused(_("Choose a value band from the list."))
        values["gift_type"] = triage.gift_type
        values["gift_value_band"] = triage.gift_value_band
    changed = [name for name, value in values.items() if getattr(case, name) != value]
    if not changed:
        return []
    claim_version(case, expected_version=expected_version, changes=values)
    details: dict[str, str | int | bool | None] = {"fields": ",".join(sorted(changed))}
    for name in changed:
        value = values[name]
        details[name] = value.code if isinstance(value, Organisation) else (str(value) if value else None)
    audit_record(action=Action.CASE_TRIAGED, actor=actor, case_ref=case.number, details=details)
    return changed
