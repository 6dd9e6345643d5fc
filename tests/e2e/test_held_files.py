"""Issue 10 item 3 in Chromium, JavaScript off: a file chosen before a form error is still sent afterwards.

The reporter leaves out a required field (the gratification form's phone or e-mail) and attaches a photo; the
form comes back with the error and lists the photo (kept, sealed against the form token) with a ticked checkbox;
the reporter fills in the field and sends; the officer, logged in with password and TOTP, sees the photo on the
case page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.models import Case
from tests.intake.conftest import IntakeStaff, jpeg_with_gps
from tests.support.assignment import assign_officers
from tests.support.staff import PASSWORD, totp_code
from vault.models import HeldBlob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
RECEIPT = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")


GRATIFICATION = {  # every field the browser requires; the phone and e-mail (one of them required) are left out
    "#id_recipient_name": "Rina Penerima",
    "#id_recipient_nik": "9900000000000001",
    "#id_birth_place": "Semarang",
    "#id_birth_date": "1985-05-05",
    "#id_position": "Kepala Seksi",
    "#id_gift_description": "Parsel berisi makanan kaleng",
    "#id_value": "750000",
    "#id_received_place": "Kantor",
    "#id_received_on": "2026-03-10",
    "#id_giver_name": "PT Contoh",
    "#id_reason": "Ucapan hari raya dari rekanan proyek.",
    "#id_chronology": "Parsel diantar kurir ke kantor pada pagi hari.",
}
CHOICES = {
    "#id_organisation": "dinas-kesehatan",
    "#id_sk_delivery": "office",
    "#id_gift_type": "parsel",
    "#id_occasion": "hari_raya",
    "#id_giver_relationship": "rekanan",
}


def test_a_file_chosen_before_a_form_error_reaches_the_officer(
    page: Any, officer_page: Any, intake_staff: IntakeStaff, tmp_path: Path
) -> None:
    photo = tmp_path / "foto-parsel.jpg"
    photo.write_bytes(jpeg_with_gps())

    # 1. The reporter leaves out the phone and the e-mail (one is required; only the server checks "one of
    #    two") and attaches a photo.
    page.goto("/report/gratification/")
    for selector, value in GRATIFICATION.items():
        page.fill(selector, value)
    for selector, value in CHOICES.items():
        page.select_option(selector, value)
    page.set_input_files("#id_attachments", [str(photo)])
    page.click("button[type=submit]")

    # 2. The form comes back with the error and the photo listed, ticked; the typed text is still there.
    assert "Isi nomor telepon seluler atau alamat e-mail" in page.inner_text(".field.invalid")
    held = page.locator("input[name=held_files]")
    assert held.count() == 1 and held.is_checked()
    assert "foto-parsel.jpg" in page.inner_text("fieldset.held-files")
    assert page.input_value("#id_recipient_name") == "Rina Penerima"
    assert HeldBlob.objects.count() == 1 and not Case.objects.exists()

    # 3. The reporter gives a phone number and sends, without choosing the photo again.
    page.fill("#id_phone_mobile", "+62 812 0000 0000")
    page.click("button[type=submit]")
    receipt = page.inner_text(".receipt-code code").strip()
    assert RECEIPT.match(receipt), receipt
    case = Case.objects.get()
    assert not HeldBlob.objects.exists()

    # 4. The officer, assigned at triage (new reports reach the supervisors), logs in (password, then TOTP) and
    # sees the photo on the case page.
    officer = intake_staff.officer
    assign_officers(case, officer)
    staff = officer_page
    staff.goto("/auth/login/")
    staff.fill("#id_username", officer.username)
    staff.fill("#id_password", PASSWORD)
    staff.click("button[type=submit]")
    staff.fill("#id_code", totp_code(TOTPDevice.objects.get(user=officer, confirmed=True)))
    staff.click("button[type=submit]")
    staff.goto(f"/console/cases/{case.number}/")
    assert "foto-parsel.jpg" in staff.inner_text("#attachments")
