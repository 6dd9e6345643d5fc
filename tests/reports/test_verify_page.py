"""/verify/: a public page that tells an intact export from a changed one, stores nothing, refuses junk clearly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from lxml import html as lxml_html

from audit.models import AuditEvent
from reports.kinds import ExportKind
from reports.periods import make_period
from reports.services import ExportRequest, make_export
from tests.intake.conftest import IntakeStaff
from tests.reports.conftest import pdfsig

pytestmark = pytest.mark.django_db

# The PDF's checkpoint is checked against the published checkpoint (audit/publication.py); with exact reporter
# times every checkpoint is published, so the tests that are not about publication see the PDF's own.
every_checkpoint_published = pytest.mark.usefixtures("every_checkpoint_published")


@pytest.fixture
def recap_pdf(staff: IntakeStaff) -> bytes:
    request = ExportRequest(kind=ExportKind.RECAP, period=make_period("2026-01-01", "2026-12-31"))
    return make_export(request=request, actor=staff.supervisor).signed.data


def _upload(client: Client, data: bytes, name: str = "dokumen.pdf") -> Any:
    return client.post("/verify/", {"document": SimpleUploadedFile(name, data, content_type="application/pdf")})


def _temp_files() -> set[str]:
    return set(os.listdir(django_settings.FILE_UPLOAD_TEMP_DIR))


def test_the_page_works_without_javascript_and_keeps_reporter_privacy() -> None:
    response = Client().get("/verify/", HTTP_USER_AGENT="Canary/1.0", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    assert b"<script" not in response.content
    assert b'enctype="multipart/form-data"' in response.content
    assert response["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert Client().get("/en/verify/").status_code == 200


@every_checkpoint_published
def test_an_intact_export_is_valid_and_consistent(recap_pdf: bytes) -> None:
    before = _temp_files()
    events = AuditEvent.objects.count()
    response = _upload(Client(), recap_pdf)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="verdict"' in body and "Sah: ditandatangani oleh instalasi ini dan tidak berubah" in body
    assert "Peluit PDF exports" in body
    assert "Konsisten" in body
    assert _temp_files() == before  # nothing uploaded was written to disk
    assert AuditEvent.objects.count() == events  # checking writes nothing either


def test_a_flipped_byte_is_reported_as_changed_as_pdfsig_says(recap_pdf: bytes, tmp_path: Path) -> None:
    changed = bytearray(recap_pdf)
    changed[len(changed) // 4] ^= 0x01
    path = tmp_path / "changed.pdf"
    path.write_bytes(bytes(changed))
    assert "Signature is Valid" not in pdfsig(path)
    body = _upload(Client(), bytes(changed)).content.decode()
    assert "Tidak sah" in body and "Sah: ditandatangani" not in body


@every_checkpoint_published
def test_a_rewritten_audit_log_makes_the_checkpoint_inconsistent(recap_pdf: bytes) -> None:
    from django.db import connection

    from tests.audit.helpers import drop_append_only_triggers

    drop_append_only_triggers()  # an attacker with database access rewrites the first event
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET details = '{\"x\":1}' WHERE seq = 1")
    body = _upload(Client(), recap_pdf).content.decode()
    assert "Tidak konsisten" in body
    assert "Sah: ditandatangani oleh instalasi ini dan tidak berubah" not in body


def test_junk_gets_a_clear_message_and_no_500() -> None:
    client = Client()
    not_pdf = _upload(client, b"GIF89a not a pdf at all", "gambar.pdf")
    assert not_pdf.status_code == 400 and "Ini bukan berkas PDF" in not_pdf.content.decode()
    broken = _upload(client, b"%PDF-1.7\n" + os.urandom(2000))
    assert broken.status_code == 400 and b"rusak" in broken.content
    empty = client.post("/verify/", {})
    assert empty.status_code == 400
    minimal = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF"
    )
    unsigned = _upload(client, minimal)
    assert unsigned.status_code in (200, 400) and b"Bukan dokumen Peluit" in unsigned.content


def test_a_huge_file_is_refused_without_being_kept(settings: Any) -> None:
    settings.PELUIT_VERIFY_MAX_BYTES = 100_000
    before = _temp_files()
    response = _upload(Client(), b"%PDF-1.7\n" + b"0" * 300_000)
    assert response.status_code == 413 and b"terlalu besar" in response.content
    # Declared too large: refused before reading.
    huge = Client().generic(
        "POST", "/verify/", b"x", CONTENT_TYPE="multipart/form-data; boundary=x", CONTENT_LENGTH="99999999"
    )
    assert huge.status_code == 413
    assert _temp_files() == before


def _checkpoint_result(body: str) -> str:
    return lxml_html.fromstring(body).get_element_by_id("checkpoint-result").text_content().strip()


def test_the_page_says_nothing_of_what_was_written_since_the_last_publication(staff: IntakeStaff) -> None:
    """The page is public: it checks against the published checkpoint and never shows (or takes longer for)
    today's log. A first version printed today's size: uploading any PDF once a minute placed every report to
    the minute (outside probe, stop 28)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from audit.clock import reporter_time
    from audit.publication import publish_if_due
    from tests.audit.helpers import write_events

    hour = datetime(2026, 12, 7, 10, 0, 5, tzinfo=ZoneInfo("Asia/Jakarta"))
    with time_machine.travel(hour.replace(hour=9), tick=False) as clock:
        write_events(3)
        clock.move_to(hour)
        published = publish_if_due()
        assert published is not None
        clock.move_to(hour.replace(minute=10))
        write_events(1)  # staff at work: the recap signs a checkpoint newer than the published one
        request = ExportRequest(kind=ExportKind.RECAP, period=make_period("2026-01-01", "2026-12-31"))
        pdf = make_export(request=request, actor=staff.supervisor).signed.data  # newer than the published one
        old_pdf = _published_pdf()
        client = Client()
        before = _checkpoint_result(_upload(client, old_pdf).content.decode())
        newer = _upload(client, pdf).content.decode()
        with reporter_time():
            write_events(4)  # a report comes in
        after = _checkpoint_result(_upload(client, old_pdf).content.decode())
    assert before == after  # the report changed nothing the page shows
    assert f"({published.tree_size} kejadian)" in before and "Konsisten" in before
    assert str(AuditEvent.objects.count()) not in before
    pending = _checkpoint_result(newer)
    assert "lebih baru daripada titik periksa terbit terakhir" in pending, pending
    assert 'class="muted"' in newer


def _published_pdf() -> bytes:
    """A PDF that embeds the published checkpoint: the public service standard's."""
    return make_export(request=ExportRequest(kind=ExportKind.SERVICE_STANDARD), actor="system").signed.data


def test_before_anything_is_published_the_check_waits_for_the_first_publication(recap_pdf: bytes) -> None:
    body = _upload(Client(), recap_pdf).content.decode()
    assert "belum menerbitkan titik periksa" in _checkpoint_result(body)
