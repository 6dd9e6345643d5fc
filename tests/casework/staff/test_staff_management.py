"""Administrators manage staff in the console: create, reset password or authenticator, deactivate."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.actions import Action
from audit.models import AuditEvent
from casework.models import StaffUser
from casework.staff.roles import Role
from tests.support.staff import PASSWORD, login, totp_code
from vault import services as vault

pytestmark = pytest.mark.django_db
NEW = "another strong passphrase 77"


@pytest.fixture
def admin_client(make_staff) -> Client:
    client = Client()
    client.admin = make_staff(Role.ADMIN)  # type: ignore[attr-defined]
    login(client, client.admin)  # type: ignore[attr-defined]
    return client


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def test_admin_creates_an_account_that_enrols_at_first_login(admin_client: Client) -> None:
    response = admin_client.post(
        "/console/staff/new/",
        {
            "username": "nita",
            "full_name": "Nita Sari",
            "email": "",
            "role": "officer",
            "password1": NEW,
            "password2": NEW,
        },
    )
    assert response.status_code == 302
    nita = StaffUser.objects.get(username="nita")
    assert nita.role == Role.OFFICER and nita.get_full_name() == "Nita Sari"
    assert vault.has_officer_key(user=nita)  # officers get their vault key with the account
    assert not TOTPDevice.objects.filter(user=nita).exists()
    created = AuditEvent.objects.filter(action=Action.STAFF_CREATED).order_by("seq").last()
    assert created is not None and created.actor_staff_id == admin_client.admin.pk  # type: ignore[attr-defined]
    first_login = Client().post("/auth/login/", {"username": "nita", "password": NEW})
    assert first_login["Location"] == "/auth/enrol/"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "x y", "role": "officer", "password1": NEW, "password2": NEW}, "Gunakan huruf, angka"),
        ({"username": "ok", "role": "officer", "password1": NEW, "password2": NEW + "!"}, "tidak sama"),
        ({"username": "ok", "role": "officer", "password1": "short1!", "password2": "short1!"}, "12"),
        ({"username": "ok", "role": "wizard", "password1": NEW, "password2": NEW}, "pilihan yang valid"),
    ],
)
def test_bad_input_creates_nothing(admin_client: Client, data: dict[str, str], message: str) -> None:
    before = StaffUser.objects.count()
    response = admin_client.post("/console/staff/new/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert StaffUser.objects.count() == before


def test_duplicate_username_is_refused(admin_client: Client, make_staff) -> None:
    existing = make_staff()
    response = admin_client.post(
        "/console/staff/new/",
        {"username": existing.username.upper(), "role": "auditor", "password1": NEW, "password2": NEW},
    )
    assert "sudah ada" in response.content.decode()


def test_password_reset_replaces_the_vault_key_and_ends_sessions(admin_client: Client, make_staff) -> None:
    officer = make_staff(Role.OFFICER)
    officer_client = Client()
    login(officer_client, officer)
    old_public = bytes(officer.officer_key.public_key)
    response = admin_client.post(
        f"/console/staff/{officer.pk}/", {"action": "reset_password", "password1": NEW, "password2": NEW}
    )
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(NEW)
    assert officer_client.get("/console/").status_code == 302  # their old session is over
    assert Action.STAFF_PASSWORD_RESET in actions() and Action.OFFICER_KEY_RESET in actions()
    officer.officer_key.refresh_from_db()
    assert bytes(officer.officer_key.public_key) != old_public
    login(Client(), officer, password=NEW, offset_steps=1)


def test_a_weak_reset_password_changes_nothing(admin_client: Client, make_staff) -> None:
    officer = make_staff(Role.OFFICER)
    response = admin_client.post(
        f"/console/staff/{officer.pk}/", {"action": "reset_password", "password1": "1234", "password2": "1234"}
    )
    assert response.status_code == 400
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)
    assert Action.STAFF_PASSWORD_RESET not in actions()


def test_authenticator_reset_needs_confirmation_then_forces_enrolment(admin_client: Client, make_staff) -> None:
    auditor = make_staff(Role.AUDITOR)
    refused = admin_client.post(f"/console/staff/{auditor.pk}/", {"action": "reset_second_factor"})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=auditor).exists()
    done = admin_client.post(f"/console/staff/{auditor.pk}/", {"action": "reset_second_factor", "factor-confirm": "on"})
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=auditor).exists()
    response = Client().post("/auth/login/", {"username": auditor.username, "password": PASSWORD})
    assert response["Location"] == "/auth/enrol/"
    assert actions()[-1] == Action.STAFF_SECOND_FACTOR_RESET


def test_deactivation_blocks_login_and_cannot_target_oneself(admin_client: Client, make_staff) -> None:
    officer = make_staff(Role.OFFICER)
    admin_client.post(f"/console/staff/{officer.pk}/", {"action": "deactivate"})
    officer.refresh_from_db()
    assert not officer.is_active
    refused = Client().post("/auth/login/", {"username": officer.username, "password": PASSWORD})
    assert refused.status_code == 200  # stays on the login page with the generic message
    admin = admin_client.admin  # type: ignore[attr-defined]
    response = admin_client.post(f"/console/staff/{admin.pk}/", {"action": "deactivate"}, follow=True)
    assert "tidak dapat menonaktifkan akun Anda sendiri" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active
    admin_client.post(f"/console/staff/{officer.pk}/", {"action": "reactivate"})
    officer.refresh_from_db()
    assert officer.is_active
    staff_actions = [a for a in actions() if a.startswith("staff.") and a != Action.STAFF_CREATED]
    # The refused self-deactivation wrote nothing.
    assert staff_actions == [Action.STAFF_DEACTIVATED, Action.STAFF_REACTIVATED]


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR])
def test_only_administrators_manage_staff(make_staff, role: Role) -> None:
    client = Client()
    login(client, make_staff(role))
    target = make_staff(Role.OFFICER)
    assert client.get("/console/staff/").status_code == 403
    assert client.get("/console/staff/new/").status_code == 403
    response = client.post(f"/console/staff/{target.pk}/", {"action": "deactivate"})
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.is_active


def test_unknown_account_is_a_404(admin_client: Client) -> None:
    assert admin_client.get("/console/staff/999999/").status_code == 404


def test_totp_helper_matches_the_device(make_staff) -> None:
    user = make_staff()
    device = TOTPDevice.objects.get(user=user)
    assert device.verify_token(totp_code(device))
