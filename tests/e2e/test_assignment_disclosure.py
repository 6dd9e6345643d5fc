"""Issues 11.5 and 11.7 in Chromium with JavaScript off: a supervisor assigns a web report, the officer logs in
with a TOTP code, reads it and replies; the reporter, with the receipt, sees the reply and answers; the officer
asks for the reporter's identity, a second supervisor approves with a second factor, the escrow holder
releases it, and the officer opens it.

Four browsers with their own cookies: the reporter, the officer, the head of the inspectorate (a supervisor
holding the escrow key) and a deputy (a supervisor without it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.models import Case, StaffUser
from casework.staff.roles import Role
from tests.intake.conftest import IntakeStaff
from tests.support.staff import PASSWORD, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
RECEIPT = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")
WHAT = "Lurah meminta uang Rp300.000 untuk setiap surat pengantar nikah."
IDENTITY = "Sulastri Pelapor Uji"
QUESTION = "Apakah Anda bersedia menjadi saksi dalam pemeriksaan?"
ANSWER = "Bersedia, asalkan identitas saya dilindungi."
REASON = "Pelapor bersedia menjadi saksi; pemeriksa perlu menghubunginya."


@pytest.fixture
def deputy(make_staff: Any) -> StaffUser:
    user = make_staff(Role.SUPERVISOR, username="wakil")
    user.first_name, user.last_name = "Agus", "Wibowo"
    user.save()
    return user


@pytest.fixture
def staff_browser(browser: Any, live_server: Any) -> Iterator[Any]:
    """Open pages in browsers of their own (own cookies, JavaScript off); close them afterwards."""
    contexts: list[Any] = []

    def open_page() -> Any:
        context = browser.new_context(java_script_enabled=False, base_url=live_server.url, locale="id-ID")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def log_in(page: Any, user: StaffUser, *, offset_steps: int = 0) -> None:
    """Password, then a TOTP code computed now, as a person with an authenticator would."""
    page.goto("/console/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    assert "/auth/verify/" in page.url
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    page.fill("#id_code", totp_code(device, offset_steps=offset_steps))
    page.click("button[type=submit]")
    assert page.url.endswith("/console/"), page.url


def test_assign_read_reply_and_disclose_the_identity(
    page: Any, officer_page: Any, staff_browser: Any, intake_staff: IntakeStaff, deputy: StaffUser
) -> None:
    # 1. The reporter files a WBS report, giving their name (sealed apart), and keeps the receipt.
    page.goto("/report/wbs/")
    page.fill("#id_title", "Pungli surat pengantar nikah")
    page.select_option("#id_violation_type", "pungli")
    page.fill("#id_what", WHAT)
    page.select_option("#id_organisation", "kecamatan-tembalang")
    page.fill("#id_identity_name", IDENTITY)
    page.click("button[type=submit]")
    receipt = page.inner_text(".receipt-code code").strip()
    assert RECEIPT.match(receipt), receipt
    case = Case.objects.get()

    # 2. The head of the inspectorate (supervisor, escrow holder) opens it from the queue and assigns an officer.
    officer = intake_staff.officer
    head = staff_browser()
    log_in(head, intake_staff.supervisor)
    head.goto("/console/cases/")
    head.click(f"a:text('{case.number}')")
    assert WHAT in head.inner_text("#report-content")
    head.select_option("#id_assign-officer", str(officer.pk))
    head.select_option("#id_assign-role", "lead")
    head.click("#assign button[type=submit]")
    assert "Budi Santoso" in head.inner_text("#lead-officer")
    assert "Kasus ditugaskan" in head.inner_text("#timeline")

    # 3. The officer logs in with password + TOTP, finds it under "My cases", reads it and asks a question.
    staff = officer_page
    log_in(staff, officer)
    staff.click(f"#my-cases a:text('{case.number}')")
    assert WHAT in staff.inner_text("#report-content")
    assert IDENTITY not in staff.content()  # the identity is sealed apart
    staff.fill("#id_body", QUESTION)
    staff.click("#reply button[type=submit]")
    assert QUESTION in staff.inner_text("#thread")

    # 4. The reporter reads it signed "Inspektorat" and answers.
    page.goto("/follow/")
    page.fill("#id_receipt", receipt)
    page.click("button[type=submit]")
    assert QUESTION in page.locator(".message.unread").last.inner_text()
    assert "Budi" not in page.content()
    page.fill("#id_body", ANSWER)
    page.click("form[action='/follow/reply/'] button[type=submit]")
    assert ANSWER in page.locator(".message.mine").last.inner_text()

    # 5. The officer sees the answer and asks for the reporter's identity, with a reason.
    staff.goto(f"/console/cases/{case.number}/")
    assert ANSWER in staff.inner_text("#thread")
    staff.fill("#id_disclosure-reason", REASON)
    staff.click("#disclosure-request button[type=submit]")
    assert "Permintaan Anda telah dikirim" in staff.inner_text(".messages")
    assert "Menunggu keputusan supervisor" in staff.inner_text("#disclosure")

    # 6. A second supervisor approves, re-entering a second factor (the next code: each code works once).
    second = staff_browser()
    log_in(second, deputy)
    second.goto("/console/disclosures/")
    second.click(f"#disclosures a:text('{case.number}')")
    assert REASON in second.inner_text("#disclosure")
    second.check("form.decide input[value=approve]")
    second.fill(
        "form.decide input[name=step_up_secret]", totp_code(TOTPDevice.objects.get(user=deputy), offset_steps=1)
    )
    second.click("form.decide button[type=submit]")
    assert "Pemegang kunci eskrow kini harus membuka" in second.inner_text(".messages")

    # 7. The escrow holder releases it.
    head.goto(f"/console/cases/{case.number}/")
    head.check("form.release input[name=confirm]")
    head.click("form.release button[type=submit]")
    assert "Identitas kini terbuka untuk petugas yang meminta." in head.inner_text(".messages")

    # 8. The officer opens the identity: for them alone, recorded on the case.
    staff.goto(f"/console/cases/{case.number}/")
    staff.click("#open-identity")
    assert IDENTITY in staff.inner_text("#identity-fields")
    staff.goto(f"/console/cases/{case.number}/")
    timeline = staff.inner_text("#timeline")
    for label in ("Pembukaan identitas diminta", "Pembukaan identitas disetujui", "Identitas pelapor dibuka"):
        assert label in timeline, label
    head.goto(f"/console/cases/{case.number}/identity/")
    assert IDENTITY not in head.content()  # the head holds the case, not the disclosed identity
