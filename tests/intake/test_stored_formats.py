"""Issue 8 section 6 through the real intake: padded sizes, coarse reporter times, sealed file metadata, and a
case written in the old formats that still opens."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from casework.cases import sealed
from casework.cases.selectors import open_case
from casework.models import Case, CaseAttachment, CaseMessage
from intake import services
from intake.forms import WbsReportForm
from intake.models import SubmissionToken
from tests.intake.conftest import IntakeStaff, jpeg_with_gps, pdf_with_author, upload, wbs_post
from tests.support.assignment import assign_officers
from vault import formats
from vault import services as vault
from vault.access import unseal_report_key
from vault.models import AttachmentBlob, CaseKey, ReceiptKey, SealedIdentity

pytestmark = pytest.mark.django_db
JAKARTA = ZoneInfo("Asia/Jakarta")


def valid(data: dict[str, Any]) -> dict[str, Any]:
    form = WbsReportForm(data)
    assert form.is_valid(), form.errors
    cleaned = dict(form.cleaned_data)
    cleaned.pop("attachments", None)
    return cleaned


def blob_size(attachment: CaseAttachment) -> int:
    return (Path(settings.MEDIA_ROOT) / attachment.storage_name).stat().st_size


# --- Sizes ----------------------------------------------------------------------------------------------
def test_two_reports_a_few_hundred_bytes_apart_store_content_of_the_same_length(intake_staff: IntakeStaff) -> None:
    """The issue's "done when": text length is not readable from the stored ciphertext."""
    short = services.submit_wbs_report(data=valid(wbs_post(what="Petugas meminta uang tambahan.")))
    longer_text = "Petugas meminta uang tambahan untuk surat keterangan domisili, setiap pekan, di loket. " * 5
    longer = services.submit_wbs_report(data=valid(wbs_post(what=longer_text)))
    assert len(longer_text) - len("Petugas meminta uang tambahan.") > 300
    assert len(bytes(short.case.content)) == len(bytes(longer.case.content))
    assert bytes(short.case.content)[0] == formats.CONTENT_V2
    # Identities of different lengths, too.
    one = services.submit_wbs_report(data=valid(wbs_post(identity_name="Ani")))
    two = services.submit_wbs_report(data=valid(wbs_post(identity_name="Anindya Kusumawardhani Prameswari")))
    identities = [SealedIdentity.objects.get(report_id=s.case.id).ciphertext for s in (one, two)]
    assert len(bytes(identities[0])) == len(bytes(identities[1]))


def test_messages_and_files_of_different_sizes_look_alike(intake_staff: IntakeStaff) -> None:
    submission = services.submit_wbs_report(data=valid(wbs_post()))
    access = vault.reporter_access(receipt=submission.receipt)
    short = services.post_reporter_message(access=access, body="Ya.")
    longer = services.post_reporter_message(access=access, body="Bukti tambahan saya kirim besok pagi. " * 20)
    assert len(bytes(short.body)) == len(bytes(longer.body))
    small, large = services.add_reporter_attachment(
        access=access, attachments=[upload("a.pdf", pdf_with_author("A")), upload("b.jpg", jpeg_with_gps())]
    )
    metas = [sealed.open_attachment_meta(access=access, attachment=a) for a in (small, large)]
    assert metas[0].size != metas[1].size  # the real sizes differ ...
    assert blob_size(small) == blob_size(large)  # ... the files on disk do not
    assert len(bytes(small.original_name)) == len(bytes(large.original_name))
    # Nothing about the files stays in clear: not in the case's rows, not in the vault's.
    for row in (small, large):
        row.refresh_from_db()
        assert (row.content_type, row.size) == ("", None)
    assert not any(f.name == "size" for f in AttachmentBlob._meta.get_fields())
    assert [m.content_type for m in metas] == ["application/pdf", "image/jpeg"]


