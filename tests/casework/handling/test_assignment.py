"""Issue 11.5: a supervisor assigns a lead officer and a team (which grants their keys), takes access away; an
officer declares a conflict of interest and loses access at once; the reporter's exclusions hold; a departing
colleague's cases are handed over from one page. All audited; bad input changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases.assignment import case_assign, case_declare_conflict, hand_over_cases
from casework.cases.services import CaseActionRefused, case_grant
from casework.models import Case
from casework.staff.roles import Role
from tests.casework.handling.conftest import Staff, case_url, file_report, logged_in
from vault import services as vault

pytestmark = pytest.mark.django_db


def events(action: Action, case: Case | None = None) -> list[AuditEvent]:
    found = AuditEvent.objects.filter(action=action.value).order_by("seq")
    if case is not None:
        found = found.filter(case_ref=case.number)
    return list(found)


def holds(user: Any, case: Case) -> bool:
    return vault.holds_report(user=user, report_id=case.id)


def test_new_reports_reach_the_supervisors_and_officers_get_them_by_assignment(staff: Staff) -> None:
    case = file_report().case
    assert holds(staff.supervisor, case) and holds(staff.deputy, case)
    assert not holds(staff.officer, case) and not holds(staff.other_officer, case)
    officer = logged_in(staff.officer)
    assert officer.get(case_url(case)).status_code == 403

    supervisor = logged_in(staff.supervisor)
    response = supervisor.post(
        case_url(case, "assign/"), {"assign-officer": staff.officer.pk, "assign-role": "lead"}, follow=True
    )
    assert response.status_code == 200 and "sekarang anggota tim" in response.content.decode()
    case.refresh_from_db()
    assert case.lead_officer == staff.officer and list(case.team.all()) == [staff.officer]
    assert holds(staff.officer, case)
    assigned = events(Action.CASE_ASSIGNED, case)
    assert len(assigned) == 1 and assigned[0].actor_username == "kepala"
    assert assigned[0].details_dict == {"officer": "petugas1", "role": "lead", "key": "keyring"}
    granted = events(Action.CASE_GRANTED, case)[-1]
    assert granted.details_dict["officer"] == "petugas1" and granted.actor_username == "kepala"
    page = officer.get(case_url(case)).content.decode()
    assert "Kepala seksi meminta setoran" in page and 'id="lead-officer">Budi Santoso<' in page


def test_a_supervisor_who_does_not_hold_the_case_assigns_through_escrow(staff: Staff) -> None:
    case = file_report().case
    vault.revoke_case(report_id=case.id, officer=staff.supervisor)
    case_assign(
        case=case,
        officer=staff.officer,
        lead=False,
        assigned_by=staff.supervisor,
        keyring=staff.keyring(staff.supervisor),
    )
    assert holds(staff.officer, case)
    assert events(Action.CASE_ASSIGNED, case)[-1].details_dict["key"] == "escrow"
    assert events(Action.CASE_REGRANTED_BY_ESCROW, case)


def test_a_supervisor_with_neither_the_case_nor_escrow_is_refused(staff: Staff) -> None:
    case = file_report().case
    vault.revoke_case(report_id=case.id, officer=staff.deputy)
    with translation.override("en"), pytest.raises(CaseActionRefused, match="escrow holder"):
        case_assign(
            case=case, officer=staff.officer, lead=True, assigned_by=staff.deputy, keyring=staff.keyring(staff.deputy)
        )
    case.refresh_from_db()
    assert case.lead_officer is None and not case.team.exists() and not holds(staff.officer, case)
    assert not events(Action.CASE_ASSIGNED)


def test_assignment_refuses_excluded_staff_and_people_without_keys(staff: Staff, make_staff: Any) -> None:
    case = file_report(exclude_recipients=[str(staff.other_officer.pk)]).case
    auditor = make_staff(Role.AUDITOR)
    client = logged_in(staff.supervisor)
    for person in (staff.other_officer, auditor):
        response = client.post(
            case_url(case, "assign/", lang="en"), {"assign-officer": person.pk, "assign-role": "member"}, follow=True
        )
        assert "Select a valid choice" in response.content.decode()
    # The service says why, whatever calls it.
    with translation.override("en"), pytest.raises(CaseActionRefused, match="must not read"):
        case_assign(
            case=case,
            officer=staff.other_officer,
            lead=False,
            assigned_by=staff.supervisor,
            keyring=staff.keyring(staff.supervisor),
        )
    with translation.override("en"), pytest.raises(CaseActionRefused, match="cannot be given access"):
        case_assign(
            case=case,
            officer=auditor,
            lead=False,
            assigned_by=staff.supervisor,
            keyring=staff.keyring(staff.supervisor),
        )
    assert not case.team.exists() and not events(Action.CASE_ASSIGNED)
    assert not holds(staff.other_officer, case)


def test_officers_cannot_assign(staff: Staff) -> None:
    case = file_report().case
    case_assign(
        case=case,
        officer=staff.officer,
        lead=True,
        assigned_by=staff.supervisor,
        keyring=staff.keyring(staff.supervisor),
    )
    response = logged_in(staff.officer).post(
        case_url(case, "assign/"), {"assign-officer": staff.other_officer.pk, "assign-role": "member"}
    )
    assert response.status_code == 403
    assert not holds(staff.other_officer, case)
    denied = events(Action.CONSOLE_ACCESS_DENIED)
    assert denied and denied[-1].details_dict["route"] == "console:case_assign" and denied[-1].case_ref == case.number
    with pytest.raises(CaseActionRefused):
        case_assign(
            case=case,
            officer=staff.other_officer,
            lead=False,
            assigned_by=staff.officer,
            keyring=staff.keyring(staff.officer),
        )


def test_a_new_lead_replaces_the_old_one_who_stays_on_the_team(staff: Staff) -> None:
    case = file_report().case
    keyring = staff.keyring(staff.supervisor)
    case_assign(case=case, officer=staff.officer, lead=True, assigned_by=staff.supervisor, keyring=keyring)
    case_assign(case=case, officer=staff.other_officer, lead=True, assigned_by=staff.supervisor, keyring=keyring)
    case.refresh_from_db()
    assert case.lead_officer == staff.other_officer
    assert set(case.team.all()) == {staff.officer, staff.other_officer}
    with pytest.raises(CaseActionRefused):  # the same role twice changes nothing
        case_assign(case=case, officer=staff.officer, lead=False, assigned_by=staff.supervisor, keyring=keyring)


def test_taking_access_away_also_takes_the_officer_off_the_team(staff: Staff) -> None:
    case = file_report().case
    case_assign(
        case=case,
        officer=staff.officer,
        lead=True,
        assigned_by=staff.supervisor,
        keyring=staff.keyring(staff.supervisor),
    )
    response = logged_in(staff.supervisor).post(case_url(case, "revoke/"), {"officer": staff.officer.pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.lead_officer is None and not case.team.exists() and not holds(staff.officer, case)


def test_conflict_of_interest_removes_access_at_once_and_for_good(staff: Staff) -> None:
    case = file_report().case
    case_assign(
        case=case,
        officer=staff.officer,
        lead=True,
        assigned_by=staff.supervisor,
        keyring=staff.keyring(staff.supervisor),
    )
    client = logged_in(staff.officer)
    assert client.get(case_url(case)).status_code == 200
    # Without the confirmation nothing happens.
    client.post(case_url(case, "conflict/"), {})
    assert holds(staff.officer, case)
    response = client.post(case_url(case, "conflict/"), {"conflict-confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/console/cases/"
    case.refresh_from_db()
    assert not holds(staff.officer, case) and case.lead_officer is None and not case.team.exists()
    assert list(case.conflicted_staff.all()) == [staff.officer]
    assert client.get(case_url(case)).status_code == 403
    declared = events(Action.CONFLICT_DECLARED, case)
    assert len(declared) == 1 and declared[0].actor_username == "petugas1"
    assert events(Action.CASE_REVOKED, case)[-1].details_dict["officer"] == "petugas1"
    # Nobody can give the case back to them: not by assignment, not by a grant.
    with translation.override("en"), pytest.raises(CaseActionRefused, match="conflict of interest"):
        case_assign(
            case=case,
            officer=staff.officer,
            lead=False,
            assigned_by=staff.supervisor,
            keyring=staff.keyring(staff.supervisor),
        )
    with translation.override("en"), pytest.raises(CaseActionRefused, match="conflict of interest"):
        case_grant(case=case, keyring=staff.keyring(staff.deputy), officer=staff.officer)
    with pytest.raises(CaseActionRefused):  # and declaring twice is refused
        case_declare_conflict(case=case, officer=staff.officer)


def test_hand_over_moves_a_departing_officers_cases(staff: Staff, make_staff: Any) -> None:
    successor = make_staff(Role.OFFICER, username="petugas3")
    keyring = staff.keyring(staff.supervisor)
    led = file_report().case
    member = file_report().case
    refused = file_report(exclude_recipients=[str(successor.pk)]).case
    other = file_report().case
    for case, lead in ((led, True), (member, False), (refused, True)):
        case_assign(case=case, officer=staff.officer, lead=lead, assigned_by=staff.supervisor, keyring=keyring)
    case_assign(case=member, officer=staff.other_officer, lead=True, assigned_by=staff.supervisor, keyring=keyring)
    case_grant(case=other, keyring=keyring, officer=staff.officer)  # held, but not on its team
    staff.officer.is_active = False  # the officer has left
    staff.officer.save()

    client = logged_in(staff.supervisor)
    preview = client.get(f"/console/handover/?departing={staff.officer.pk}").content.decode()
    assert led.number in preview and member.number in preview and refused.number in preview
    assert other.number not in preview.split('id="hand-over-cases"')[1].split("</section>")[0]
    response = client.post(
        "/console/handover/",
        {"departing": staff.officer.pk, "successor": successor.pk, "revoke_other_access": "on", "confirm": "on"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 kasus diserahkan" in html and refused.number in html.split("Tidak diserahkan")[1]
    for case in (led, member, refused, other):
        case.refresh_from_db()
    assert led.lead_officer == successor and set(led.team.all()) == {successor}
    assert member.lead_officer == staff.other_officer and set(member.team.all()) == {staff.other_officer, successor}
    assert refused.lead_officer == staff.officer  # left as it was, and said so
    assert all(holds(successor, case) for case in (led, member)) and not holds(successor, refused)
    assert staff.officer.pk not in vault.granted_officer_ids(report_id=led.id)
    assert staff.officer.pk not in vault.granted_officer_ids(report_id=other.id)  # the other access went too
    assert staff.officer.pk in vault.granted_officer_ids(report_id=refused.id)
    handed = events(Action.CASE_HANDED_OVER)
    # Cases of the same hour have no order (their numbers do not count): one event each, in either order.
    by_case = {e.case_ref: e.details_dict for e in handed}
    assert len(handed) == 2 and set(by_case) == {led.number, member.number}
    assert by_case[led.number] == {
        "from_officer": "petugas1",
        "to_officer": "petugas3",
        "role": "lead",
        "key": "keyring",
    }


def test_hand_over_bad_input_changes_nothing(staff: Staff) -> None:
    case = file_report().case
    keyring = staff.keyring(staff.supervisor)
    case_assign(case=case, officer=staff.officer, lead=True, assigned_by=staff.supervisor, keyring=keyring)
    client = logged_in(staff.supervisor)
    same = client.post(
        "/en/console/handover/", {"departing": staff.officer.pk, "successor": staff.officer.pk, "confirm": "on"}
    )
    assert same.status_code == 400 and "Choose someone else" in same.content.decode()
    unconfirmed = client.post(
        "/console/handover/", {"departing": staff.officer.pk, "successor": staff.other_officer.pk}
    )
    assert unconfirmed.status_code == 400
    assert not events(Action.CASE_HANDED_OVER)
    with pytest.raises(CaseActionRefused):
        hand_over_cases(
            departing=staff.officer, successor=staff.other_officer, handed_over_by=staff.officer, keyring=keyring
        )
    assert logged_in(staff.officer).get("/console/handover/").status_code == 403


def test_a_stale_session_confirms_once_and_the_assignment_goes_through(staff: Staff) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from casework.staff.step_up import FACTOR_AT
    from tests.support.staff import totp_code

    case = file_report().case
    client = logged_in(staff.supervisor)
    session = client.session
    session[FACTOR_AT] -= 3600
    session.save()
    data = {"assign-officer": staff.officer.pk, "assign-role": "lead"}
    page = client.post(case_url(case, "assign/"), data)
    assert page.status_code == 200 and 'id="step-up"' in page.content.decode()
    assert not holds(staff.officer, case)
    code = totp_code(TOTPDevice.objects.get(user=staff.supervisor), offset_steps=1)
    done = client.post(case_url(case, "assign/"), {**data, "step_up_secret": code})
    assert done.status_code == 302 and holds(staff.officer, case)


def test_the_hand_over_preview_shows_no_errors(make_staff: Any) -> None:
    supervisor = make_staff(Role.SUPERVISOR)
    page = logged_in(supervisor).get(f"/console/handover/?departing={supervisor.pk}")
    assert page.status_code == 200 and 'class="errorlist"' not in page.content.decode()
