"""Fixtures for the reports tests: a local test CA, a local RFC 3161 time-stamping authority, cases, PDF tools.

The TSA is a real HTTP server on a free loopback port answering RFC 3161 requests with pyHanko's own
time-stamper (the local test CA's time-stamping certificate), so PAdES B-T and B-LT are tested end to end.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import tsp
from django.utils import timezone
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.sign.timestamps import DummyTimeStamper

from casework.models import Case, CaseKind, CaseStatus, Organisation
from tests.intake.conftest import IntakeStaff, create_intake_staff
from tests.support.assignment import assign_officers
from vault import signing_keys


@pytest.fixture(autouse=True)
def _reports_settings(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Media in a temporary folder; Celery tasks run in the test's process (signing: tests/conftest.py)."""
    from reports.tasks import generate_export

    app = generate_export.app

    settings.MEDIA_ROOT = str(tmp_path / "media")
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


class _TsaHandler(BaseHTTPRequestHandler):
    stamper: DummyTimeStamper
    requests = 0

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = tsp.TimeStampReq.load(self.rfile.read(length))
        response = self.stamper.request_tsa_response(request)
        type(self).requests += 1
        body = response.dump()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@dataclass
class LocalTsa:
    """A running time-stamping authority: its URL and how many requests it answered."""

    url: str
    handler: type[_TsaHandler]

    @property
    def requests(self) -> int:
        return self.handler.requests


@pytest.fixture
def local_tsa(test_ca_dir: Path) -> Iterator[LocalTsa]:
    """An RFC 3161 TSA on a free loopback port, signing with the test CA's time-stamping certificate."""
    files = signing_keys.TestCaFiles(test_ca_dir)
    handler = type(
        "Handler",
        (_TsaHandler,),
        {
            "stamper": DummyTimeStamper(
                tsa_cert=load_cert_from_pemder(str(files.tsa_cert)),
                tsa_key=load_private_key_from_pemder(str(files.tsa_key), None),
            ),
            "requests": 0,
        },
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalTsa(url=f"http://127.0.0.1:{server.server_address[1]}/tsa", handler=handler)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def staff(make_staff: Any) -> IntakeStaff:
    """A supervisor holding the escrow key and two officers, all with vault keys."""
    return create_intake_staff(make_staff)


_numbers = itertools.count(1)


def make_case(
    *,
    kind: CaseKind = CaseKind.WBS,
    received_at: datetime | None = None,
    status: str = "",
    organisation: Organisation | None = None,
    violation_type: str = "",
    gift_type: str = "",
    is_refusal: bool = False,
) -> Case:
    """Create a case with clear metadata only (for statistics; its sealed content is a placeholder)."""
    case_id = uuid.uuid4()
    return Case.objects.create(
        id=case_id,
        number=f"{'WBS' if kind == CaseKind.WBS else 'GRT'}-2099-{next(_numbers):06d}",
        kind=kind,
        status=status or (CaseStatus.DITERIMA if kind == CaseKind.WBS else CaseStatus.DITERIMA_UPG),
        received_at=received_at or timezone.now(),
        organisation=organisation,
        violation_type=violation_type,
        gift_type=gift_type,
        is_refusal=is_refusal,
        content=b"placeholder",
    )


def pdfsig(path: Path) -> str:
    """Return pdfsig's report on ``path`` (poppler-utils)."""
    assert shutil.which("pdfsig"), "poppler-utils is installed by bin/bootstrap"
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr


def pdf_text(path: Path, *, first: int | None = None, last: int | None = None) -> str:
    """Return the text of ``path`` (pdftotext), optionally of some pages only."""
    args = ["pdftotext", "-layout"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    return subprocess.run([*args, str(path), "-"], capture_output=True, text=True, timeout=60, check=True).stdout


def first_page_renders(path: Path, tmp_path: Path) -> Path:
    """Render the first page with pdftoppm and return the PNG (fails the test if it does not render)."""
    prefix = tmp_path / f"page-{uuid.uuid4().hex[:6]}"
    subprocess.run(
        ["pdftoppm", "-f", "1", "-l", "1", "-r", "40", "-png", str(path), str(prefix)], check=True, timeout=60
    )
    pngs = sorted(tmp_path.glob(prefix.name + "*.png"))
    assert pngs and pngs[0].stat().st_size > 1000
    return pngs[0]


def uncompressed(path: Path, tmp_path: Path) -> bytes:
    """Return the PDF's bytes with every stream decompressed (qpdf), to search the whole file for text."""
    out = tmp_path / f"qdf-{uuid.uuid4().hex[:6]}.pdf"
    subprocess.run(
        ["qpdf", "--qdf", "--object-streams=disable", "--decode-level=all", str(path), str(out)],
        check=False,
        timeout=60,
    )
    return out.read_bytes()


def submit_wbs(**overrides: Any) -> Case:
    """File a real WBS report through intake (it reaches the supervisors and the escrow key); the officers the
    reporter did not exclude are then put on its team, as a supervisor would at triage."""
    from intake import services as intake_services
    from intake.forms import WbsReportForm
    from tests.intake.conftest import wbs_post

    form = WbsReportForm(wbs_post(**overrides))
    assert form.is_valid(), form.errors
    case = intake_services.submit_wbs_report(data=form.cleaned_data).case
    assign_officers(case)
    return case


def submit_gratification(**overrides: Any) -> Case:
    """File a real gratification report through intake and put the officers on its team."""
    from intake import services as intake_services
    from intake.forms import GratificationReportForm
    from tests.intake.conftest import gratification_post

    form = GratificationReportForm(gratification_post(**overrides))
    assert form.is_valid(), form.errors
    case = intake_services.submit_gratification_report(data=form.cleaned_data).case
    assign_officers(case)
    return case


def attachment_of(pdf: bytes, name: str) -> bytes | None:
    """Return the embedded file ``name`` of a PDF, or None."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        attached = document.attachments.get(name)
        return None if attached is None else attached.get_file().read_bytes()