# --- Times ----------------------------------------------------------------------------------------------
@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    def freeze(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


def test_a_reporters_times_are_stored_rounded_to_the_hour(
    intake_staff: IntakeStaff, frozen: Callable[[datetime], None]
) -> None:
    """The issue's "done when": the reporter's audit events and case times are rounded to the hour."""
    moment = datetime(2030, 3, 4, 10, 41, 7, 123456, tzinfo=JAKARTA)  # after every real event of the test
    hour = moment.replace(minute=0, second=0, microsecond=0)
    frozen(moment)
    data = valid(wbs_post(identity_name="Pelapor"))
    data["submission_token"] = "a one-time token"
    submission = services.submit_wbs_report(data=data, attachments=[upload("foto.jpg", jpeg_with_gps())])
    case = submission.case
    case.refresh_from_db()
    assert case.received_at == hour
    assert [m.created_at for m in case.messages.all()] == [hour]  # the acknowledgement
    assert [a.created_at for a in case.attachments.all()] == [hour]
    report_id = case.id
    rows = [*CaseKey.objects.filter(report_id=report_id), *ReceiptKey.objects.filter(report_id=report_id)]
    rows += [*SealedIdentity.objects.filter(report_id=report_id), *AttachmentBlob.objects.filter(report_id=report_id)]
    assert len(rows) >= 5 and {row.created_at for row in rows} == {hour}
    assert SubmissionToken.objects.get().used_at == hour
    # Every event of the submission, the vault's intake grants (actor "system") included, is coarse.
    submitted = AuditEvent.objects.get(action="intake.report_submitted")
    grants = AuditEvent.objects.filter(action="vault.case_granted", case_ref=case.number)
    assert submitted.at == hour and grants.exists() and {g.at for g in grants} == {hour}
    # The working-day clock counts from the same local date.
    assert timezone.localdate(case.received_at) == moment.date()

    # Later the same hour: an officer replies (exact time), then the reporter logs in and answers.
    reply_at = moment.replace(minute=50, second=1)
    frozen(reply_at)
    assign_officers(case, intake_staff.officer)  # new reports reach the supervisors; triage assigns the officer
    keyring = intake_staff.keyring(intake_staff.officer)
    with transaction.atomic():
        sealed.add_message(access=keyring, case=case, sender=CaseMessage.Sender.INSPECTORATE, body="Mohon bukti.")
    frozen(moment.replace(minute=55, second=33))
    cookie = services.followup_login(receipt=submission.receipt)
    access = vault.followup_resume(cookie_value=cookie)
    answer = services.post_reporter_message(access=access, body="Terlampir.")
    services.add_reporter_attachment(access=access, attachments=[upload("surat.pdf", pdf_with_author())])
    # Rounded down, but never before the officer's reply it answers: the thread keeps its order.
    assert reply_at < answer.created_at < reply_at.replace(second=2)
    thread = list(case.messages.values_list("sender", flat=True))
    assert thread == ["inspectorate", "inspectorate", "reporter"]
    login = AuditEvent.objects.filter(action="intake.followup_login").get()
    reporter_events = AuditEvent.objects.filter(actor_kind="reporter").order_by("seq")
    officer_event_us = max(AuditEvent.objects.filter(actor_kind="staff").values_list("at_us", flat=True), default=0)
    assert login.at <= reply_at.replace(second=2) and login.at_us >= officer_event_us - 1
    assert all(e.at.minute in (0, 50) for e in reporter_events)  # the hour, or raised to a staff event's time
    times = list(AuditEvent.objects.order_by("seq").values_list("at_us", flat=True))
    assert times == sorted(times)


# --- Old formats ----------------------------------------------------------------------------------------
def test_a_case_written_in_the_old_formats_still_opens(intake_staff: IntakeStaff) -> None:
    """Content, messages, file names (format 0x01), files (0x05) and clear size/type as the old code wrote them."""
    submission = services.submit_wbs_report(data=valid(wbs_post()))
    case = submission.case
    access = vault.reporter_access(receipt=submission.receipt)
    key = unseal_report_key(access, case.id, audit=False)
    old_content = {"title": "Laporan lama", "what": "Ditulis sebelum padding."}
    case.content = formats.content_seal(
        key, case.id, Case.CONTENT_PURPOSE, json.dumps(old_content).encode(), version=formats.CONTENT_V1
    )
    case.save(update_fields=["content"])
    message = CaseMessage(case=case, sender=CaseMessage.Sender.REPORTER)
    message.body = formats.content_seal(key, case.id, message.purpose, b"pesan lama", version=formats.CONTENT_V1)
    message.save()
    name = "vault/00/" + "0" * 32
    blob = b"".join(formats.stream_encrypt(key, case.id, name, [b"isi berkas lama"], version=formats.STREAM_V1))
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    AttachmentBlob.objects.create(name=name, report_id=case.id)
    attachment = CaseAttachment(case=case, storage_name=name, size=15, content_type="text/plain")
    attachment.original_name = formats.content_seal(
        key, case.id, attachment.name_purpose, b"lama.txt", version=formats.CONTENT_V1
    )
    attachment.save()

    assign_officers(case, intake_staff.officer)
    keyring = intake_staff.keyring(intake_staff.officer)
    opened = open_case(keyring=keyring, case=case)
    assert any(field.value == "Ditulis sebelum padding." for field in opened.fields)
    assert "pesan lama" in [m.body for m in opened.messages]
    old_file = next(a for a in opened.attachments if a.id == attachment.id)
    assert (old_file.name, old_file.content_type, old_file.size) == ("lama.txt", "text/plain", 15)
    assert b"".join(sealed.open_attachment_content(access=keyring, attachment=attachment)) == b"isi berkas lama"
    view = services.followup_overview(access=access)
    assert [(a.name, a.size) for a in view.attachments] == [("lama.txt", 15)]
