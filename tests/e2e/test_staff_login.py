"""A new staff member enrols an authenticator, logs in with a TOTP computed now, and logs out (real Chromium)."""

from __future__ import annotations

import base64

import pytest
from django_otp.oath import totp

from casework.staff import services
from casework.staff.roles import Role
from tests.support.staff import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def code_for(secret_b32: str, *, steps_ahead: int = 0) -> str:
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    return f"{totp(key, step=30, digits=6, drift=steps_ahead):06d}"


def test_enrol_login_and_logout(page) -> None:  # type: ignore[no-untyped-def]
    services.staff_create(username="baru", role=Role.OFFICER, password=PASSWORD, with_totp=False)

    page.goto("/console/")
    assert "/auth/login/" in page.url
    page.fill("#id_username", "baru")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    # Enrolment: read the secret from the page as a person would type it into an app.
    assert "/auth/enrol/" in page.url
    assert page.locator(".qr svg").count() == 1
    secret = page.inner_text("#totp-secret").strip()
    page.fill("#id_code", code_for(secret))
    page.click("button[type=submit]")
    assert "/console/security/backup-codes/" in page.url
    assert page.locator("#backup-codes li").count() == 10

    page.click("text=Lanjut ke konsol")
    assert page.inner_text("#whoami").startswith("Masuk sebagai baru")

    page.click("text=Keluar")
    assert "/auth/login/" in page.url
    page.goto("/console/")
    assert "/auth/login/" in page.url

    # And back in with the next step's code (accepted within the tolerance; the enrolment code is spent).
    page.fill("#id_username", "baru")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    assert "/auth/verify/" in page.url
    page.fill("#id_code", code_for(secret, steps_ahead=1))
    page.click("button[type=submit]")
    assert page.url.endswith("/console/")
    assert page.locator("#whoami").count() == 1
