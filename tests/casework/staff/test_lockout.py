"""Issue 9.11: wrong passwords lock a staff login by username *and* client address, so an attacker elsewhere
cannot lock the officer out; a ceiling per username over all addresses still stops a spread-out campaign."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from audit.actions import Action
from audit.models import AuditEvent
from casework.staff.roles import Role
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.django_db

OFFICE = "10.20.30.40"
ATTACKER = "198.51.100.66"


def password_step(user: Any, *, address: str, password: str = PASSWORD, forwarded: str = "") -> Any:
    extra = {"REMOTE_ADDR": address}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client().post("/auth/login/", {"username": user.username, "password": password}, **extra)


def test_wrong_passwords_from_elsewhere_do_not_lock_the_officer_out(make_staff: Any, settings: Any) -> None:
    officer = make_staff(Role.OFFICER)
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        password_step(officer, address=ATTACKER, password="wrong password again")
    # The attacker's address is locked, even with the right password ...
    locked = password_step(officer, address=ATTACKER)
    assert locked.status_code == 429 and "Terlalu banyak percobaan gagal" in locked.content.decode()
    # ... the officer at the office is not.
    response = password_step(officer, address=OFFICE)
    assert response.status_code == 302 and response["Location"] == "/auth/verify/"
    failed = AuditEvent.objects.filter(action=Action.LOGIN_FAILED.value)
    assert failed.count() >= settings.AXES_FAILURE_LIMIT
    assert all(ATTACKER not in event.details for event in failed)  # the log never holds addresses


def test_behind_trusted_proxies_the_forwarded_client_counts(make_staff: Any, settings: Any) -> None:
    settings.PELUIT_TRUSTED_PROXIES = 1
    officer = make_staff(Role.OFFICER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(officer, address="127.0.0.1", forwarded=ATTACKER, password="wrong password again")
    assert password_step(officer, address="127.0.0.1", forwarded=ATTACKER).status_code == 429
    # A spoofed left-most entry does not escape: the proxy's own entry is the client.
    assert password_step(officer, address="127.0.0.1", forwarded=f"1.2.3.4, {ATTACKER}").status_code == 429
    assert password_step(officer, address="127.0.0.1", forwarded=OFFICE).status_code == 302


def test_a_campaign_over_many_addresses_hits_the_username_ceiling(make_staff: Any, settings: Any) -> None:
    settings.PELUIT_LOGIN_FAILURE_CEILING = 12
    officer = make_staff(Role.OFFICER)
    for host in range(3):  # 3 addresses x 4 wrong passwords: no single address reaches the limit of 5
        for _ in range(4):
            assert (
                password_step(officer, address=f"203.0.113.{host}", password="wrong password again").status_code == 200
            )
    response = password_step(officer, address=OFFICE)
    assert response.status_code == 429
    assert "beberapa tempat" in response.content.decode()
    last = AuditEvent.objects.filter(action=Action.LOGIN_FAILED.value).order_by("-seq").first()
    assert last is not None and last.details_dict["locked"] is True
    other = make_staff(Role.OFFICER)
    assert password_step(other, address=OFFICE).status_code == 302  # other accounts are unaffected
