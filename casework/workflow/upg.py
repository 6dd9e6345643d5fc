"""Gratification: the hand-over of the gift to the UPG (date, receipt number, storage place).

Forwarding to the KPK and its decision are transitions (``diteruskan_kpk``, ``sk_terbit``) that record their
numbers and dates through ``lifecycle.case_transition``.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record as audit_record
from casework.cases.models import Case, CaseKind
from casework.cases.services import CaseActionRefused
from casework.staff.models import StaffUser
from casework.workflow.lifecycle import check_date, check_holder, claim_version
from casework.workflow.models import GratificationRecord

MAX_TEXT = 200


@transaction.atomic
def record_upg_handover(
    *,
    case: Case,
    actor: StaffUser,
    expected_version: int,
    handed_over_on: date | None,
    receipt_number: str,
    storage_place: str,
) -> GratificationRecord:
    """Record that the gift was handed over to the UPG (audited; the storage place is not in the audit log).

    The date may not be before the gift was received (when known) nor in the future.
    """
    check_holder(actor, case)
    if case.kind != CaseKind.GRATIFICATION:
        raise CaseActionRefused(_("Only a gratification report has a hand-over to the UPG."))
    day = check_date(handed_over_on, not_before=case.gift_received_on, label=_("date of the hand-over"))
    number, place = receipt_number.strip(), storage_place.strip()
    if not number:
        raise CaseActionRefused(_("Enter the UPG receipt number."))
    if not place:
        raise CaseActionRefused(_("Enter where the gift is stored."))
    if len(number) > 64 or len(place) > MAX_TEXT or "\n" in number + place:
        raise CaseActionRefused(_("The receipt number or the storage place is too long."))
    claim_version(case, expected_version=expected_version)
    record, _created = GratificationRecord.objects.update_or_create(
        case=case,
        defaults={"upg_handed_over_on": day, "upg_receipt_number": number, "upg_storage_place": place},
    )
    audit_record(
        action=Action.UPG_HANDOVER_RECORDED,
        actor=actor,
        case_ref=case.number,
        details={"handed_over_on": day.isoformat(), "upg_receipt_number": number},
    )
    return record
