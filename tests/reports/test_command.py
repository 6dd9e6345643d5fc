"""``manage.py export_report``: the same signed PDF as the console; content kinds need password and TOTP;
no half-written file on any error."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.actions import Action
from audit.models import AuditEvent
from reports.management.commands.export_report import write_whole
from reports.verification import verify_pdf
from tests.intake.conftest import IntakeStaff
from tests.reports.conftest import pdf_text, pdfsig, submit_gratification, submit_wbs
from tests.support.staff import PASSWORD, totp_code

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("export_report", *args, stdout=out)
    return out.getvalue()


def _as(monkeypatch: pytest.MonkeyPatch, user: Any, *, password: str = PASSWORD, offset: int = 0) -> None:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    monkeypatch.setenv("PELUIT_PASSWORD", password)
    monkeypatch.setenv("PELUIT_TOTP", totp_code(device, offset_steps=offset))


@pytest.mark.usefixtures("every_checkpoint_published")  # /verify/ checks against the published checkpoint
def test_recap_and_audit_trail_from_the_command_line(staff: IntakeStaff, tmp_path: Path) -> None:
    submit_wbs()
    recap = tmp_path / "recap.pdf"
    output = _run("recap", "--out", str(recap), "--from", "2026-01-01", "--to", "2026-12-31")
    assert "SHA-256" in output
    assert "Signature is Valid" in pdfsig(recap)
    assert "Rekapitulasi Statistik Laporan" in pdf_text(recap, first=1, last=1)
    trail = tmp_path / "trail.pdf"
    _run("audit-trail", "--out", str(trail))
    assert "Signature is Valid" in pdfsig(trail) and verify_pdf(trail.read_bytes()).authentic
    assert list(tmp_path.iterdir()) == sorted([recap, trail]) or set(tmp_path.iterdir()) == {recap, trail}


@pytest.mark.parametrize("kind", ["dossier", "forwarding", "kpk-forwarding"])
def test_content_kinds_act_as_a_staff_member_after_password_and_totp(
    kind: str, staff: IntakeStaff, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = submit_wbs(what="Uang pelicin untuk izin bangunan")
    submit_gratification()
    out = tmp_path / f"{kind}.pdf"
    args = [kind, "--out", str(out), "--as", staff.officer.username]
    if kind != "kpk-forwarding":
        args += ["--case", case.number]
    if kind == "forwarding":
        redact = tmp_path / "redact.txt"
        redact.write_text("izin bangunan\n")
        args += ["--authority", "kpk", "--redact", str(redact)]
    _as(monkeypatch, staff.officer)
    _run(*args)
    assert "Signature is Valid" in pdfsig(out)
    assert out.stat().st_mode & 0o077 == 0  # content is readable by its owner only
    text = pdf_text(out)
    if kind == "dossier":
        assert "Uang pelicin untuk izin bangunan" in text
    if kind == "forwarding":
        assert "Uang pelicin" in text and "izin bangunan" not in text
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.actor_staff_id == staff.officer.pk


def test_content_kinds_refuse_without_as_wrong_password_or_code(
    staff: IntakeStaff, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = submit_wbs()
    out = tmp_path / "dossier.pdf"
    with pytest.raises(CommandError, match="--as"):
        _run("dossier", "--out", str(out), "--case", case.number)
    _as(monkeypatch, staff.officer, password="salah sekali kata sandinya")
    with pytest.raises(CommandError, match="password"):
        _run("dossier", "--out", str(out), "--case", case.number, "--as", staff.officer.username)
    _as(monkeypatch, staff.officer)
    monkeypatch.setenv("PELUIT_TOTP", "000000")
    with pytest.raises(CommandError, match="code"):
        _run("dossier", "--out", str(out), "--case", case.number, "--as", staff.officer.username)
    assert list(tmp_path.iterdir()) == []
    assert not AuditEvent.objects.filter(action=Action.EXPORT_CREATED).exists()


def test_bad_input_leaves_no_file(staff: IntakeStaff, tmp_path: Path, settings: Any, monkeypatch: Any) -> None:
    out = tmp_path / "x.pdf"
    with pytest.raises(CommandError, match="recap"):
        _run("rekap", "--out", str(out))
    with pytest.raises(CommandError):
        _run("recap", "--out", str(out), "--from", "2026-05-01", "--to", "2026-01-01")
    with pytest.raises(CommandError):
        _run("recap", "--out", str(out), "--from", "kemarin")
    with pytest.raises(CommandError, match="WBS-2026-999999"):
        _run("audit-trail", "--out", str(out), "--case", "WBS-2026-999999")
    _as(monkeypatch, staff.officer)
    with pytest.raises(CommandError, match="WBS-2026-999999"):
        _run("dossier", "--out", str(out), "--case", "WBS-2026-999999", "--as", staff.officer.username)
    with pytest.raises(CommandError):
        _run("recap", "--out", str(tmp_path / "no-such-dir" / "x.pdf"))
    settings.PELUIT_SIGNING_DIR = tmp_path / "no-ca"
    with pytest.raises(CommandError, match="signing_test_ca"):
        _run("recap", "--out", str(out))
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_wrong_pkcs12_password_leaves_no_file(
    staff: IntakeStaff, tmp_path: Path, settings: Any, test_ca_dir: Path
) -> None:
    from vault import signing_keys

    p12 = signing_keys.export_pkcs12(test_ca_dir, tmp_path / "institution.p12", password=b"benar-sekali")
    settings.PELUIT_PDF_SIGNER = "reports.signers.Pkcs12Signer"
    settings.PELUIT_SIGNING_P12 = str(p12)
    settings.PELUIT_SIGNING_P12_PASSWORD = "keliru"
    out = tmp_path / "recap.pdf"
    with pytest.raises(CommandError, match="PELUIT_SIGNING_P12_PASSWORD"):
        _run("recap", "--out", str(out))
    assert not out.exists()
    settings.PELUIT_SIGNING_P12_PASSWORD = "benar-sekali"
    _run("recap", "--out", str(out))
    assert "Signature is Valid" in pdfsig(out)


def test_an_existing_file_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")
    write_whole(target, b"%PDF-new", private=True)
    assert target.read_bytes() == b"%PDF-new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]
    assert target.stat().st_mode & 0o777 == 0o600
