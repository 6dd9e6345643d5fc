"""In Chromium with JavaScript off: an officer records a report received by telephone (with a scanned letter as
PDF), prints the receipt slip for the caller, finds the case in the queue by its channel, views the PDF as a
picture drawn by the server, and finds the case again by searching its text; the caller follows up with the
receipt."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.actions import Action
from audit.models import AuditEvent
from casework.models import Case
from tests.intake.conftest import IntakeStaff
from tests.support.assignment import assign_officers
from tests.support.staff import PASSWORD, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
RECEIPT = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")
WHAT = "Penelepon melaporkan pungutan Rp100.000 untuk izin usaha oleh oknum Kanaritelepon."


def scanned_letter() -> bytes:
    pdf = pikepdf.new()
    for _ in range(2):
        page = pdf.add_blank_page(page_size=(595, 842))
        page.obj.Contents = pdf.make_stream(b"0 0 0 rg 60 60 300 300 re f")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def log_in(page: Any, user: Any) -> None:
    page.goto("/console/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#id_code", totp_code(TOTPDevice.objects.get(user=user, confirmed=True)))
    page.click("button[type=submit]")
    assert page.url.endswith("/console/")


def test_a_phone_report_from_the_console_to_the_caller(
    officer_page: Any, page: Any, intake_staff: IntakeStaff, tmp_path: Path
) -> None:
    staff = officer_page
    log_in(staff, intake_staff.officer)

    # 1. Record the call with the web's own WBS form, plus how and when it came.
    staff.click("nav.console a:text('Rekam laporan')")
    staff.click("a[href='/console/record/wbs/']")
    letter = tmp_path / "surat-pindaian.pdf"
    letter.write_bytes(scanned_letter())
    staff.select_option("#id_received-channel", "phone")
    staff.fill("#id_title", "Pungli izin usaha")
    staff.select_option("#id_violation_type", "pungli")
    staff.fill("#id_what", WHAT)
    staff.set_input_files("#id_attachments", [str(letter)])
    staff.click("form.report button[type=submit]")
    receipt = staff.inner_text("#receipt-slip .receipt-code code").strip()
    assert RECEIPT.match(receipt), receipt
    case = Case.objects.get()
    assert case.channel == "phone"
    assign_officers(case, intake_staff.officer)  # it reached the supervisors; triage puts the officer on the team

    # 2. The printed page is the slip alone: no navigation, no warning meant for the officer.
    staff.emulate_media(media="print")
    assert staff.is_visible("#receipt-slip") and receipt in staff.inner_text("#receipt-slip")
    assert not staff.is_visible("nav.console") and not staff.is_visible("#receipt-once")
    staff.emulate_media(media="screen")
    assert staff.is_visible("#receipt-once")

    # 3. The queue finds it by channel; the PDF is viewed as a picture, not as a PDF.
    staff.goto("/console/cases/")
    staff.select_option("#id_channel", "phone")
    staff.click("#queue-filters button[type=submit]")
    assert "channel=phone" in staff.url
    staff.click(f"a:text('{case.number}')")
    staff.click("#attachments a.view-file")
    assert "/view/" in staff.url and "Halaman 1 dari 2" in staff.inner_text("#file-pages")
    box = staff.locator("#file-page").bounding_box()
    assert box is not None and box["height"] > 300  # the picture was drawn and decoded by the browser
    staff.click("#file-pages a:text('Halaman berikutnya')")
    assert staff.url.endswith("?page=2")
    assert AuditEvent.objects.filter(action=Action.ATTACHMENT_VIEWED.value, case_ref=case.number).count() == 2

    # 4. Searching the text of the cases the officer holds finds it; the words are not in the URL.
    staff.click("nav.console a:text('Cari')")
    staff.fill("#id_q", "kanaritelepon izin")
    staff.click("#search-form button[type=submit]")
    assert staff.url.endswith("/console/search/")
    assert case.number in staff.inner_text("#search-results")

    # 5. The caller follows up with the receipt they were given.
    page.goto("/follow/")
    page.fill("#id_receipt", receipt)
    page.click("button[type=submit]")
    assert page.url.endswith("/follow/inbox/") and case.number in page.content()
