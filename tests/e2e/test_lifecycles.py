"""Both lifecycles in Chromium with JavaScript off, with clocks, reminders and audit events:

- a web report -> triage (with a reason) -> investigation -> closure with an outcome, the reporter seeing each
  new coarse status with the receipt;
- a gratification report -> hand-over to the UPG -> forwarded to the KPK -> the KPK's SK -> closed.

New reports reach the supervisors: a supervisor assigns the officers in the console first (issue 11.5).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.actions import Action
from audit.models import AuditEvent
from casework.models import Case, CaseClock, GratificationRecord
from casework.workflow.reminders import send_reminders
from tests.e2e.conftest import _page
from tests.e2e.test_intake_reports import fill_gratification
from tests.intake.conftest import IntakeStaff
from tests.support.staff import PASSWORD, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
RECEIPT = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")
WHAT = "Kanari e2e: pengawas proyek meminta setoran 5% dari nilai kontrak."
REASON = "Kanari alasan: ada dokumen kontrak dan saksi; perlu pemeriksaan."


@pytest.fixture
def supervisor_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A third browser (own cookies) for the supervisor."""
    yield from _page(browser, live_server)


def staff_login(page: Any, user: Any) -> None:
    page.goto("/auth/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#id_code", totp_code(TOTPDevice.objects.get(user=user, confirmed=True)))
    page.click("button[type=submit]")
    assert page.url.endswith("/console/"), page.url


def assign_in_console(page: Any, case: Case, officer: Any, role: str) -> None:
    """The (logged-in) supervisor puts ``officer`` on the case's team from the case page."""
    page.goto(f"/console/cases/{case.number}/")
    page.select_option("#id_assign-officer", str(officer.pk))
    page.select_option("#id_assign-role", role)
    page.click("#assign button[type=submit]")
    assert officer.get_full_name() in page.inner_text("#team"), page.inner_text("#team")


def step(page: Any, case: Case, to_status: str, **fields: str) -> None:
    """Open the case, follow the link to ``to_status``, fill the form and submit it; expect success."""
    page.goto(f"/console/cases/{case.number}/")
    page.click(f"#transitions a[data-to='{to_status}']")
    for name, value in fields.items():
        selector = f"#id_{name}"
        if page.locator(f"select{selector}").count():
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.click("#transition-form button[type=submit]")
    assert page.url.endswith(f"/console/cases/{case.number}/"), page.content()[:2000]
    assert Case.objects.get(pk=case.pk).status == to_status


def reporter_status(page: Any, receipt: str) -> str:
    page.goto("/follow/")
    page.fill("#id_receipt", receipt)
    page.click("button[type=submit]")
    assert page.url.endswith("/follow/inbox/")
    status = str(page.inner_text(".status")).strip()
    page.click("form[action='/follow/logout/'] button[type=submit]")
    return status


def clock_states(case: Case) -> dict[str, str]:
    return dict(CaseClock.objects.filter(case=case).values_list("rule_code", "state"))


def test_web_report_triage_investigation_and_closure(
    page: Any, officer_page: Any, supervisor_page: Any, intake_staff: IntakeStaff
) -> None:
    # The reporter files a report and keeps the receipt.
    page.goto("/report/wbs/")
    page.fill("#id_title", "Setoran proyek jalan")
    page.select_option("#id_violation_type", "suap")
    page.fill("#id_what", WHAT)
    page.select_option("#id_organisation", "dinas-pekerjaan-umum")
    page.click("button[type=submit]")
    receipt = page.inner_text(".receipt-code code").strip()
    assert RECEIPT.match(receipt)
    case = Case.objects.get()
    assert reporter_status(page, receipt) == "Diterima"

    # The supervisor assigns the lead officer; the officer checks the report administratively and starts the
    # analysis; the first clock runs.
    officer, supervisor = officer_page, supervisor_page
    staff_login(supervisor, intake_staff.supervisor)
    assign_in_console(supervisor, case, intake_staff.officer, "lead")
    staff_login(officer, intake_staff.officer)
    officer.goto(f"/console/cases/{case.number}/")
    assert "ADUAN_TIDAK_BERKADAR" in officer.inner_text("#clocks")
    assert officer.locator("#transitions a[data-to='verifikasi']").count() == 1
    step(officer, case, "verifikasi")
    step(officer, case, "telaah")
    # Triage metadata in clear: the officer corrects the organisation.
    officer.goto(f"/console/cases/{case.number}/triage/")
    officer.select_option("#id_organisation", "dinas-perhubungan")
    officer.click("#triage-form button[type=submit]")
    assert Case.objects.get(pk=case.pk).organisation.code == "dinas-perhubungan"  # type: ignore[union-attr]
    # "Needs an examination" is the supervisor's: not offered to the officer.
    officer.goto(f"/console/cases/{case.number}/")
    assert officer.locator("#transitions a[data-to='berkadar_pengawasan']").count() == 0

    # The supervisor triages with a reason: the 14-day clock stops, the 60-day clock starts.
    supervisor.goto(f"/console/cases/{case.number}/")
    supervisor.click("#transitions a[data-to='berkadar_pengawasan']")
    supervisor.click("#transition-form button[type=submit]")  # no reason: refused, nothing changed
    assert "wajib" in supervisor.content().lower() or "required" in supervisor.content().lower()
    assert Case.objects.get(pk=case.pk).status == "telaah"
    step(supervisor, case, "berkadar_pengawasan", reason=REASON)
    assert clock_states(case) == {"ADUAN_TIDAK_BERKADAR": "stopped", "ADUAN_BERKADAR": "running"}
    assert REASON in supervisor.inner_text("#status-history")
    assert "ADUAN_BERKADAR" in supervisor.inner_text("#clocks")

    # Investigation by the officer; the reporter sees "being handled".
    step(officer, case, "pemeriksaan")
    step(officer, case, "rekomendasi")
    assert reporter_status(page, receipt) == "Sedang ditangani"

    # The supervisor closes the case with an outcome.
    step(supervisor, case, "selesai", reason="Terbukti; rekomendasi hukuman disiplin.", outcome="terbukti")
    closed = Case.objects.get(pk=case.pk)
    assert (closed.status, closed.outcome, closed.public_status) == ("selesai", "terbukti", "closed")
    assert "Terbukti" in supervisor.inner_text("#outcome")
    assert set(clock_states(case).values()) == {"stopped"}
    assert reporter_status(page, receipt) == "Selesai"

    events = AuditEvent.objects.filter(case_ref=case.number)
    assert events.filter(action=Action.CASE_STATUS_CHANGED).count() == 6
    assert events.filter(action=Action.CLOCK_STARTED).count() == 2
    assert events.filter(action=Action.CASE_TRIAGED).count() == 1
    assert not [e for e in AuditEvent.objects.all() if REASON in e.details or WHAT in e.details]


