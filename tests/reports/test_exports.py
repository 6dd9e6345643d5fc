"""Every kind comes out signed (pdfsig), renders, carries its title and the audit checkpoint, and is audited."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditCheckpoint, AuditEvent
from reports.exceptions import ExportRefused, ReportInputError
from reports.kinds import Authority, ExportKind
from reports.periods import make_period
from reports.services import ExportRequest, make_export
from reports.verification import verify_pdf
from tests.intake.conftest import IntakeStaff
from tests.reports.conftest import (
    attachment_of,
    first_page_renders,
    pdf_text,
    pdfsig,
    submit_gratification,
    submit_wbs,
    uncompressed,
)

pytestmark = pytest.mark.django_db

TITLES = {
    ExportKind.RECAP: "Rekapitulasi Statistik Laporan",
    ExportKind.AUDIT_TRAIL: "Jejak audit",
    ExportKind.DOSSIER: "Berkas Laporan",
    ExportKind.KPK_FORWARDING: "Laporan Gratifikasi untuk Diteruskan ke KPK",
    ExportKind.FORWARDING: "Paket Penerusan",
    ExportKind.ANNUAL: "Laporan transparansi tahunan",
    ExportKind.SERVICE_STANDARD: "Standar pelayanan",
}


def _request(kind: ExportKind, case_number: str) -> ExportRequest:
    period = make_period(timezone.localdate().replace(month=1, day=1), timezone.localdate())
    if kind == ExportKind.DOSSIER:
        return ExportRequest(kind=kind, case_ref=case_number)
    if kind == ExportKind.FORWARDING:
        return ExportRequest(kind=kind, case_ref=case_number, authority=Authority.KPK, parts=("*",))
    return ExportRequest(kind=kind, period=period)


@pytest.mark.usefixtures("every_checkpoint_published")  # /verify/ checks against the published checkpoint
@pytest.mark.parametrize("kind", list(ExportKind), ids=lambda k: k.value)
def test_every_kind_is_signed_renders_and_embeds_the_checkpoint(
    kind: ExportKind, staff: IntakeStaff, tmp_path: Path
) -> None:
    wbs = submit_wbs()
    grt = submit_gratification()
    number = grt.number if kind == ExportKind.KPK_FORWARDING else wbs.number
    officer = staff.officer
    keyring = staff.keyring(officer)
    oversight = (ExportKind.RECAP, ExportKind.AUDIT_TRAIL, ExportKind.ANNUAL, ExportKind.SERVICE_STANDARD)
    actor = staff.supervisor if kind in oversight else officer
    result = make_export(request=_request(kind, number), actor=actor, keyring=keyring)
    path = tmp_path / "export.pdf"
    path.write_bytes(result.signed.data)

    assert "Signature is Valid" in pdfsig(path)
    first_page_renders(path, tmp_path)
    first_page = pdf_text(path, first=1, last=1)
    assert TITLES[kind] in first_page
    assert "Inspektorat Kota Semarang" in first_page
    # The checkpoint: attached, printed, and the latest one of the log.
    note = attachment_of(result.signed.data, "audit-checkpoint.txt")
    assert note is not None
    checkpoint = AuditCheckpoint.objects.order_by("-tree_size").first()
    assert checkpoint is not None and note.decode() == checkpoint.note
    text = pdf_text(path)
    assert checkpoint.note.splitlines()[2] in text  # the root hash line
    # Audited with the document's SHA-256, by whom.
    event = AuditEvent.objects.get(seq=result.event.seq)
    expected = Action.FORWARDING_EXPORTED if kind == ExportKind.FORWARDING else Action.EXPORT_CREATED
    assert event.action == expected
    assert event.details_dict["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert event.details_dict["kind"] == kind.value
    assert event.actor_staff_id == actor.pk
    assert verify_pdf(result.signed.data).authentic


def test_the_recap_has_bar_and_line_charts(staff: IntakeStaff, tmp_path: Path) -> None:
    for _ in range(6):
        submit_wbs()
    result = make_export(request=_request(ExportKind.RECAP, ""), actor=staff.supervisor)
    raw = uncompressed(_save(tmp_path, result.signed.data), tmp_path)
    # WeasyPrint draws SVG as vector paths: bars are rectangles filled blue (#0072B2 as PDF RGB, "rg"), the
    # per-month lines are stroked paths ("RG") in the series' colours.
    assert b"0 0.447059 0.698039 rg" in raw
    assert b"0 0.447059 0.698039 RG" in raw and b"0.835294 0.368627 0 RG" in raw
    text = pdf_text(_save(tmp_path, result.signed.data))
    assert "Laporan per bulan" in text and "Laporan menurut jenis" in text


def _save(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / f"doc-{hashlib.sha256(data).hexdigest()[:8]}.pdf"
    path.write_bytes(data)
    return path


def test_an_empty_period_gives_a_valid_pdf_that_says_so(staff: IntakeStaff, tmp_path: Path) -> None:
    period = make_period("2001-01-01", "2001-01-31")
    for kind in (ExportKind.RECAP, ExportKind.AUDIT_TRAIL):
        result = make_export(request=ExportRequest(kind=kind, period=period), actor=staff.supervisor)
        path = _save(tmp_path, result.signed.data)
        assert "Signature is Valid" in pdfsig(path)
        text = pdf_text(path)
        assert "Tidak ada" in text  # "Tidak ada laporan ..." / "Tidak ada kejadian audit ..."
    result = make_export(
        request=ExportRequest(kind=ExportKind.KPK_FORWARDING, period=period),
        actor=staff.officer,
        keyring=staff.keyring(staff.officer),
    )
    assert "Tidak ada laporan gratifikasi" in pdf_text(_save(tmp_path, result.signed.data))


def test_a_dossier_holds_the_content_but_never_the_sealed_identity(staff: IntakeStaff, tmp_path: Path) -> None:
    case = submit_wbs(what="Kepala seksi meminta uang pelicin", identity_name="Sutrisno Pelapor")
    assert case.identity_given
    result = make_export(
        request=ExportRequest(kind=ExportKind.DOSSIER, case_ref=case.number),
        actor=staff.officer,
        keyring=staff.keyring(staff.officer),
    )
    path = _save(tmp_path, result.signed.data)
    text = pdf_text(path)
    assert "Kepala seksi meminta uang pelicin" in text
    assert "Sutrisno" not in text
    assert b"Sutrisno" not in uncompressed(path, tmp_path)


def test_content_kinds_refuse_non_holders_and_actors_without_a_keyring(staff: IntakeStaff, make_staff: Any) -> None:
    from casework.staff.roles import Role

    case = submit_wbs()
    newcomer = make_staff(Role.OFFICER, username="baru")  # created after the report: holds nothing
    from tests.support.staff import PASSWORD
    from vault import services as vault

    keyring = vault.unlock_keyring(user=newcomer, password=PASSWORD)
    # A case the officer may not even list answers as one that does not exist.
    with pytest.raises(ReportInputError, match=f"{case.number}"):
        make_export(
            request=ExportRequest(kind=ExportKind.DOSSIER, case_ref=case.number), actor=newcomer, keyring=keyring
        )
    with pytest.raises(ExportRefused):
        make_export(request=ExportRequest(kind=ExportKind.DOSSIER, case_ref=case.number), actor="system")
    auditor = make_staff(Role.AUDITOR, username="pemeriksa")
    with pytest.raises(ExportRefused):
        make_export(request=ExportRequest(kind=ExportKind.DOSSIER, case_ref=case.number), actor=auditor)
    before = AuditEvent.objects.filter(action=Action.EXPORT_CREATED).count()
    assert before == 0


def test_unknown_cases_are_a_clear_error(staff: IntakeStaff) -> None:
    for kind in (ExportKind.DOSSIER, ExportKind.FORWARDING):
        with pytest.raises(ReportInputError, match="WBS-2026-999999"):
            make_export(
                request=ExportRequest(kind=kind, case_ref="WBS-2026-999999", authority="kpk", parts=("*",)),
                actor=staff.officer,
                keyring=staff.keyring(staff.officer),
            )
    with pytest.raises(ReportInputError, match="WBS-2026-999999"):
        make_export(
            request=ExportRequest(kind=ExportKind.AUDIT_TRAIL, case_ref="WBS-2026-999999"), actor=staff.supervisor
        )


def test_a_forwarding_package_burns_out_the_redacted_passages(staff: IntakeStaff, tmp_path: Path) -> None:
    case = submit_wbs(
        what="Saya, staf keuangan di lantai dua, melihat Pak Hartono menerima amplop dari rekanan.",
        who_name="Pak Hartono",
    )
    result = make_export(
        request=ExportRequest(
            kind=ExportKind.FORWARDING,
            case_ref=case.number,
            authority=Authority.KEJAKSAAN,
            reference="700/123/2026",
            parts=("what", "who_name", "messages"),
            passages=("staf keuangan di lantai   dua",),  # whitespace and case do not matter
        ),
        actor=staff.officer,
        keyring=staff.keyring(staff.officer),
    )
    path = _save(tmp_path, result.signed.data)
    assert "Signature is Valid" in pdfsig(path)
    text = pdf_text(path)
    assert "Pak Hartono menerima amplop" in text
    assert "lantai dua" not in text and "staf keuangan" not in text
    raw = result.signed.data + uncompressed(path, tmp_path)
    for needle in ("staf keuangan", "lantai dua", "keuangan di lantai"):
        assert needle.encode() not in raw
        assert needle.encode("utf-16-be") not in raw
    assert "Kejaksaan" in text
    event = AuditEvent.objects.get(seq=result.event.seq)
    assert event.action == Action.FORWARDING_EXPORTED
    assert event.details_dict["recipient"] == "kejaksaan"
    assert event.details_dict["parts"] == "what,who_name,messages"
    assert event.details_dict["redactions"] == 1
    assert event.details_dict["reference"] == "700/123/2026"


def test_a_passage_that_is_not_in_the_case_stops_the_package(staff: IntakeStaff) -> None:
    case = submit_wbs()
    with pytest.raises(ReportInputError, match=r"tidak ada|do not occur"):
        make_export(
            request=ExportRequest(
                kind=ExportKind.FORWARDING,
                case_ref=case.number,
                authority=Authority.KPK,
                parts=("*",),
                passages=("nama yang salah ketik",),
            ),
            actor=staff.officer,
            keyring=staff.keyring(staff.officer),
        )
    assert not AuditEvent.objects.filter(action=Action.FORWARDING_EXPORTED).exists()
