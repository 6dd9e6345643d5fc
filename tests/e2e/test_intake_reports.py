"""A reporter files both kinds of report in Chromium with JavaScript off, keeps the receipt, follows up.

The files carry a GPS position (JPEG EXIF) and an author (PDF document info); reading the sealed attachments
back through the vault shows the metadata gone.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image

from casework.cases import sealed
from casework.models import Case, CaseMessage
from tests.intake.conftest import (
    IntakeStaff,
    jpeg_with_gps,
    pdf_with_author,
)
from tests.support.assignment import assign_officers
from vault import services as vault

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
RECEIPT = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")


@pytest.fixture
def evidence(tmp_path: Path) -> list[str]:
    """A JPEG with GPS EXIF and a PDF with an author, as files on disk for the file chooser."""
    photo, letter = tmp_path / "foto-lokasi.jpg", tmp_path / "surat.pdf"
    photo.write_bytes(jpeg_with_gps())
    letter.write_bytes(pdf_with_author("Penulis Rahasia"))
    return [str(photo), str(letter)]


def assert_clean(receipt: str, case: Case) -> None:
    """Read the case's attachments back through the vault and check the metadata is gone."""
    access = vault.reporter_access(receipt=receipt)
    kinds = {}
    for attachment in case.attachments.all():
        data = b"".join(sealed.open_attachment_content(access=access, attachment=attachment))
        kinds[sealed.open_attachment_meta(access=access, attachment=attachment).content_type] = data
        assert attachment.metadata_removed
    assert 0x8825 not in Image.open(io.BytesIO(kinds["image/jpeg"])).getexif()
    assert b"CanaryCam" not in kinds["image/jpeg"]
    assert "/Author" not in pikepdf.open(io.BytesIO(kinds["application/pdf"])).docinfo
    assert b"Penulis Rahasia" not in kinds["application/pdf"]


def read_receipt(page: Any) -> str:
    receipt = page.inner_text(".receipt-code code").strip()
    assert RECEIPT.match(receipt), receipt
    return receipt


def file_wbs_report(page: Any, evidence: list[str]) -> str:
    page.goto("/")
    page.click("a[href='/report/wbs/']")
    page.fill("#id_title", "Pungli pembuatan KTP")
    page.select_option("#id_violation_type", "pungli")
    page.fill("#id_what", "Petugas meminta uang Rp50.000 agar KTP cepat jadi.")
    page.fill("#id_who_name", "Oknum petugas loket")
    page.select_option("#id_organisation", "kecamatan-tembalang")
    page.fill("#id_when_date", "2026-03-02")
    page.fill("#id_estimated_loss", "50000")
    page.set_input_files("#id_attachments", evidence)
    page.click("button[type=submit]")
    return read_receipt(page)


def test_wbs_report_with_files_then_follow_up(page: Any, intake_staff: IntakeStaff, evidence: list[str]) -> None:
    receipt = file_wbs_report(page, evidence)
    assert "tidak dapat dipulihkan" in page.content() or "cannot be recovered" in page.content()
    case = Case.objects.get()
    assert case.number in page.content() and case.attachments.count() == 2
    assert_clean(receipt, case)

    # An officer asks a question (sealed with the officer's own key); the reporter sees only "Inspektorat".
    assign_officers(case, intake_staff.officer)  # new reports reach the supervisors; triage assigns the officer
    sealed.add_message(
        access=intake_staff.keyring(intake_staff.officer),
        case=case,
        sender=CaseMessage.Sender.INSPECTORATE,
        body="Siapa saksi yang melihat kejadian itu?",
        author=intake_staff.officer,
    )

    # Later: follow the report with the receipt, read the messages, reply, log out.
    page.goto("/follow/")
    page.fill("#id_receipt", receipt.replace(" ", "-"))
    page.click("button[type=submit]")
    assert page.url.endswith("/follow/inbox/")
    first = page.locator(".message").first.inner_text()
    assert "Inspektorat" in first and case.number in first
    question = page.locator(".message.unread").nth(1).inner_text()
    assert "Siapa saksi" in question and "Inspektorat" in question
    assert "Budi" not in page.content() and "petugas1" not in page.content()
    page.fill("#id_body", "Saya bisa memberi nama saksi jika diperlukan.")
    page.click("form[action='/follow/reply/'] button[type=submit]")
    assert "Saya bisa memberi nama saksi" in page.locator(".message.mine").inner_text()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert set(cookies) <= {"peluit_csrf", "peluit_followup"}
    assert cookies["peluit_followup"]["httpOnly"] and cookies["peluit_followup"]["sameSite"] == "Strict"
    assert cookies["peluit_followup"]["path"] == "/follow/"
    page.click("form.logout button")
    assert "/follow/" in page.url
    page.goto("/follow/inbox/")
    assert page.url.endswith("/follow/")  # the cookie is gone: back to the receipt form


def fill_gratification(page: Any, **values: str) -> None:
    fields = {
        "recipient_name": "Rina Penerima",
        "recipient_nik": "9900000000000001",
        "birth_place": "Semarang",
        "birth_date": "1985-05-05",
        "position": "Kepala Seksi",
        "phone_mobile": "+62 812 0000 0000",
        "gift_description": "Tas kulit",
        "value": "1200000",
        "received_place": "Gedung resepsi",
        "received_on": "2026-02-14",
        "giver_name": "Keluarga mempelai",
        "reason": "Cendera mata pernikahan.",
        "chronology": "Diberikan saat resepsi.",
        **values,
    }
    page.check("#id_report_type_0")
    for name, value in fields.items():
        page.fill(f"#id_{name}", value)
    page.select_option("#id_organisation", "dinas-kesehatan")
    page.select_option("#id_sk_delivery", "office")
    page.select_option("#id_gift_type", "barang")
    page.select_option("#id_occasion", "pernikahan")
    page.select_option("#id_giver_relationship", "lainnya")


def test_gratification_report_with_files(page: Any, intake_staff: Any, evidence: list[str]) -> None:
    page.goto("/en/report/gratification/")
    fill_gratification(page)
    page.set_input_files("#id_attachments", evidence)
    page.click("button[type=submit]")
    receipt = read_receipt(page)
    assert "may be exempt" in page.content()  # Rp1.200.000 at a wedding after 2026-01-20
    case = Case.objects.get()
    assert case.number.startswith("GRT-") and case.gift_type == "barang"
    assert_clean(receipt, case)


def test_invalid_input_is_explained_without_javascript(page: Any, intake_staff: Any) -> None:
    # Values the browser's own checks let through but the server refuses: field-level messages, nothing saved.
    page.goto("/en/report/gratification/")
    fill_gratification(page, recipient_nik="12345", received_on="2999-01-01")
    page.click("button[type=submit]")
    assert page.inner_text("#id_recipient_nik_error") == "A NIK has exactly 16 digits."
    assert page.inner_text("#id_received_on_error") == "This date is in the future."
    assert page.input_value("#id_recipient_name") == "Rina Penerima"  # what was typed is kept
    assert not Case.objects.exists()


def test_phone_sized_wbs_report(phone_page: Any, intake_staff: Any, evidence: list[str]) -> None:
    page = phone_page
    page.goto("/report/wbs/")
    for selector in ("#id_title", "#id_what", "#id_organisation", "#id_attachments", "button[type=submit]"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, (selector, box)
    receipt = file_wbs_report(page, evidence)
    assert RECEIPT.match(receipt)
    box = page.locator(".receipt-code code").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, box
