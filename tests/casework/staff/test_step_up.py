"""Issue 9.10, second half: sensitive actions ask again for a TOTP code or the password when the last proof of
identity is older than a few minutes (one decorator, one page, one audited service)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.actions import Action
from audit.models import AuditEvent
from casework.staff import two_factor
from casework.staff.roles import Role
from casework.staff.step_up import FACTOR_AT, MAX_FAILURES
from tests.support.staff import PASSWORD, login, totp_code

pytestmark = pytest.mark.django_db


def stale(client: Client, seconds: float = 3600) -> None:
    """Make the session's last proof of identity ``seconds`` old."""
    session = client.session
    session[FACTOR_AT] = time.time() - seconds
    session.save()


def logged_in(user: Any) -> Client:
    client = Client()
    login(client, user)
    return client


def tokens(user: Any) -> set[str]:
    return set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


def actions(action: Action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action.value).order_by("seq"))


def test_fresh_login_needs_no_confirmation(make_staff: Any) -> None:
    user = make_staff(Role.OFFICER)
    before = tokens(user)
    response = logged_in(user).post("/console/security/backup-codes/")
    assert response.status_code == 302 and tokens(user) != before


def test_stale_session_is_asked_again_and_one_code_completes_the_action(make_staff: Any, settings: Any) -> None:
    user = make_staff(Role.OFFICER)
    old = set(two_factor.issue_backup_codes(user))
    client = logged_in(user)
    stale(client, settings.PELUIT_STEP_UP_SECONDS + 1)
    page = client.post("/console/security/backup-codes/")
    assert page.status_code == 200 and 'id="step-up"' in page.content.decode()
    assert 'action="/console/security/backup-codes/"' in page.content.decode()
    assert tokens(user) == old  # nothing issued yet
    device = TOTPDevice.objects.get(user=user)
    done = client.post("/console/security/backup-codes/", {"step_up_secret": totp_code(device, offset_steps=1)})
    assert done.status_code == 302 and tokens(user) != old
    confirmed = actions(Action.STEP_UP_SUCCEEDED)
    assert len(confirmed) == 1 and confirmed[0].details_dict == {"factor": "totp"}
    # Now fresh: the next sensitive action goes straight through.
    assert client.post("/console/security/backup-codes/").status_code == 302


def test_the_password_or_a_backup_code_also_confirms(make_staff: Any) -> None:
    user = make_staff(Role.OFFICER)
    codes = two_factor.issue_backup_codes(user)
    client = logged_in(user)
    stale(client)
    assert client.post("/console/security/backup-codes/", {"step_up_secret": codes[0].upper()}).status_code == 302
    stale(client)  # (the action replaced the backup codes)
    assert client.post("/console/security/backup-codes/", {"step_up_secret": PASSWORD}).status_code == 302
    assert [e.details_dict["factor"] for e in actions(Action.STEP_UP_SUCCEEDED)] == ["backup_code", "password"]


def test_wrong_answers_are_audited_and_the_fifth_ends_the_session(make_staff: Any) -> None:
    user = make_staff(Role.OFFICER)
    old = set(two_factor.issue_backup_codes(user))
    client = logged_in(user)
    stale(client)
    for attempt in range(1, MAX_FAILURES):
        response = client.post("/en/console/security/backup-codes/", {"step_up_secret": "not my password"})
        assert response.status_code == 400 and "That was not right" in response.content.decode()
        assert actions(Action.STEP_UP_FAILED)[-1].details_dict == {"failures": attempt}
    response = client.post("/console/security/backup-codes/", {"step_up_secret": "not my password"})
    assert response.status_code == 302 and response["Location"].endswith("/auth/login/")
    assert client.get("/console/").status_code == 302  # logged out
    assert tokens(user) == old
    assert actions(Action.LOGOUT)


def test_pages_that_show_secrets_redirect_to_the_confirmation_and_back(make_staff: Any) -> None:
    user = make_staff(Role.OFFICER)
    client = logged_in(user)
    stale(client)
    response = client.get("/console/security/password/")
    assert response.status_code == 302
    assert response["Location"] == "/console/security/confirm/?next=%2Fconsole%2Fsecurity%2Fpassword%2F"
    confirm = client.get(response["Location"])
    assert confirm.status_code == 200 and 'name="next" value="/console/security/password/"' in confirm.content.decode()
    back = client.post(
        "/console/security/confirm/", {"step_up_secret": PASSWORD, "next": "/console/security/password/"}
    )
    assert back.status_code == 302 and back["Location"] == "/console/security/password/"
    assert client.get("/console/security/password/").status_code == 200


def test_the_confirmation_page_never_sends_you_elsewhere(make_staff: Any) -> None:
    client = logged_in(make_staff(Role.OFFICER))
    stale(client)
    back = client.post("/console/security/confirm/", {"step_up_secret": PASSWORD, "next": "https://evil.example/"})
    assert back.status_code == 302 and back["Location"] == "/console/"


def test_passwords_are_never_written_back_into_the_page(make_staff: Any) -> None:
    user = make_staff(Role.OFFICER)
    client = logged_in(user)
    new = "a completely new passphrase 42"
    stale(client)
    page = client.post(
        "/console/security/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    html = page.content.decode()
    assert page.status_code == 200 and 'id="step-up"' in html
    assert new not in html and PASSWORD not in html
    assert 'name="step_up_return" value="/console/security/password/"' in html
    back = client.post(
        "/console/security/password/", {"step_up_secret": PASSWORD, "step_up_return": "/console/security/password/"}
    )
    assert back.status_code == 302 and back["Location"] == "/console/security/password/"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)  # not changed: the form is filled in again


def test_staff_changes_need_a_recent_confirmation(make_staff: Any) -> None:
    admin = make_staff(Role.ADMIN)
    client = logged_in(admin)
    stale(client)
    from casework.models import StaffUser

    before = StaffUser.objects.count()
    page = client.post(
        "/console/staff/new/",
        {
            "username": "baru",
            "role": "officer",
            "password1": "a long new passphrase 7",
            "password2": "a long new passphrase 7",
        },
    )
    assert page.status_code == 200 and 'id="step-up"' in page.content.decode()
    assert StaffUser.objects.count() == before
    html = page.content.decode()
    assert "a long new passphrase 7" not in html  # never written back; the form is filled in again
    assert 'name="step_up_return" value="/console/staff/new/"' in html
