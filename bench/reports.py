"""Benchmark of the signed PDF exports; prints JSON. Never part of the test run.

    .venv/bin/python bench/reports.py [--cases 100000] [--dossier-pages 50]

In a scratch SQLite database (temporary directory), with a local test CA:

- **recap over 100,000 cases and 12 months** (goal ≤ 5 s): the figures (``build_recap``) and the whole export
  (figures, PDF/A rendering with charts, PAdES B-B signature, audit event). Reference in the same run: reading
  the same columns of every case once (``values_list``), the floor any statistics query has to pay.
- **a 50-page dossier** (goal ≤ 6 s): one case with enough reporter messages for 50 pages, opened with a
  supervisor's keyring (new reports are sealed to supervisors), rendered and signed. Reference: the same export
  of a case with no messages (one page), the fixed cost of an export.
- **signing**: PAdES B-B on the dossier's bytes, beside SHA-256 of the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup(workdir: Path) -> None:
    os.environ["PELUIT_VAR_DIR"] = str(workdir / "var")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["PELUIT_KDF_PROFILE"] = "test"  # bench staff only: the Argon2 cost is not what is measured
    os.environ["PELUIT_SIGNING_DIR"] = str(workdir / "signing")
    os.environ.pop("PELUIT_SIGNING_P12", None)
    os.environ.pop("PELUIT_TSA_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("signing_test_ca", verbosity=0)


def _timed(function, repeat: int = 1):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def _fill_cases(count: int) -> None:
    import uuid

    from casework.models import Case, CaseKind, CaseMessage, CaseStatus, GiftType, Organisation, ViolationType

    rng = random.Random(12)
    organisations = list(Organisation.objects.all())
    wbs_statuses = [CaseStatus.DITERIMA, CaseStatus.VERIFIKASI, CaseStatus.TELAAH, CaseStatus.SELESAI]
    grt_statuses = [CaseStatus.DITERIMA_UPG, CaseStatus.DIVERIFIKASI, CaseStatus.DITERUSKAN_KPK]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    batch: list[Case] = []
    messages: list[CaseMessage] = []
    for i in range(count):
        kind = CaseKind.WBS if rng.random() < 0.7 else CaseKind.GRATIFICATION
        received = start + timedelta(seconds=rng.randrange(0, 365 * 86400))
        case = Case(
            id=uuid.uuid4(),
            number=f"{'WBS' if kind == CaseKind.WBS else 'GRT'}-2025-{i:06d}",
            kind=kind,
            status=rng.choice(wbs_statuses if kind == CaseKind.WBS else grt_statuses),
            received_at=received,
            organisation=rng.choice(organisations),
            violation_type=rng.choice(list(ViolationType)) if kind == CaseKind.WBS else "",
            gift_type=rng.choice(list(GiftType)) if kind == CaseKind.GRATIFICATION else "",
            is_refusal=kind == CaseKind.GRATIFICATION and rng.random() < 0.1,
            content=b"",
        )
        batch.append(case)
        if rng.random() < 0.3:
            messages.append(
                CaseMessage(
                    case=case,
                    sender=CaseMessage.Sender.INSPECTORATE,
                    created_at=received + timedelta(hours=rng.randrange(1, 24 * 30)),
                    body=b"",
                )
            )
        if len(batch) == 5000:
            Case.objects.bulk_create(batch)
            batch = []
    Case.objects.bulk_create(batch)
    # Officer replies (an author) for the median time to first response.
    from casework.models import StaffUser

    author = StaffUser.objects.filter(role="officer").first()
    for message in messages:
        message.author = author
    CaseMessage.objects.bulk_create(messages, batch_size=5000)


def bench_recap(cases: int) -> dict[str, object]:
    from casework.models import Case
    from reports.kinds import ExportKind
    from reports.periods import make_period
    from reports.recap import RecapFilters, build_recap
    from reports.services import ExportRequest, make_export

    fill_started = time.perf_counter()
    _fill_cases(cases)
    fill_seconds = time.perf_counter() - fill_started
    period = make_period("2025-01-01", "2025-12-31")
    reference, _rows = _timed(lambda: len(list(Case.objects.values_list("kind", "status", "received_at"))), 3)
    figures_seconds, figures = _timed(lambda: build_recap(RecapFilters(period=period)), 3)
    export_seconds, result = _timed(
        lambda: make_export(request=ExportRequest(kind=ExportKind.RECAP, period=period), actor="system"), 2
    )
    import pikepdf

    with pikepdf.open(io.BytesIO(result.signed.data)) as pdf:
        pages = len(pdf.pages)
    return {
        "cases": cases,
        "months": len(period.months()),
        "fill_seconds": round(fill_seconds, 2),
        "counted": figures.total,
        "figures_seconds": round(figures_seconds, 3),
        "export_seconds": round(export_seconds, 3),
        "goal_seconds": 5.0,
        "pages": pages,
        "pdf_bytes": len(result.signed.data),
        "reference_read_all_cases_seconds": round(reference, 3),
        "figures_over_reference": round(figures_seconds / reference, 2),
    }


def _dossier_case(messages: int) -> tuple[object, object]:
    from casework.staff.roles import Role
    from casework.staff.services import staff_create
    from intake import services as intake
    from intake.forms import WbsReportForm
    from vault.access import Keyring
    from vault.officers import unwrap_private_key

    # New reports are sealed to the supervisors (and escrow) until one assigns an officer: the supervisor, a
    # throw-away staff member of the scratch database, exports the dossier.
    if not hasattr(_dossier_case, "supervisor"):
        password = secrets.token_urlsafe(18)
        supervisor = staff_create(username="benchsupervisor", role=Role.SUPERVISOR, password=password).user
        _dossier_case.supervisor = (supervisor, password)  # type: ignore[attr-defined]
    supervisor, password = _dossier_case.supervisor  # type: ignore[attr-defined]
    form = WbsReportForm(
        {
            "title": "Dugaan penggelembungan anggaran pengadaan",
            "violation_type": "pengadaan",
            "what": "Nilai kontrak pengadaan alat tulis kantor jauh di atas harga pasar. " * 20,
            "who_name": "Pejabat pembuat komitmen",
            "organisation": "kecamatan-tembalang",
            "when_date": "2026-03-02",
            "estimated_loss": "150000000",
            "reported_elsewhere": "no",
        }
    )
    assert form.is_valid(), form.errors
    submission = intake.submit_wbs_report(data=form.cleaned_data)
    access = intake.open_followup(receipt=submission.receipt)
    paragraph = (
        "Berikut tambahan keterangan mengenai kronologi kejadian, nama-nama pihak yang terlibat, dan dokumen "
        "pendukung yang saya miliki. Rapat pembahasan harga dilakukan tanpa notulen dan penyedia sudah ditentukan "
        "sebelum lelang dibuka. "
    ) * 6
    for _ in range(messages):
        intake.post_reporter_message(access=access, body=paragraph)
    keyring = Keyring(user=supervisor, _private_key=unwrap_private_key(user=supervisor, password=password))
    return submission.case, keyring


def bench_dossier(target_pages: int) -> dict[str, object]:
    import pikepdf

    from reports.kinds import ExportKind
    from reports.services import ExportRequest, make_export
    from reports.signing import sign_pdf

    def export(case: object, keyring: object) -> object:
        return make_export(
            request=ExportRequest(kind=ExportKind.DOSSIER, case_ref=case.number),  # type: ignore[attr-defined]
            actor=keyring.user,  # type: ignore[attr-defined]
            keyring=keyring,  # type: ignore[arg-type]
        )

    small_case, small_keyring = _dossier_case(0)
    reference, _small = _timed(lambda: export(small_case, small_keyring), 2)
    messages = max(1, target_pages * 3)
    case, keyring = _dossier_case(messages)
    seconds, result = _timed(lambda: export(case, keyring), 2)
    with pikepdf.open(io.BytesIO(result.signed.data)) as pdf:  # type: ignore[attr-defined]
        pages = len(pdf.pages)
    from reports.case_documents import case_document
    from reports.checkpoint import embed_current_checkpoint
    from reports.rendering import render_pdf

    render_seconds, data = _timed(
        lambda: render_pdf(
            template="reports/pdf/dossier.html",
            title="bench",
            context={"doc": case_document(keyring=keyring, case=case), "checkpoint": embed_current_checkpoint()},  # type: ignore[arg-type]
        )
    )
    sign_seconds, _signed = _timed(lambda: sign_pdf(data, reason="bench"), 5)
    hash_seconds, _digest = _timed(lambda: hashlib.sha256(data).digest(), 5)
    return {
        "messages": messages,
        "pages": pages,
        "dossier_seconds": round(seconds, 3),
        "goal_seconds": 6.0,
        "seconds_per_page": round(seconds / pages, 3),
        "reference_one_page_dossier_seconds": round(reference, 3),
        "render_only_seconds": round(render_seconds, 3),
        "signing": {
            "level": "B-B",
            "pdf_bytes": len(data),
            "sign_seconds": round(sign_seconds, 4),
            "reference_sha256_seconds": round(hash_seconds, 5),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--dossier-pages", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="peluit-bench-reports-") as tmp:
        workdir = Path(tmp)
        _setup(workdir)
        result = {
            "benchmark": "reports",
            "machine_cpus": os.cpu_count(),
            "dossier": bench_dossier(args.dossier_pages),
            "recap": bench_recap(args.cases),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
