"""The lifecycle pages of the console: the case page's panels, the transition form, clocks, and every refusal
as a clear message (never a 500)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casework.models import Case, CaseClock, Transition
from casework.staff.roles import Role
from tests.casework.workflow.conftest import REASON, WHAT, file_wbs, logged_in, move, step_to
from tests.intake.conftest import IntakeStaff

pytestmark = pytest.mark.django_db


def transition_url(case: Case, to_status: str) -> str:
    return f"/console/cases/{case.number}/status/{step_to(case, to_status).pk}/"


def test_the_case_page_shows_status_clocks_and_the_next_steps(staff: IntakeStaff) -> None:
    case = file_wbs()
    html = logged_in(staff.officer).get(f"/console/cases/{case.number}/").content.decode()
    assert 'id="lifecycle"' in html and "ADUAN_TIDAK_BERKADAR" in html
    assert transition_url(case, "verifikasi") in html
    assert case.due_on is not None and case.due_on.strftime("%d-%m-%Y") in html
    assert 'id="triage"' in html and 'id="retention"' in html and 'id="gratification"' not in html
    clock_form = html.split('id="clock-start"')[1].split("</form>")[0]
    assert 'name="csrfmiddlewaretoken"' in clock_form  # the panels are rendered with the page's CSRF token


def test_a_step_only_a_supervisor_may_make_is_shown_but_not_offered_to_an_officer(staff: IntakeStaff) -> None:
    case = move(move(file_wbs(), "verifikasi", staff=staff), "telaah", staff=staff)
    client = logged_in(staff.officer)
    html = client.get(f"/console/cases/{case.number}/").content.decode()
    assert transition_url(case, "berkadar_pengawasan") not in html
    for method in (client.get, client.post):
        refused = method(transition_url(case, "berkadar_pengawasan"))
        assert refused.status_code == 403 and "pengawas" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).status == "telaah"
    assert "Berkadar pengawasan" in html  # shown, with who may make it


def test_the_transition_form_refuses_missing_reasons_and_stale_forms(staff: IntakeStaff) -> None:
    case = move(file_wbs(), "verifikasi", staff=staff)
    client = logged_in(staff.officer)
    url = transition_url(case, "perlu_dilengkapi")
    form = client.get(url)
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    missing = client.post(url, {"version": str(case.version), "reason": ""})
    assert missing.status_code == 400
    stale = client.post(url, {"version": "0", "reason": REASON})
    assert stale.status_code == 409 and "form-errors" in stale.content.decode()
    assert Case.objects.get(pk=case.pk).status == "verifikasi"
    done = client.post(url, {"version": str(case.version), "reason": REASON})
    assert done.status_code == 302 and done["Location"].endswith(f"/console/cases/{case.number}/")
    case.refresh_from_db()
    assert case.status == "perlu_dilengkapi"
    # The step from the old status is no longer possible: a clear refusal, nothing changed.
    again = client.post(url, {"version": str(case.version), "reason": REASON})
    assert again.status_code == 400 and Case.objects.get(pk=case.pk).version == case.version
    page = client.get(f"/console/cases/{case.number}/").content.decode()
    assert REASON in page  # the officer holding the case reads the sealed reason in the history


def test_odd_requests_get_clear_answers_never_a_500(staff: IntakeStaff, make_staff: object) -> None:
    case = file_wbs()
    officer = logged_in(staff.officer)
    other_kind = Transition.objects.filter(kind="gratification").first()
    assert other_kind is not None
    assert officer.get(f"/console/cases/{case.number}/status/{other_kind.pk}/").status_code == 404
    assert officer.get(f"/console/cases/{case.number}/status/999999/").status_code == 404
    # A number no case has answers as a case not held (403; casework/cases/middleware.py).
    assert officer.get("/console/cases/WBS-1900-000001/status/1/").status_code == 403
    assert officer.post(transition_url(case, "verifikasi"), {"version": "-5"}).status_code == 400
    assert officer.post(transition_url(case, "verifikasi"), {}).status_code == 400
    assert officer.post(f"/console/cases/{case.number}/clocks/start/", {"rule_code": "NOPE"}).status_code == 302
    assert officer.get(f"/console/cases/{case.number}/upg/").status_code == 200  # a WBS case: the service refuses
    refused = officer.post(
        f"/console/cases/{case.number}/upg/",
        {"version": "0", "handed_over_on": "2026-03-12", "receipt_number": "X", "storage_place": "Y"},
    )
    assert refused.status_code == 400
    assert officer.get(f"/console/cases/{case.number}/retention/").status_code == 403  # supervisors only
    auditor = logged_in(make_staff(Role.AUDITOR))  # type: ignore[operator]
    for path in ("", "status/1/", "triage/", "upg/", "retention/"):
        response = auditor.get(f"/console/cases/{case.number}/{path}")
        assert response.status_code == 403 and WHAT not in response.content.decode()
    excluded = file_wbs(exclude_recipients=[str(staff.other_officer.pk)])
    other = logged_in(staff.other_officer)
    assert other.get(transition_url(excluded, "verifikasi")).status_code == 403
    assert other.post(f"/console/cases/{excluded.number}/triage/", {"version": "0"}).status_code == 403
    assert Case.objects.get(pk=excluded.pk).version == 0


def test_a_clock_started_by_hand_counts_hours(staff: IntakeStaff) -> None:
    case = file_wbs()
    client = logged_in(staff.officer)
    assert client.post(f"/console/cases/{case.number}/clocks/start/", {"rule_code": "PDP_BREACH"}).status_code == 302
    clock = CaseClock.objects.get(case=case, rule_code="PDP_BREACH")
    assert clock.due_at is not None and (clock.due_at - clock.started_at).total_seconds() == 72 * 3600
    client.post(f"/console/cases/{case.number}/clocks/start/", {"rule_code": "PDP_BREACH"})
    assert CaseClock.objects.filter(case=case, rule_code="PDP_BREACH").count() == 1  # refused: already running


def test_the_sla_page_is_for_supervisors(staff: IntakeStaff, make_staff: object) -> None:
    case = file_wbs()
    move(case, "verifikasi", staff=staff)
    late = CaseClock.objects.get(case=case)
    late.start_day, late.due_on = late.start_day - timedelta(days=30), late.start_day - timedelta(days=1)
    late.save()
    late_case = Case.objects.get(pk=case.pk)
    for status in ("telaah", "berkadar_pengawasan"):  # stops the overdue ADUAN_TIDAK_BERKADAR: late
        late_case = move(late_case, status, staff=staff, reason=REASON)
    file_wbs()  # one running on time
    client = logged_in(staff.supervisor)
    response = client.get("/console/sla/")
    html = response.content.decode()
    assert response.status_code == 200 and "<svg" in html and 'id="sla-rules"' in html
    assert "<script" not in html
    row = html.split('id="sla-rules"')[1].split("ADUAN_TIDAK_BERKADAR")[1].split("</tr>")[0]
    assert '<td class="late">1</td>' in row
    officer_table = html.split('id="sla-officers"')[1]
    assert "Sri Rahayu" in officer_table
    assert client.get("/console/sla/?start=2026-12-31&end=2026-01-01").status_code == 400
    assert client.get("/console/sla/?start=yesterday").status_code == 400
    for role in (Role.OFFICER, Role.AUDITOR, Role.ADMIN):
        assert logged_in(make_staff(role)).get("/console/sla/").status_code == 403  # type: ignore[operator]
