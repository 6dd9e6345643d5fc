"""Benchmark one WBS submission with a large attachment: wall time and peak memory growth.

Run: .venv/bin/python bench/intake_submission.py [--mib 100]   (prints JSON)

A fresh SQLite database and media folder are made in a temporary directory; the attachment is a plain-text
file of the given size (accepted, streamed through the sanitiser, encrypted in 64 KiB chunks). Peak RSS
(VmHWM) is reset just before the submission, so the growth printed is the submission's own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def vm_hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=100)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="peluit-bench-"))
    try:
        run(tmp, args.mib)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp: Path, mib: int) -> None:
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "PELUIT_MEDIA_ROOT": str(tmp / "media"),
            "PELUIT_KDF_PROFILE": "test",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import TemporaryUploadedFile
    from django.core.management import call_command

    from casework.staff.services import staff_create
    from intake import services
    from intake.forms import WbsReportForm

    call_command("migrate", verbosity=0)
    staff_create(username="kepala", role="supervisor", password="bench passphrase 12345")  # noqa: S106 - throwaway database
    form = WbsReportForm({"title": "Bench", "violation_type": "lainnya", "what": "Laporan uji kinerja."})
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}

    size = mib * 1024 * 1024
    upload = TemporaryUploadedFile("catatan.txt", "text/plain", size, "utf-8")
    line = b"Catatan rapat pengadaan, halaman berikutnya menyusul.\n"
    block = line * (65536 // len(line))
    written = 0
    while written < size:  # exactly ``size`` bytes: the default 100 MiB is the attachment limit itself
        chunk = block[: size - written]
        upload.write(chunk)
        written += len(chunk)
    upload.size = written
    upload.seek(0)

    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = vm_hwm_kib()
    started = time.perf_counter()
    submission = services.submit_wbs_report(data=data, attachments=[upload])
    elapsed = time.perf_counter() - started
    growth = vm_hwm_kib() - before
    stored = sum(p.stat().st_size for p in (tmp / "media").rglob("*") if p.is_file())
    # Reference in the same run: copying the same file once (reading it back from the upload spool).
    upload.seek(0)
    started = time.perf_counter()
    while upload.read(1 << 20):
        pass
    read_seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "benchmark": "intake_submission",
                "case": submission.case.number,
                "attachment_mib": round(written / 2**20, 1),
                "limit_mib": round(settings.PELUIT_MAX_ATTACHMENT_BYTES / 2**20, 1),
                "seconds": round(elapsed, 2),
                "mib_per_second": round(written / 2**20 / elapsed, 1),
                "reference_read_seconds": round(read_seconds, 3),
                "peak_rss_growth_mib": round(growth / 1024, 1),
                "stored_mib": round(stored / 2**20, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
