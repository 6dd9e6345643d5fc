"""Two-step staff login: password, then TOTP or backup code; enrolment; lockout; logout; password change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.models import StaffUser
from casework.staff import two_factor
from casework.staff.roles import Role
from tests.audit.helpers import tamper
from tests.support.staff import PASSWORD, login, totp_code

pytestmark = pytest.mark.django_db


def password_step(client: Client, user: StaffUser, password: str = PASSWORD, prefix: str = ""):
    return client.post(f"{prefix}/auth/login/", {"username": user.username, "password": password})


def test_password_and_totp_reach_the_console(client: Client, make_staff) -> None:
    user = make_staff(Role.SUPERVISOR)
    response = password_step(client, user)
    assert response["Location"] == "/auth/verify/"
    # The password alone does not open the console.
    assert client.get("/console/")["Location"].startswith("/auth/login/")
    device = TOTPDevice.objects.get(user=user)
    response = client.post("/auth/verify/", {"code": totp_code(device)})
    assert response.status_code == 302
    page = client.get("/console/")
    assert page.status_code == 200
    assert user.username.encode() in page.content


def test_wrong_password_is_refused_in_indonesian_and_english(client: Client, make_staff) -> None:
    user = make_staff()
    response = password_step(client, user, password="not the password at all")
    assert response.status_code == 200
    assert "Nama pengguna atau kata sandi salah" in response.content.decode()
    response = password_step(client, user, password="not the password at all", prefix="/en")
    assert "The username or password is wrong." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_totp_is_refused_and_nothing_is_logged_in(client: Client, make_staff) -> None:
    user = make_staff()
    password_step(client, user)
    device = TOTPDevice.objects.get(user=user)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = client.post("/auth/verify/", {"code": wrong})
    assert response.status_code == 200
    assert "Kode salah, kedaluwarsa, atau sudah dipakai" in response.content.decode()
    assert client.get("/console/").status_code == 302


def test_a_totp_code_cannot_be_used_twice(client: Client, make_staff) -> None:
    user = make_staff()
    device = TOTPDevice.objects.get(user=user)
    code = totp_code(device)
    password_step(client, user)
    assert client.post("/auth/verify/", {"code": code}).status_code == 302
    client.post("/auth/logout/")
    password_step(client, user)
    response = client.post("/auth/verify/", {"code": code})
    assert response.status_code == 200
    assert client.get("/console/").status_code == 302


def test_an_expired_totp_code_is_refused(client: Client, make_staff) -> None:
    user = make_staff()
    device = TOTPDevice.objects.get(user=user)
    password_step(client, user)
    response = client.post("/auth/verify/", {"code": totp_code(device, offset_steps=-3)})
    assert response.status_code == 200
    assert client.get("/console/").status_code == 302


def test_backup_code_works_exactly_once(client: Client, make_staff) -> None:
    user = make_staff()
    codes = two_factor.issue_backup_codes(user)
    assert len(codes) == 10 and len(set(codes)) == 10
    password_step(client, user)
    assert client.post("/auth/verify/", {"code": codes[0]}).status_code == 302
    assert client.get("/console/").status_code == 200
    client.post("/auth/logout/")
    password_step(client, user)
    assert client.post("/auth/verify/", {"code": codes[0]}).status_code == 200
    assert two_factor.remaining_backup_codes(user) == 9


def test_repeated_password_failures_lock_the_account(client: Client, make_staff, settings) -> None:
    user = make_staff()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, user, password="wrong password again")
    response = password_step(client, user)  # even the right password is refused now
    assert response.status_code == 429
    assert "Terlalu banyak percobaan gagal" in response.content.decode()
    assert "/auth/verify/" not in response.get("Location", "")
    other = make_staff()
    assert password_step(Client(), other).status_code == 302  # other accounts are unaffected


def test_repeated_wrong_codes_slow_the_device_down(client: Client, make_staff) -> None:
    user = make_staff()
    password_step(client, user)
    for _ in range(3):
        client.post("/auth/verify/", {"code": "000000"})
    device = TOTPDevice.objects.get(user=user)
    response = client.post("/auth/verify/", {"code": totp_code(device)})
    assert response.status_code == 200
    assert "Tunggu" in response.content.decode()
    assert client.get("/console/").status_code == 302


def test_verify_step_without_password_step_goes_back_to_login(client: Client) -> None:
    response = client.get("/auth/verify/")
    assert response.status_code == 302 and response["Location"] == "/auth/login/"


def test_pending_password_step_expires(client: Client, make_staff) -> None:
    user = make_staff()
    password_step(client, user)
    session = client.session
    session["peluit_pending_since"] -= 10 * 60
    session.save()
    device = TOTPDevice.objects.get(user=user)
    response = client.post("/auth/verify/", {"code": totp_code(device)})
    assert response["Location"] == "/auth/login/"
    assert client.get("/console/").status_code == 302


def test_enrolment_shows_secret_and_qr_then_issues_backup_codes(client: Client, make_staff, settings) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the retry below follows a failure at once
    user = make_staff(with_totp=False)
    response = password_step(client, user)
    assert response["Location"] == "/auth/enrol/"
    page = client.get("/auth/enrol/")
    html = page.content.decode()
    assert "<svg" in html and "<script" not in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert two_factor.totp_secret_base32(device) in html
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    refused = client.post("/auth/enrol/", {"code": wrong})
    assert refused.status_code == 200 and "Kode tidak cocok" in refused.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    response = client.post("/auth/enrol/", {"code": totp_code(device, offset_steps=1)})
    assert response["Location"] == "/console/security/backup-codes/"
    codes_page = client.get("/console/security/backup-codes/").content.decode()
    assert codes_page.count("<code>") == 10
    # Shown once only.
    assert client.get("/console/security/backup-codes/").content.decode().count("<code>") == 0
    assert TOTPDevice.objects.get(user=user).confirmed


def test_logout_ends_the_console_session(client: Client, make_staff) -> None:
    user = make_staff()
    login(client, user)
    assert client.get("/console/").status_code == 200
    response = client.post("/auth/logout/")
    assert response.status_code == 302
    assert client.get("/console/").status_code == 302
    assert client.get("/auth/logout/").status_code == 405  # logout is POST-only (no CSRF-able GET)


def test_logout_ends_the_session_even_when_the_audit_log_refuses_the_write(make_staff) -> None:
    """An altered audit log stops every write with a 503 (audit.exceptions.AuditTailAltered), but a staff member
    can still end their session: nothing is left open on a shared computer (outside probe)."""
    client = Client(raise_request_exception=False)
    user = make_staff()
    login(client, user)
    assert client.get("/console/").status_code == 200
    last = "(SELECT MAX(seq) FROM audit_auditevent)"
    if connection.vendor == "sqlite":  # SQLite keeps a value of any type
        tamper(f"UPDATE audit_auditevent SET chain_hash = 'abc' WHERE seq = {last}")  # noqa: S608 - constant
    else:
        tamper("ALTER TABLE audit_auditevent ALTER COLUMN chain_hash DROP NOT NULL")
        tamper(f"UPDATE audit_auditevent SET chain_hash = NULL WHERE seq = {last}")  # noqa: S608 - constant
    response = client.post("/auth/logout/")
    assert response.status_code == 503  # the logout could not be audited: the page says the log needs attention
    assert client.get("/console/").status_code == 302
    assert not Session.objects.exists()


def test_idle_session_expires(client: Client, make_staff, settings) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    user = make_staff()
    login(client, user)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/console/")["Location"].startswith("/auth/login/")


def test_password_change_requires_the_old_password(client: Client, make_staff) -> None:
    user = make_staff()
    login(client, user)
    new = "a different long passphrase 42"
    bad = client.post(
        "/console/security/password/",
        {"old_password": "wrong old password", "new_password1": new, "new_password2": new},
    )
    assert bad.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    good = client.post(
        "/console/security/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert good.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    assert client.get("/console/").status_code == 200  # the session survives its own password change


def test_short_passwords_are_refused(client: Client, make_staff) -> None:
    user = make_staff()
    login(client, user)
    response = client.post(
        "/console/security/password/",
        {"old_password": PASSWORD, "new_password1": "Xy7!short", "new_password2": "Xy7!short"},
    )
    assert response.status_code == 200
    assert "12" in response.content.decode()


def test_non_admins_cannot_see_the_staff_list(client: Client, make_staff) -> None:
    officer = make_staff(Role.OFFICER)
    login(client, officer)
    assert client.get("/console/staff/").status_code == 403
    admin_client = Client()
    login(admin_client, make_staff(Role.ADMIN))
    page = admin_client.get("/console/staff/")
    assert page.status_code == 200 and officer.username in page.content.decode()


def test_login_error_is_shown_once(client: Client, make_staff) -> None:
    """The wrong-password message (a non-field error) appears once, not twice."""
    user = make_staff()
    page = password_step(client, user, password="not the password at all").content.decode()
    assert page.count("Nama pengguna atau kata sandi salah") == 1


def test_a_backup_code_is_accepted_in_capitals_and_does_not_slow_the_authenticator(client: Client, make_staff) -> None:
    """People copy backup codes from paper in capitals; using one is not a failed TOTP attempt."""
    user = make_staff()
    codes = two_factor.issue_backup_codes(user)
    password_step(client, user)
    assert client.post("/auth/verify/", {"code": codes[0].upper()}).status_code == 302
    assert TOTPDevice.objects.get(user=user).throttling_failure_count == 0
    client.post("/auth/logout/")
    password_step(client, user)  # right away, the authenticator still works
    response = client.post("/auth/verify/", {"code": totp_code(TOTPDevice.objects.get(user=user))})
    assert response.status_code == 302 and "/auth/" not in response["Location"]


def test_login_fields_tell_password_managers_what_they_are(client: Client) -> None:
    page = client.get("/auth/login/").content.decode()
    assert 'autocomplete="username"' in page and 'autocomplete="current-password"' in page


def test_attempts_during_a_lockout_do_not_extend_it(client: Client, make_staff, settings) -> None:
    """The lock ends 15 minutes after the failures that caused it, however often someone tries meanwhile."""
    from axes.models import AccessAttempt

    user = make_staff()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, user, password="wrong password again")
    started = timezone.now() - settings.AXES_COOLOFF_TIME + timedelta(seconds=30)
    AccessAttempt.objects.filter(username=user.username).update(attempt_time=started)
    assert password_step(client, user, password="wrong password again").status_code == 429
    assert password_step(client, user).status_code == 429
    assert AccessAttempt.objects.get(username=user.username).attempt_time == started
