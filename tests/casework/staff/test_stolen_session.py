"""Issue 9.10: a stolen session cookie alone opens nothing in the console.

A console request must carry the console (vault) cookie of its own session; without it the request counts as
logged out: the session is ended, the denial audited, nothing changed. Reproduction from the issue: with only
the session cookie one could regenerate backup codes and revoke officers' access.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from audit.actions import Action
from audit.models import AuditEvent
from casework.staff import two_factor
from casework.staff.roles import Role
from tests.casework.cases.test_case_console import submit
from tests.intake.conftest import IntakeStaff, create_intake_staff
from tests.support.staff import login
from vault import services as vault
from vault.console import console_cookies

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_staff: Any) -> IntakeStaff:
    return create_intake_staff(make_staff)


def thief_of(victim: Client) -> Client:
    """A client holding only the victim's session cookie (as a thief who copied it would)."""
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = victim.cookies[settings.SESSION_COOKIE_NAME].value
    return thief


def test_backup_codes_cannot_be_regenerated_with_the_session_cookie_alone(make_staff: Any) -> None:
    officer = make_staff(Role.OFFICER)
    codes = two_factor.issue_backup_codes(officer)
    victim = Client()
    login(victim, officer)
    response = thief_of(victim).post("/console/security/backup-codes/")
    assert response.status_code == 302 and "/auth/login/" in response["Location"]
    # The old codes still work: nothing was regenerated.
    from django_otp.plugins.otp_static.models import StaticToken

    assert set(StaticToken.objects.filter(device__user=officer).values_list("token", flat=True)) == set(codes)
    # The stolen session is over, for the thief and the victim alike; the denial is in the log.
    assert victim.get("/console/").status_code == 302
    denied = AuditEvent.objects.filter(action=Action.CONSOLE_ACCESS_DENIED.value).get()
    assert denied.details_dict["reason"] == "console_cookie_missing" and denied.actor_staff_id == officer.pk


def test_officers_access_cannot_be_revoked_with_the_session_cookie_alone(staff: IntakeStaff) -> None:
    case = submit(files=False, assign=False).case
    from casework.cases.assignment import case_assign

    case_assign(
        case=case,
        officer=staff.officer,
        lead=True,
        assigned_by=staff.supervisor,
        keyring=staff.keyring(staff.supervisor),
    )
    victim = Client()
    login(victim, staff.supervisor)
    thief = thief_of(victim)
    response = thief.post(f"/console/cases/{case.number}/revoke/", {"officer": staff.officer.pk, "confirm": "on"})
    assert response.status_code == 302 and "/auth/login/" in response["Location"]
    assert vault.holds_report(user=staff.officer, report_id=case.id)
    assert not AuditEvent.objects.filter(action=Action.CASE_REVOKED.value).exists()


def test_a_forged_console_cookie_does_not_help(make_staff: Any) -> None:
    admin = make_staff(Role.ADMIN)
    victim = Client()
    login(victim, admin)
    thief = thief_of(victim)
    for name, _path in console_cookies():
        thief.cookies[name] = "A" * 43
    response = thief.get("/console/staff/")
    assert response.status_code == 302 and "/auth/login/" in response["Location"]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_keeps_the_console_with_both_cookies(make_staff: Any, role: Role) -> None:
    """Administrators and auditors hold no case key, but their session is bound to the console cookie too."""
    client = Client()
    login(client, make_staff(role))
    assert client.get("/console/").status_code == 200
    for name, _path in console_cookies():
        del client.cookies[name]
    assert client.get("/console/").status_code == 302


def test_an_expired_session_changes_nothing_and_comes_back_home_after_login(staff: IntakeStaff) -> None:
    """Bad input of issue 11: a form posted after the session expired is refused without a 500."""
    from django.contrib.sessions.models import Session

    case = submit(files=False, assign=False).case
    client = Client()
    login(client, staff.supervisor)
    Session.objects.all().delete()  # expired (idle timeout, housekeeping)
    response = client.post(
        f"/console/cases/{case.number}/assign/", {"assign-officer": staff.other_officer.pk, "assign-role": "member"}
    )
    assert response.status_code == 302 and response["Location"] == "/auth/login/"
    assert not vault.holds_report(user=staff.other_officer, report_id=case.id)
    assert not case.team.filter(pk=staff.other_officer.pk).exists()
