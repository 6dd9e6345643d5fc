"""The console's reports pages: who may export what, background progress, downloads, statistics, CSV, forwarding."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from audit.actions import Action
from audit.models import AuditEvent
from casework.models import CaseKind
from casework.staff.roles import Role
from reports.models import ReportExport
from reports.verification import verify_pdf
from tests.intake.conftest import IntakeStaff
from tests.reports.conftest import make_case, pdf_text, pdfsig, submit_wbs, uncompressed
from tests.support.pages import without_number
from tests.support.staff import login

pytestmark = pytest.mark.django_db

YEAR = {"date_from": "2026-01-01", "date_to": "2026-12-31"}


def _client(user: Any) -> Client:
    client = Client()
    login(client, user)
    return client


@pytest.fixture
def auditor(make_staff: Any) -> Any:
    return make_staff(Role.AUDITOR, username="auditor1")


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    """Run the Celery task queued on commit (pytest-django's transactions never commit)."""

    def post(client: Client, url: str, data: dict[str, Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post


def _save(tmp_path: Path, data: bytes, name: str = "console.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.usefixtures("every_checkpoint_published")  # /verify/ checks against the published checkpoint
def test_an_auditor_exports_a_recap_in_the_background_and_downloads_it(
    auditor: Any, tmp_path: Path, run_on_commit: Any
) -> None:
    client = _client(auditor)
    page = client.get("/console/reports/")
    assert page.status_code == 200
    assert b'id="export-recap"' in page.content and b'id="export-dossier"' not in page.content
    response = run_on_commit(client, "/console/reports/request/recap/", YEAR)
    assert response.status_code == 302
    export = ReportExport.objects.get(requested_by=auditor)
    # The task ran (eagerly in tests) with only the export's id; the row carries the signed PDF.
    assert export.status == ReportExport.Status.DONE and export.progress == 100
    detail = client.get(response["Location"])
    assert b'http-equiv="refresh"' not in detail.content and b'id="download"' in detail.content
    download = client.get(f"/console/reports/exports/{export.pk}/pdf/")
    assert download["Content-Type"] == "application/pdf"
    path = _save(tmp_path, download.content)
    assert "Signature is Valid" in pdfsig(path)
    assert "Rekapitulasi Statistik Laporan" in pdf_text(path, first=1, last=1)
    assert verify_pdf(download.content).authentic
    assert AuditEvent.objects.filter(action=Action.EXPORT_REQUESTED, actor_staff_id=auditor.pk).exists()
    assert AuditEvent.objects.filter(action=Action.EXPORT_CREATED, actor_staff_id=auditor.pk).exists()


def test_a_queued_export_shows_a_refreshing_progress_page(auditor: Any, settings: Any) -> None:
    export = ReportExport.objects.create(kind="recap", requested_by=auditor, progress=40)
    page = _client(auditor).get(f"/console/reports/exports/{export.pk}/")
    assert page.status_code == 200
    assert b'<meta http-equiv="refresh" content="2">' in page.content
    assert b'value="40"' in page.content


def test_an_auditor_exports_the_audit_trail_but_not_a_dossier(
    auditor: Any, staff: IntakeStaff, tmp_path: Path, run_on_commit: Any
) -> None:
    case = submit_wbs()
    client = _client(auditor)
    response = run_on_commit(client, "/console/reports/request/audit-trail/", {"case": case.number})
    assert response.status_code == 302
    export = ReportExport.objects.get(requested_by=auditor)
    assert export.status == ReportExport.Status.DONE, export.error
    path = _save(tmp_path, bytes(export.pdf))
    assert "Signature is Valid" in pdfsig(path)
    assert case.number in pdf_text(path)
    refused = client.post("/console/reports/dossier/", {"case": case.number})
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action=Action.REPORT_UNSEALED, actor_staff_id=auditor.pk).exists()


def test_each_user_sees_only_their_own_exports(auditor: Any, staff: IntakeStaff) -> None:
    _client(auditor).post("/console/reports/request/recap/", YEAR)
    export = ReportExport.objects.get(requested_by=auditor)
    other = _client(staff.supervisor)
    assert export.pk.hex not in other.get("/console/reports/").content.decode().replace("-", "")
    assert other.get(f"/console/reports/exports/{export.pk}/").status_code == 404
    assert other.get(f"/console/reports/exports/{export.pk}/pdf/").status_code == 404


def test_an_officer_holding_a_case_gets_its_dossier_and_a_non_holder_does_not(
    staff: IntakeStaff, make_staff: Any, tmp_path: Path
) -> None:
    case = submit_wbs(what="Pengadaan alat tulis digelembungkan")
    response = _client(staff.officer).post("/console/reports/dossier/", {"case": case.number})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    path = _save(tmp_path, response.content)
    assert "Signature is Valid" in pdfsig(path)
    assert "Pengadaan alat tulis digelembungkan" in pdf_text(path)
    assert not ReportExport.objects.exists()  # content kinds are never stored
    newcomer = make_staff(Role.OFFICER, username="pendatang")
    # A case the officer may not even list answers as a number nobody has (outside probe, stop 29).
    newcomer_client = _client(newcomer)
    refused = newcomer_client.post("/console/reports/dossier/", {"case": case.number})
    absent = newcomer_client.post("/console/reports/dossier/", {"case": "WBS-2026-999999"})
    assert refused.status_code == absent.status_code == 400
    assert f"Tidak ada laporan bernomor {case.number}.".encode() in refused.content
    assert without_number(refused.content, case.number) == without_number(absent.content, "WBS-2026-999999")


def test_bad_input_gets_a_clear_message_and_changes_nothing(auditor: Any, staff: IntakeStaff) -> None:
    client = _client(auditor)
    inverted = client.post("/console/reports/request/recap/", {"date_from": "2026-05-01", "date_to": "2026-01-01"})
    assert inverted.status_code == 400 and b"sebelum dimulai" in inverted.content
    unknown = client.post("/console/reports/request/audit-trail/", {"case": "WBS-2026-999999"})
    assert unknown.status_code == 400 and b"WBS-2026-999999" in unknown.content
    garbage = client.post("/console/reports/request/recap/", {"date_from": "kemarin"})
    assert garbage.status_code == 400
    assert client.post("/console/reports/request/nonsense/", YEAR).status_code == 404
    assert not ReportExport.objects.exists()
    officer = _client(staff.officer)
    missing = officer.post("/console/reports/dossier/", {"case": "WBS-2026-999999"})
    assert missing.status_code == 400 and b"WBS-2026-999999" in missing.content
    malformed = officer.post("/console/reports/dossier/", {"case": "'; DROP TABLE"})
    assert malformed.status_code == 400
    assert officer.get("/console/reports/forwarding/WBS-2026-999999/").status_code == 404


def test_a_missing_signing_key_fails_the_export_with_its_reason(
    auditor: Any, settings: Any, tmp_path: Path, run_on_commit: Any
) -> None:
    settings.PELUIT_SIGNING_DIR = tmp_path / "no-ca"
    client = _client(auditor)
    run_on_commit(client, "/console/reports/request/recap/", YEAR)
    export = ReportExport.objects.get(requested_by=auditor)
    assert export.status == ReportExport.Status.FAILED
    assert "signing_test_ca" in export.error and export.pdf is None
    assert AuditEvent.objects.filter(action=Action.EXPORT_FAILED).exists()
    page = client.get(f"/console/reports/exports/{export.pk}/")
    assert b'id="export-error"' in page.content


def test_the_forwarding_page_burns_out_the_passages(staff: IntakeStaff, tmp_path: Path) -> None:
    case = submit_wbs(what="Saya sopir dinas bernama Joko yang melihat penyerahan uang.", who_name="Pak Kadis")
    client = _client(staff.officer)
    form = client.get(f"/console/reports/forwarding/{case.number}/")
    assert form.status_code == 200 and b'name="passages"' in form.content
    response = client.post(
        f"/console/reports/forwarding/{case.number}/",
        {"authority": "polri", "parts": ["what", "who_name"], "passages": "sopir dinas bernama Joko\n"},
    )
    assert response.status_code == 200, response.content[:2000]
    path = _save(tmp_path, response.content)
    assert "Signature is Valid" in pdfsig(path)
    text = pdf_text(path)
    assert "penyerahan uang" in text and "Joko" not in text and "sopir" not in text
    assert b"Joko" not in response.content and b"Joko" not in uncompressed(path, tmp_path)
    typo = client.post(
        f"/console/reports/forwarding/{case.number}/",
        {"authority": "polri", "parts": ["what"], "passages": "Jokowi"},
    )
    assert typo.status_code == 400 and b"Jokowi" in typo.content
    nothing = client.post(f"/console/reports/forwarding/{case.number}/", {"authority": "polri"})
    assert nothing.status_code == 400
    assert AuditEvent.objects.filter(action=Action.FORWARDING_EXPORTED).count() == 1


def test_statistics_page_and_csv_show_the_same_suppressed_tables(auditor: Any, staff: IntakeStaff) -> None:
    from django.utils import timezone

    for _ in range(7):
        make_case(kind=CaseKind.WBS, violation_type="pungli")
    for _ in range(3):
        make_case(kind=CaseKind.GRATIFICATION, gift_type="uang")
    year = timezone.localdate().year
    query = {"date_from": f"{year}-01-01", "date_to": f"{year}-12-31"}
    client = _client(auditor)
    page = client.get("/console/reports/statistics/", query)
    assert page.status_code == 200
    assert b"<svg" in page.content and b"<script" not in page.content
    response = client.get("/console/reports/statistics.csv", query)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_kind = {row[1]: row[3] for row in rows[1:] if row[0] == "Laporan menurut jenis"}
    # 7 WBS and 3 gratification: the 3 is small, so the 7 is hidden too; the total 10 stays.
    assert len(by_kind) == 3 and sorted(by_kind.values()) == ["", "", "10"]
    assert "3" not in {row[3] for row in rows[1:]}
    assert (
        client.get("/console/reports/statistics/", {"date_from": "2026-05-01", "date_to": "2026-01-01"}).status_code
        == 400
    )
    officer = _client(staff.officer)
    assert officer.get("/console/reports/statistics/").status_code == 403
    assert officer.get("/console/reports/statistics.csv").status_code == 403


def test_the_kpk_list_comes_from_the_console_with_the_reports_the_officer_holds(
    staff: IntakeStaff, tmp_path: Path
) -> None:
    from django.utils import timezone

    from tests.reports.conftest import submit_gratification

    case = submit_gratification(gift_description="Jam tangan emas dari rekanan")
    year = timezone.localdate().year
    response = _client(staff.officer).post(
        "/console/reports/kpk-forwarding/", {"kpk-date_from": f"{year}-01-01", "kpk-date_to": f"{year}-12-31"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = _save(tmp_path, response.content)
    assert "Signature is Valid" in pdfsig(path)
    text = pdf_text(path)
    assert case.number in text and "Jam tangan emas dari rekanan" in text
    assert "Laporan Gratifikasi untuk Diteruskan ke KPK" in pdf_text(path, first=1, last=1)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("WBS-2026-483920", True),
        ("GRT-2026-1000000", True),
        ("WBS-2026-48392", False),
        ("WBS-2026-48392000", False),
        ("WBS-2026-\u0663\u0663\u0663\u0663\u0663\u0663", False),
    ],
)
def test_case_forms_take_six_and_seven_digit_numbers(number: str, valid: bool) -> None:
    """Past a million cases in a year a number has seven digits (casework/cases/numbers.py); exports take it."""
    from reports.forms import CaseForm

    assert CaseForm(data={"case": number}).is_valid() is valid


def test_the_audit_filter_takes_a_case_number_with_spaces_around() -> None:
    from audit.forms import EventFilterForm

    form = EventFilterForm(data={"case_ref": " WBS-2026-483920 "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["case_ref"] == "WBS-2026-483920"
