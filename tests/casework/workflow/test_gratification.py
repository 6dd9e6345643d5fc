"""Gratification: hand-over to the UPG, forwarding to the KPK, the KPK's decision (SK) and closure, with the
statutory 30-working-day limit; dates before the gift, before receipt or in the future are refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases.services import CaseActionRefused
from casework.models import Case, CaseClock, GratificationRecord
from casework.workflow import upg
from casework.workflow.selectors import forwarding_due
from tests.casework.workflow.conftest import file_gratification, file_wbs, logged_in, move
from tests.intake.conftest import IntakeStaff

pytestmark = pytest.mark.django_db


def handover(case: Case, staff: IntakeStaff, **overrides: object) -> GratificationRecord:
    values: dict[str, object] = {
        "handed_over_on": date(2026, 3, 12),
        "receipt_number": "UPG/017/III/2026",
        "storage_place": "Lemari arsip UPG, ruang 2",
    }
    values.update(overrides)
    fresh = Case.objects.get(pk=case.pk)
    return upg.record_upg_handover(
        case=fresh,
        actor=staff.officer,
        expected_version=fresh.version,
        **values,  # type: ignore[arg-type]
    )


def test_upg_kpk_sk_closed(staff: IntakeStaff) -> None:
    case = file_gratification().case
    assert (case.gift_value_band, case.gift_type, case.channel) == ("lt_1m", "parsel", "web")
    record = handover(case, staff)
    assert (record.upg_receipt_number, record.upg_handed_over_on) == ("UPG/017/III/2026", date(2026, 3, 12))
    event = AuditEvent.objects.get(action=Action.UPG_HANDOVER_RECORDED)
    assert "Lemari" not in event.details  # the storage place stays out of the log
    received = timezone.localdate(case.received_at)
    case = move(case, "diverifikasi", staff=staff, user=staff.officer)
    with pytest.raises(CaseActionRefused, match="registration number"):
        move(case, "diteruskan_kpk", staff=staff, user=staff.officer, kpk_forwarded_on=received)
    with pytest.raises(CaseActionRefused, match="cannot be before"):
        move(
            case,
            "diteruskan_kpk",
            staff=staff,
            user=staff.officer,
            kpk_registration_number="GOL-2026-0042",
            kpk_forwarded_on=received - timedelta(days=1),
        )
    case = move(
        case,
        "diteruskan_kpk",
        staff=staff,
        user=staff.officer,
        kpk_registration_number="GOL-2026-0042",
        kpk_forwarded_on=received,
    )
    assert (case.public_status, case.forwarded_to, case.forward_reference) == ("forwarded", "kpk", "GOL-2026-0042")
    clocks = dict(CaseClock.objects.filter(case=case).values_list("rule_code", "state"))
    assert clocks == {"GRAT_UPG_TERUSKAN": "stopped", "GRAT_LAPOR_KPK": "stopped", "KPK_PENETAPAN": "running"}
    with pytest.raises(CaseActionRefused, match="decision"):
        move(case, "sk_terbit", staff=staff, user=staff.officer, sk_number="SK-1", sk_date=received)
    with pytest.raises(CaseActionRefused, match="future"):
        move(
            case,
            "sk_terbit",
            staff=staff,
            user=staff.officer,
            sk_number="SK-1",
            kpk_decision="milik_negara",
            sk_date=timezone.localdate() + timedelta(days=1),
        )
    case = move(
        case,
        "sk_terbit",
        staff=staff,
        user=staff.officer,
        sk_number="1234/GRA/2026",
        sk_date=received,
        kpk_decision="milik_negara",
    )
    record = GratificationRecord.objects.get(case=case)
    assert (record.kpk_registration_number, record.sk_number, record.kpk_decision) == (
        "GOL-2026-0042",
        "1234/GRA/2026",
        "milik_negara",
    )
    assert CaseClock.objects.get(case=case, rule_code="SK_KIRIM").state == "running"
    case = move(case, "selesai", staff=staff, user=staff.officer)
    assert (case.status, case.public_status, case.outcome) == ("selesai", "closed", "ditetapkan_kpk")
    assert not CaseClock.objects.filter(case=case, state="running").exists()


def test_perishables_can_be_given_to_a_social_institution(staff: IntakeStaff) -> None:
    case = file_gratification(gift_type="hidangan").case
    case = move(case, "disalurkan_sosial", staff=staff, reason="Makanan mudah basi; diserahkan ke panti asuhan.")
    assert (case.status, case.outcome, case.public_status) == ("disalurkan_sosial", "disalurkan_sosial", "closed")


def test_handover_dates_before_the_gift_or_in_the_future_are_refused(staff: IntakeStaff) -> None:
    case = file_gratification().case
    with pytest.raises(CaseActionRefused, match="cannot be before 10-03-2026"):
        handover(case, staff, handed_over_on=date(2026, 3, 9))
    with pytest.raises(CaseActionRefused, match="future"):
        handover(case, staff, handed_over_on=timezone.localdate() + timedelta(days=1))
    with pytest.raises(CaseActionRefused, match="receipt number"):
        handover(case, staff, receipt_number="  ")
    with pytest.raises(CaseActionRefused, match="Only a gratification"):
        handover(file_wbs(), staff)
    assert not GratificationRecord.objects.exists()
    assert Case.objects.get(pk=case.pk).version == 0


def test_the_forwarding_list_shows_the_statutory_limit_most_urgent_first(staff: IntakeStaff) -> None:
    later = file_gratification(received_on="2026-06-01").case
    earlier = file_gratification(received_on="2026-03-10").case
    refusal = file_gratification(report_type="refusal").case
    rows = forwarding_due(staff.officer)
    assert [row.case.number for row in rows][:2] == [earlier.number, later.number]
    first = rows[0]
    assert first.statutory_due == date(2026, 4, 28) and first.overdue  # long past on the test machine's today
    refusal_row = next(row for row in rows if row.case.pk == refusal.pk)
    assert refusal_row.statutory_due is None and refusal_row.upg_due is not None
    forwarded = move(earlier, "diverifikasi", staff=staff)
    move(
        forwarded,
        "diteruskan_kpk",
        staff=staff,
        kpk_registration_number="GOL-1",
        kpk_forwarded_on=timezone.localdate(forwarded.received_at),
    )
    assert earlier.number not in [row.case.number for row in forwarding_due(staff.officer)]
    page = logged_in(staff.officer).get("/console/gratification/forwarding/")
    assert page.status_code == 200 and later.number in page.content.decode()
    assert "28-04-2026" not in page.content.decode()  # the forwarded one is gone
