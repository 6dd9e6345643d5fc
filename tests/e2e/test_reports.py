"""An auditor makes a signed recap in the console and anyone checks it on /verify/ (real Chromium, no JS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.staff import services
from casework.staff.roles import Role
from tests.reports.conftest import pdfsig
from tests.support.staff import PASSWORD, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _tasks_in_process(settings: Any) -> Any:
    from reports.tasks import generate_export

    app = generate_export.app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.mark.usefixtures("every_checkpoint_published")  # /verify/ checks against the published checkpoint
def test_auditor_exports_a_recap_and_the_verification_page_checks_it(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    auditor = services.staff_create(username="pemeriksa", role=Role.AUDITOR, password=PASSWORD).user
    page.goto("/console/reports/")
    page.fill("#id_username", "pemeriksa")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#id_code", totp_code(TOTPDevice.objects.get(user=auditor, confirmed=True)))
    page.click("button[type=submit]")
    page.goto("/console/reports/")
    assert page.locator("#export-dossier").count() == 0  # auditors never export content
    page.fill("#export-recap #id_date_from", "2026-01-01")
    page.fill("#export-recap #id_date_to", "2026-12-31")
    page.click("#export-recap button[type=submit]")
    assert "/console/reports/exports/" in page.url
    with page.expect_download() as download_info:
        page.click("#download")
    pdf = tmp_path / "recap.pdf"
    download_info.value.save_as(pdf)
    assert "Signature is Valid" in pdfsig(pdf)

    page.goto("/verify/")
    page.set_input_files("#id_document", str(pdf))
    page.click("#verify-form button[type=submit]")
    assert "Sah: ditandatangani oleh instalasi ini dan tidak berubah" in page.inner_text("#verdict")
    assert "Konsisten" in page.inner_text("#checkpoint-result")

    changed = bytearray(pdf.read_bytes())
    changed[len(changed) // 4] ^= 0x01
    (tmp_path / "changed.pdf").write_bytes(bytes(changed))
    page.goto("/verify/")
    page.set_input_files("#id_document", str(tmp_path / "changed.pdf"))
    page.click("#verify-form button[type=submit]")
    assert "Tidak sah" in page.inner_text("#verdict")
