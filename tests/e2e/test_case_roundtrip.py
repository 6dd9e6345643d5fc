"""The whole round trip in Chromium with JavaScript off: a reporter files, an officer reads and answers,
the reporter reads the answer signed "Inspektorat" and replies, the officer sees the reply.

The officer logs in with password + a TOTP code computed at test time; the report is readable only then.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.cases import sealed
from casework.models import Case
from tests.intake.conftest import IntakeStaff, jpeg_with_gps
from tests.support.assignment import assign_officers
from tests.support.staff import PASSWORD, totp_code
from vault import services as vault

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
RECEIPT = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")
WHAT = "Petugas loket meminta uang Rp50.000 agar KTP cepat jadi."
QUESTION = "Kapan tepatnya kejadian itu dan siapa saksinya?"
ANSWER = "Tanggal 2 Maret pagi, saksinya pemohon lain di antrean."


def test_reporter_and_officer_round_trip(
    page: Any, officer_page: Any, intake_staff: IntakeStaff, tmp_path: Path
) -> None:
    # 1. The reporter files a WBS report with a photo and keeps the receipt.
    photo = tmp_path / "foto-loket.jpg"
    photo.write_bytes(jpeg_with_gps())
    page.goto("/report/wbs/")
    page.fill("#id_title", "Pungli pembuatan KTP")
    page.select_option("#id_violation_type", "pungli")
    page.fill("#id_what", WHAT)
    page.select_option("#id_organisation", "kecamatan-tembalang")
    page.set_input_files("#id_attachments", [str(photo)])
    page.click("button[type=submit]")
    receipt = page.inner_text(".receipt-code code").strip()
    assert RECEIPT.match(receipt), receipt
    case = Case.objects.get()
    assign_officers(case, intake_staff.officer)  # new reports reach the supervisors; triage assigns the officer

    # 2. The officer logs in with password + TOTP and opens the case from "My cases".
    officer = intake_staff.officer
    staff = officer_page
    staff.goto(f"/console/cases/{case.number}/")  # not logged in: the login page, nothing of the report
    assert "/auth/login/" in staff.url and WHAT not in staff.content()
    staff.goto("/console/")
    assert "/auth/login/" in staff.url
    staff.fill("#id_username", officer.username)
    staff.fill("#id_password", PASSWORD)
    staff.click("button[type=submit]")
    assert "/auth/verify/" in staff.url
    staff.goto(f"/console/cases/{case.number}/")  # the password alone opens nothing either
    assert "/auth/" in staff.url and WHAT not in staff.content()
    staff.goto("/auth/verify/")
    staff.fill("#id_code", totp_code(TOTPDevice.objects.get(user=officer, confirmed=True)))
    staff.click("button[type=submit]")
    assert staff.url.endswith("/console/")
    staff.click(f"#my-cases a:text('{case.number}')")
    assert staff.url.endswith(f"/console/cases/{case.number}/")
    content = staff.inner_text("#report-content")
    assert WHAT in content and "Apa yang terjadi?" in content

    # 3. ... downloads the photo: exactly the cleaned bytes the reporter's access reads back.
    with staff.expect_download() as download_info:
        staff.click("#attachments a")
    download = download_info.value
    assert download.suggested_filename == "foto-loket.jpg"
    attachment = case.attachments.get()
    expected = b"".join(
        sealed.open_attachment_content(access=vault.reporter_access(receipt=receipt), attachment=attachment)
    )
    assert Path(download.path()).read_bytes() == expected and b"CanaryCam" not in expected

    # 4. ... and asks a question.
    staff.fill("#id_body", QUESTION)
    staff.click("#reply button[type=submit]")
    assert QUESTION in staff.inner_text("#thread")
    assert "Budi Santoso" in staff.inner_text("#thread")  # staff see who wrote it

    # 5. The reporter reads the question signed "Inspektorat" (never the officer's name) and answers.
    page.goto("/follow/")
    page.fill("#id_receipt", receipt)
    page.click("button[type=submit]")
    assert page.url.endswith("/follow/inbox/")
    question = page.locator(".message.unread").last.inner_text()
    assert QUESTION in question and "Inspektorat" in question
    assert "Budi" not in page.content() and officer.username not in page.content()
    page.fill("#id_body", ANSWER)
    page.click("form[action='/follow/reply/'] button[type=submit]")
    assert ANSWER in page.locator(".message.mine").last.inner_text()

    # 6. The officer sees the answer: counted as new in the list, then in the thread.
    staff.goto("/console/cases/")
    assert staff.inner_text(f"tr.case-row:has-text('{case.number}') td.unread") == "1"
    staff.click(f"a:text('{case.number}')")
    reply = staff.locator(".message.unread").last.inner_text()
    assert ANSWER in reply and "Pelapor" in reply
