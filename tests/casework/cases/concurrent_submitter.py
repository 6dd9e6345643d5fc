"""Helper process for the case-number race test: ``python -m tests.casework.cases.concurrent_submitter setup|submit``.

``setup`` migrates the database named by DATABASE_URL (a fresh SQLite file) and creates an escrow holder;
``submit GO_FILE COUNT`` waits until GO_FILE exists, then submits COUNT WBS reports and prints their numbers.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if argv[0] == "setup":
        from django.core.management import call_command

        from casework.staff.services import staff_create

        call_command("migrate", verbosity=0)
        staff_create(username="kepala", role="supervisor", password="correct horse battery staple")
        return 0
    go_file, count = Path(argv[1]), int(argv[2])
    from intake import services
    from intake.forms import WbsReportForm

    form = WbsReportForm(
        {
            "title": "Balapan",
            "violation_type": "lainnya",
            "what": "Laporan serentak untuk uji nomor.",
            "reported_elsewhere": "no",
        }
    )
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    deadline = time.monotonic() + 60
    while not go_file.exists():
        if time.monotonic() > deadline:
            return 2
        time.sleep(0.005)
    for _ in range(count):
        print(services.submit_wbs_report(data=data, attachments=[]).case.number, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