def test_gratification_upg_kpk_sk_closed_with_a_reminder(
    page: Any, officer_page: Any, supervisor_page: Any, intake_staff: IntakeStaff
) -> None:
    page.goto("/report/gratification/")
    fill_gratification(page, received_on="2026-03-10", value="15000000")
    page.click("button[type=submit]")
    receipt = page.inner_text(".receipt-code code").strip()
    case = Case.objects.get()
    assert (case.gift_value_band, case.gift_received_on.isoformat()) == ("ge_10m", "2026-03-10")  # type: ignore[union-attr]

    # A supervisor assigns a lead officer and a team member. The statutory limit has passed: the daily task
    # reminds both; the console home shows it.
    staff_login(supervisor_page, intake_staff.supervisor)
    assign_in_console(supervisor_page, case, intake_staff.officer, "lead")
    assign_in_console(supervisor_page, case, intake_staff.other_officer, "member")
    assert send_reminders().notifications == 2
    officer = officer_page
    staff_login(officer, intake_staff.officer)
    reminder = officer.inner_text("#reminders")
    assert case.number in reminder and "GRAT_LAPOR_KPK" in reminder
    officer.goto("/console/gratification/forwarding/")
    assert "28-04-2026" in officer.inner_text("#forwarding")

    # Hand-over to the UPG; a date before the gift is refused.
    officer.goto(f"/console/cases/{case.number}/upg/")
    officer.fill("#id_handed_over_on", "2026-03-09")
    officer.fill("#id_receipt_number", "UPG/021/III/2026")
    officer.fill("#id_storage_place", "Lemari UPG")
    officer.click("#upg-form button[type=submit]")
    assert "10-03-2026" in officer.inner_text("#form-errors")
    officer.fill("#id_handed_over_on", "2026-03-11")
    officer.click("#upg-form button[type=submit]")
    assert "UPG/021/III/2026" in officer.inner_text("#upg")

    today = timezone.localdate()
    step(officer, case, "diverifikasi")
    step(
        officer,
        case,
        "diteruskan_kpk",
        kpk_registration_number="GOL-2026-000321",
        kpk_forwarded_on=today.isoformat(),
    )
    assert reporter_status(page, receipt) == "Diteruskan ke instansi berwenang"
    assert clock_states(case)["KPK_PENETAPAN"] == "running"
    # A decision dated before the forwarding is refused; then the SK is recorded.
    officer.goto(f"/console/cases/{case.number}/")
    officer.click("#transitions a[data-to='sk_terbit']")
    officer.fill("#id_sk_number", "4321/GRA/2026")
    officer.fill("#id_sk_date", (today - timedelta(days=1)).isoformat())
    officer.select_option("#id_kpk_decision", "milik_negara_kompensasi")
    officer.click("#transition-form button[type=submit]")
    assert Case.objects.get(pk=case.pk).status == "diteruskan_kpk"
    step(
        officer,
        case,
        "sk_terbit",
        sk_number="4321/GRA/2026",
        sk_date=today.isoformat(),
        kpk_decision="milik_negara_kompensasi",
    )
    assert "4321/GRA/2026" in officer.inner_text("#sk")
    step(officer, case, "selesai")
    record = GratificationRecord.objects.get(case=case)
    assert (record.upg_receipt_number, record.kpk_registration_number, record.kpk_decision) == (
        "UPG/021/III/2026",
        "GOL-2026-000321",
        "milik_negara_kompensasi",
    )
    closed = Case.objects.get(pk=case.pk)
    assert (closed.status, closed.outcome) == ("selesai", "ditetapkan_kpk")
    assert reporter_status(page, receipt) == "Selesai"
    actions = set(AuditEvent.objects.filter(case_ref=case.number).values_list("action", flat=True))
    assert {
        Action.UPG_HANDOVER_RECORDED,
        Action.CASE_STATUS_CHANGED,
        Action.REMINDER_SENT,
        Action.CLOCK_STOPPED,
    } <= actions
