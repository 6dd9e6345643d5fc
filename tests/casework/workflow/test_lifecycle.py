"""Both lifecycles run from the transition table: one service per transition, audited with its clocks; illegal
transitions, missing reasons, wrong roles and stale forms are refused with a clear message and change nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases.services import CaseActionRefused
from casework.models import Case, CaseClock, StatusChange, Transition
from casework.workflow import lifecycle
from casework.workflow.calendar import due_date
from intake import services as intake_services
from tests.casework.workflow.conftest import (
    REASON,
    WHAT,
    file_gratification,
    file_wbs,
    file_wbs_submission,
    move,
    step_to,
)
from tests.intake.conftest import IntakeStaff

pytestmark = pytest.mark.django_db


def actions_since(seq: int) -> list[str]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values_list("action", flat=True))


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_the_tables_hold_both_lifecycles() -> None:
    wbs = set(Transition.objects.filter(kind="wbs").values_list("from_status", "to_status"))
    assert ("diterima", "verifikasi") in wbs and ("rekomendasi", "diteruskan_aph") in wbs
    grat = set(Transition.objects.filter(kind="gratification").values_list("from_status", "to_status"))
    assert {("diverifikasi", "diteruskan_kpk"), ("diteruskan_kpk", "sk_terbit"), ("sk_terbit", "selesai")} <= grat


def test_a_new_report_starts_its_first_clock(staff: IntakeStaff) -> None:
    case = file_wbs()
    clock = CaseClock.objects.get(case=case)
    received = timezone.localdate(case.received_at)
    assert clock.rule_code == "ADUAN_TIDAK_BERKADAR" and clock.state == CaseClock.State.RUNNING
    assert clock.due_on == due_date("ADUAN_TIDAK_BERKADAR", start=received) == case.due_on
    assert case.public_status == "received" and case.version == 0


def test_a_wbs_report_goes_through_triage_investigation_and_closure(staff: IntakeStaff) -> None:
    case = file_wbs()
    officer = staff.officer
    case = move(case, "verifikasi", staff=staff, user=officer)
    case = move(case, "telaah", staff=staff, user=officer)
    before = last_seq()
    case = move(case, "berkadar_pengawasan", staff=staff, reason=REASON)
    # Needs an examination: the 14-day clock stops, the 60-day one starts; both audited after the status change.
    assert actions_since(before) == [
        Action.CASE_STATUS_CHANGED,
        Action.CLOCK_STOPPED,
        Action.CLOCK_STARTED,
    ]
    running = CaseClock.objects.get(case=case, state="running")
    assert running.rule_code == "ADUAN_BERKADAR" and case.due_on == running.due_on
    case = move(case, "pemeriksaan", staff=staff, user=officer)
    case = move(case, "rekomendasi", staff=staff, user=officer)
    case = move(case, "selesai", staff=staff, reason=REASON, outcome="terbukti")
    assert (case.status, case.public_status, case.outcome) == ("selesai", "closed", "terbukti")
    assert case.closed_at is not None and case.due_on is None and case.version == 6
    assert not CaseClock.objects.filter(case=case).exclude(state="stopped").exists()
    event = AuditEvent.objects.filter(action=Action.CASE_STATUS_CHANGED).order_by("-seq").first()
    assert event is not None and event.case_ref == case.number
    assert event.details_dict["to_status"] == "selesai" and event.details_dict["outcome"] == "terbukti"
    assert event.details_dict["reason_given"] is True
    every_event = " ".join(e.details for e in AuditEvent.objects.all())
    assert REASON not in every_event and WHAT not in every_event


def test_the_reason_is_sealed_with_the_case(staff: IntakeStaff) -> None:
    case = file_wbs()
    case = move(case, "verifikasi", staff=staff)
    case = move(case, "perlu_dilengkapi", staff=staff, reason=REASON)
    change = StatusChange.objects.get(case=case, to_status="perlu_dilengkapi")
    assert REASON.encode() not in bytes(change.reason) and len(bytes(change.reason)) > len(REASON)
    assert lifecycle.open_reason(access=staff.keyring(staff.officer), change=change) == REASON


def test_the_reporter_sees_the_new_coarse_status(staff: IntakeStaff) -> None:
    submission = file_wbs_submission()
    access = intake_services.open_followup(receipt=submission.receipt)
    assert intake_services.followup_overview(access=access).status == "received"
    case = move(submission.case, "verifikasi", staff=staff)
    case = move(case, "perlu_dilengkapi", staff=staff, reason=REASON)
    view = intake_services.followup_overview(access=access)
    assert view.status == "needs_info" and str(view.status.label) == "More information needed"


def test_waiting_for_the_reporter_pauses_the_clocks_and_resuming_moves_the_due_date(staff: IntakeStaff) -> None:
    from casework.workflow import clocks

    case = file_wbs()
    clock = CaseClock.objects.get(case=case)
    clock.start_day, clock.due_on = date(2026, 4, 1), date(2026, 4, 21)
    clock.save()
    paused_at = timezone.make_aware(timezone.datetime(2026, 4, 6, 9, 0))  # Monday
    resumed_at = timezone.make_aware(timezone.datetime(2026, 4, 8, 15, 0))  # Wednesday: Tue and Wed lost
    from django.db import transaction

    with transaction.atomic():
        clocks.pause_clocks(case=case, codes=["*"], actor="system", now=paused_at)
        clocks.refresh_case_due(case)
    assert Case.objects.get(pk=case.pk).due_on is None  # a paused clock is not due
    with transaction.atomic():
        clocks.resume_clocks(case=case, codes=["*"], actor="system", now=resumed_at)
        clocks.refresh_case_due(case)
    clock.refresh_from_db()
    assert (clock.due_on, clock.paused_working_days, clock.state) == (date(2026, 4, 23), 2, "running")
    assert Case.objects.get(pk=case.pk).due_on == date(2026, 4, 23)


def test_needs_completion_pauses_and_completion_resumes_through_the_table(staff: IntakeStaff) -> None:
    case = file_wbs()
    case = move(case, "verifikasi", staff=staff)
    case = move(case, "perlu_dilengkapi", staff=staff, reason=REASON)
    assert CaseClock.objects.get(case=case).state == "paused" and case.due_on is None
    case = move(case, "verifikasi", staff=staff)
    assert CaseClock.objects.get(case=case).state == "running" and case.due_on is not None


# --- Bad input ------------------------------------------------------------------------------------------------
def assert_unchanged(case: Case) -> None:
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.version, fresh.public_status) == (case.status, case.version, case.public_status)


def test_an_illegal_transition_is_refused_and_changes_nothing(staff: IntakeStaff) -> None:
    case = file_wbs()
    far = Transition.objects.get(kind="wbs", from_status="rekomendasi", to_status="selesai")
    before = last_seq()
    with pytest.raises(CaseActionRefused, match="cannot be moved"):
        lifecycle.case_transition(
            case=case,
            keyring=staff.keyring(staff.supervisor),
            transition_id=far.pk,
            expected_version=0,
            data=lifecycle.TransitionInput(reason=REASON, outcome="terbukti"),
        )
    other_kind = Transition.objects.get(kind="gratification", from_status="diterima_upg", to_status="diverifikasi")
    with pytest.raises(CaseActionRefused, match="does not exist"):
        lifecycle.case_transition(
            case=case,
            keyring=staff.keyring(staff.supervisor),
            transition_id=other_kind.pk,
            expected_version=0,
            data=lifecycle.TransitionInput(),
        )
    assert_unchanged(case)
    assert actions_since(before) == []


def test_an_officer_cannot_make_a_supervisors_transition(staff: IntakeStaff) -> None:
    case = move(move(file_wbs(), "verifikasi", staff=staff), "telaah", staff=staff)
    with pytest.raises(CaseActionRefused, match="Only a supervisor"):
        move(case, "berkadar_pengawasan", staff=staff, user=staff.officer, reason=REASON)
    assert_unchanged(case)


def test_someone_not_holding_the_case_is_refused(staff: IntakeStaff) -> None:
    case = file_wbs(exclude_recipients=[str(staff.other_officer.pk)])
    with pytest.raises(CaseActionRefused, match="do not hold"):
        move(case, "verifikasi", staff=staff, user=staff.other_officer)
    assert_unchanged(case)


def test_a_missing_reason_is_refused(staff: IntakeStaff) -> None:
    case = move(file_wbs(), "verifikasi", staff=staff)
    with pytest.raises(CaseActionRefused, match="reason"):
        move(case, "perlu_dilengkapi", staff=staff, reason="   ")
    assert_unchanged(case)


def test_closing_needs_an_outcome_and_forwarding_needs_to_whom_and_a_reference(staff: IntakeStaff) -> None:
    case = file_wbs()
    for status in ("verifikasi", "telaah", "berkadar_pengawasan", "pemeriksaan", "rekomendasi"):
        case = move(case, status, staff=staff, reason=REASON)
    with pytest.raises(CaseActionRefused, match="outcome"):
        move(case, "selesai", staff=staff, reason=REASON)
    with pytest.raises(CaseActionRefused, match="authority"):
        move(case, "selesai", staff=staff, reason=REASON, outcome="diteruskan")
    with pytest.raises(CaseActionRefused, match="reference number"):
        move(case, "selesai", staff=staff, reason=REASON, outcome="diteruskan", forwarded_to="kejaksaan")
    assert_unchanged(case)
    case = move(
        case,
        "selesai",
        staff=staff,
        reason=REASON,
        outcome="diteruskan",
        forwarded_to="kejaksaan",
        forward_reference="B-123/M.3/2026",
    )
    assert (case.outcome, case.forwarded_to, case.forward_reference) == ("diteruskan", "kejaksaan", "B-123/M.3/2026")


def test_forwarding_to_law_enforcement_records_to_whom(staff: IntakeStaff) -> None:
    case = file_wbs()
    for status in ("verifikasi", "telaah", "berkadar_pengawasan", "pemeriksaan", "rekomendasi"):
        case = move(case, status, staff=staff, reason=REASON)
    with pytest.raises(CaseActionRefused):
        move(case, "diteruskan_aph", staff=staff, reason=REASON)
    case = move(case, "diteruskan_aph", staff=staff, reason=REASON, forwarded_to="kpk", forward_reference="R/77/2026")
    assert (case.public_status, case.forwarded_to) == ("forwarded", "kpk")
    case = move(case, "selesai", staff=staff, user=staff.officer)
    assert case.outcome == "diteruskan"  # the table's outcome for this step


def test_a_stale_form_is_refused_when_two_officers_work_at_once(staff: IntakeStaff) -> None:
    case = file_wbs()
    first = Case.objects.get(pk=case.pk)
    second = Case.objects.get(pk=case.pk)
    step = step_to(first, "verifikasi")
    lifecycle.case_transition(
        case=first,
        keyring=staff.keyring(staff.officer),
        transition_id=step.pk,
        expected_version=0,
        data=lifecycle.TransitionInput(),
    )
    # The second officer's form was shown at version 0, for the same step.
    with pytest.raises(lifecycle.StaleCase, match="Someone else changed this case"):
        lifecycle.case_transition(
            case=second,
            keyring=staff.keyring(staff.other_officer),
            transition_id=step.pk,
            expected_version=0,
            data=lifecycle.TransitionInput(),
        )
    # ... or loaded fresh but with the old version in the form.
    fresh = Case.objects.get(pk=case.pk)
    with pytest.raises(lifecycle.StaleCase):
        lifecycle.case_transition(
            case=fresh,
            keyring=staff.keyring(staff.other_officer),
            transition_id=step_to(fresh, "telaah").pk,
            expected_version=0,
            data=lifecycle.TransitionInput(),
        )
    assert StatusChange.objects.filter(case=case).count() == 1
    assert Case.objects.get(pk=case.pk).version == 1


def test_gratification_refusal_reports_have_no_statutory_clock(staff: IntakeStaff) -> None:
    gift = file_gratification().case
    assert set(CaseClock.objects.filter(case=gift).values_list("rule_code", flat=True)) == {
        "GRAT_UPG_TERUSKAN",
        "GRAT_LAPOR_KPK",
    }
    statutory = CaseClock.objects.get(case=gift, rule_code="GRAT_LAPOR_KPK")
    assert statutory.start_day == date(2026, 3, 10) == gift.gift_received_on
    assert statutory.due_on == date(2026, 4, 28)  # the day of the gift counts (earlier reading)
    refusal = file_gratification(report_type="refusal").case
    assert list(CaseClock.objects.filter(case=refusal).values_list("rule_code", flat=True)) == ["GRAT_UPG_TERUSKAN"]
