"""Fixtures for intake tests: staff with vault keys, an escrow key, files with metadata, valid form data."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.utils.safestring import SafeString

from casework.models import StaffUser
from casework.staff.roles import Role
from tests.support.reference import ensure_reference_data
from tests.support.staff import PASSWORD
from vault import services as vault
from vault.access import Keyring
from vault.officers import unwrap_private_key

GPS_LATITUDE = (6, 59, 30)  # Semarang, roughly


@dataclass
class IntakeStaff:
    """The people who receive new reports in tests."""

    supervisor: StaffUser
    officer: StaffUser
    other_officer: StaffUser

    def keyring(self, user: StaffUser) -> Keyring:
        """Return the unlocked keyring of ``user`` (as the console would hold it after login)."""
        return Keyring(user=user, _private_key=unwrap_private_key(user=user, password=PASSWORD))


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """The reference data of the migrations, present even after an earlier transactional test's flush."""
    ensure_reference_data()


def create_intake_staff(make_staff: Any) -> IntakeStaff:
    """Create a supervisor holding the escrow key and two officers, all with vault keys."""
    supervisor = make_staff(Role.SUPERVISOR, username="kepala")
    supervisor.first_name, supervisor.last_name = "Sri", "Rahayu"
    supervisor.save()
    officer = make_staff(Role.OFFICER, username="petugas1")
    officer.first_name, officer.last_name = "Budi", "Santoso"
    officer.save()
    other = make_staff(Role.OFFICER, username="petugas2")
    other.first_name, other.last_name = "Dewi", "Lestari"
    other.save()
    for user in (supervisor, officer, other):
        if not vault.has_officer_key(user=user):  # staff creation enrols officers and supervisors already
            vault.enrol_officer(user=user, password=PASSWORD)
    if not vault.escrow_exists():  # the first supervisor created becomes the escrow holder
        vault.escrow_create(holder=supervisor)
    return IntakeStaff(supervisor=supervisor, officer=officer, other_officer=other)


@pytest.fixture
def intake_staff(make_staff: Any) -> IntakeStaff:
    """A supervisor holding the escrow key and two officers, all with vault keys."""
    return create_intake_staff(make_staff)


@pytest.fixture
def fuzz_target(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve the fuzz tests thousands of requests cheaply, as production would answer them.

    The throttles are raised so they do not hide the answers under test (429 is documented anyway); the
    intake roster is kept for the test (no staff changes while it runs; tests/conftest.py clears it before
    and after); and templates render without the test signal that Django's test environment sends for each
    one (the test client then copies every context: half the CPU of a form page, none of it production's).
    """
    settings.PELUIT_THROTTLE_PER_ADDRESS = (100_000, 60)
    settings.PELUIT_THROTTLE_GLOBAL_POSTS = (100_000, 60)
    settings.PELUIT_THROTTLE_RECEIPT_PER_ADDRESS = (100_000, 600)
    settings.PELUIT_THROTTLE_RECEIPT_GLOBAL = (100_000, 600)
    settings.PELUIT_RECIPIENT_CACHE_SECONDS = 3600
    monkeypatch.setattr(Template, "_render", _render_uninstrumented)


def _render_uninstrumented(self: Template, context: Context) -> SafeString:
    """``django.template.base.Template._render`` as it is outside tests (setup_test_environment wraps it)."""
    return self.nodelist.render(context)


def jpeg_with_gps() -> bytes:
    """Return a small JPEG whose EXIF carries a GPS position and a camera model."""
    from PIL import Image

    image = Image.new("RGB", (32, 24), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "CanaryCam 3000"  # Model
    gps = {1: "S", 2: GPS_LATITUDE, 3: "E", 4: (110, 25, 0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def pdf_with_author(author: str = "Canary Author") -> bytes:
    """Return a one-page PDF whose document info names an author."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = author
    pdf.docinfo["/Producer"] = "CanaryProducer"
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    """Return an uploaded file as Django's form handling would give it."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def wbs_post(**overrides: Any) -> dict[str, Any]:
    """Return a valid WBS form post (no files)."""
    data: dict[str, Any] = {
        "title": "Pungutan liar di kelurahan",
        "violation_type": "pungli",
        "what": "Petugas meminta uang tambahan untuk pembuatan surat keterangan domisili.",
        "who_name": "Pak X",
        "organisation": "kecamatan-tembalang",
        "when_date": "2026-03-02",
        "estimated_loss": "150000",
        "reported_elsewhere": "no",
    }
    data.update(overrides)
    return data


def gratification_post(**overrides: Any) -> dict[str, Any]:
    """Return a valid gratification form post (a received gift, no files)."""
    data: dict[str, Any] = {
        "report_type": "receipt",
        "recipient_name": "Rina Penerima",
        "recipient_nik": "9900000000000001",
        "birth_place": "Semarang",
        "birth_date": "1985-05-05",
        "position": "Kepala Seksi",
        "agency": "Pemerintah Kota Semarang",
        "organisation": "dinas-kesehatan",
        "phone_mobile": "+62 812 0000 0000",
        "sk_delivery": "office",
        "gift_type": "parsel",
        "gift_description": "Parsel berisi makanan kaleng",
        "value": "750000",
        "currency": "IDR",
        "occasion": "hari_raya",
        "received_place": "Kantor",
        "received_on": "2026-03-10",
        "giver_name": "PT Contoh",
        "giver_relationship": "rekanan",
        "reason": "Ucapan hari raya dari rekanan proyek.",
        "chronology": "Parsel diantar kurir ke kantor pada pagi hari.",
        "compensation_willing": "no",
        "handed_to_upg": "no",
    }
    data.update(overrides)
    return data


def today() -> date:
    """Return today's date in the inspectorate's time zone."""
    from django.utils import timezone

    return timezone.localdate()
