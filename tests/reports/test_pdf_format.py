"""What the exports promise about their format, checked on a real signed recap (veraPDF is not installable here:
docs/reports.md lists exactly what is and is not checked)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from reports.kinds import ExportKind
from reports.periods import make_period
from reports.services import ExportRequest, make_export
from tests.intake.conftest import IntakeStaff

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_recap(staff: IntakeStaff) -> bytes:
    request = ExportRequest(kind=ExportKind.RECAP, period=make_period("2026-01-01", "2026-12-31"))
    return make_export(request=request, actor=staff.supervisor).signed.data


def test_pdf_a_3b_structure_survives_signing(signed_recap: bytes, tmp_path: Path) -> None:
    with pikepdf.open(io.BytesIO(signed_recap)) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "B"
        assert meta.get("dc:title") == "Rekapitulasi Statistik Laporan"
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFA1" and "/DestOutputProfile" in intent
        assert "/Encrypt" not in pdf.trailer
        assert "/JavaScript" not in pdf.Root.get("/Names", {}) and "/OpenAction" not in pdf.Root
        # PDF/A-3 attachments: associated with the document, with a MIME type and a modification date.
        files = pdf.Root.Names.EmbeddedFiles.Names[1::2]
        assert files and all(spec.AFRelationship == "/Supplement" for spec in files)
        assert all("/Subtype" in spec.EF.F and "/ModDate" in spec.EF.F.Params for spec in files)
        assert len(pdf.Root.AF) >= 1
        # The signature widget is invisible, printable and locked (PDF/A forbids hidden annotations).
        (field,) = [f for f in pdf.Root.AcroForm.Fields if f.get("/FT") == "/Sig"]
        assert int(field.F) & 4 and not int(field.F) & 2
    path = tmp_path / "recap.pdf"
    path.write_bytes(signed_recap)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-4] == "yes" for row in rows), fonts  # every font embedded


def test_nothing_is_fetched_while_rendering(staff: IntakeStaff) -> None:
    from reports.rendering import _no_fetching

    fetcher = _no_fetching()
    with pytest.raises(ValueError, match="disallowed"):
        fetcher("http://127.0.0.1:9/tracker.png")
    with pytest.raises(ValueError, match="disallowed"):
        fetcher("file:///etc/passwd")


def test_loading_the_site_does_not_load_weasyprint() -> None:
    """A process that loads the URL map, every view and the page context has not imported WeasyPrint (its import
    runs ldconfig, gcc and ld dozens of times); the first PDF rendered imports it."""
    script = (
        "import sys, django; django.setup()\n"
        "from django.urls import resolve\n"
        "resolve('/')\n"
        "import config.context_processors, reports.services\n"
        "print('weasyprint' in sys.modules)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert result.stdout.split() == ["False"], result.stderr[-2000:]


def test_rendering_leaves_pillow_refusing_truncated_images(staff: IntakeStaff) -> None:
    """WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES at import; intake needs truncated photos to fail."""
    from PIL import ImageFile

    import reports.rendering  # noqa: F401 - imports WeasyPrint
    from reports.rendering import render_pdf

    render_pdf(
        template="reports/pdf/base.html",
        title="x",
        context={"checkpoint": {"note": "x\n1\nAAAA\n", "tree_size": 1, "cosignatures": 0}},
    )
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
