"""Retention: closed cases are crypto-shredded after the retention period (per kind, a setting) by a beat task,
never under a legal hold; destroying earlier needs a second supervisor. Statistics and audit trail remain."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases.services import CaseActionRefused
from casework.models import Case, CaseAttachment, CaseMessage, DestructionRequest, StatusChange
from casework.workflow import retention
from casework.workflow.tasks import retention_shred
from intake import services as intake_services
from intake.forms import WbsReportForm
from tests.casework.workflow.conftest import REASON, WHAT, logged_in, move
from tests.intake.conftest import IntakeStaff, jpeg_with_gps, upload, wbs_post
from vault.attachments import attachment_storage
from vault.exceptions import UnknownReceipt
from vault.models import AttachmentBlob, CaseKey, ReceiptKey

pytestmark = pytest.mark.django_db


def file_with_photo(**overrides: Any) -> intake_services.Submission:
    form = WbsReportForm(wbs_post(what=WHAT, **overrides))
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    return intake_services.submit_wbs_report(data=data, attachments=[upload("foto.jpg", jpeg_with_gps(), "image/jpeg")])


def closed(staff: IntakeStaff, *, years_ago: float, **overrides: Any) -> intake_services.Submission:
    submission = file_with_photo(**overrides)
    case = move(submission.case, "verifikasi", staff=staff)
    case = move(case, "tidak_memenuhi_syarat", staff=staff, reason=REASON)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=365.25 * years_ago))
    return submission


def blob_names(submission: intake_services.Submission) -> list[str]:
    return list(CaseAttachment.objects.filter(case=submission.case).values_list("storage_name", flat=True))


def assert_shredded(
    submission: intake_services.Submission, blobs: list[str], *, status: str = "tidak_memenuhi_syarat"
) -> None:
    case = Case.objects.get(pk=submission.case.pk)
    assert case.shredded_at is not None and bytes(case.content) == b""
    assert not CaseKey.objects.filter(report_id=case.pk).exists()
    assert not ReceiptKey.objects.filter(report_id=case.pk).exists()
    assert not AttachmentBlob.objects.filter(report_id=case.pk).exists()
    assert not CaseMessage.objects.filter(case=case).exists() and not CaseAttachment.objects.filter(case=case).exists()
    assert all(bytes(c.reason) == b"" for c in StatusChange.objects.filter(case=case))
    assert blobs and not any(attachment_storage().exists(name) for name in blobs)  # gone from disk
    # Statistics metadata stays.
    assert (case.kind, case.violation_type, case.status, case.organisation_id is not None) == (
        "wbs",
        "pungli",
        status,
        True,
    )
    with pytest.raises(UnknownReceipt):
        intake_services.open_followup(receipt=submission.receipt)


def test_expired_cases_are_crypto_shredded_by_the_beat_task(
    staff: IntakeStaff, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    old = closed(staff, years_ago=5.1)
    recent = closed(staff, years_ago=4.9)
    held = closed(staff, years_ago=6)
    retention.case_set_legal_hold(case=held.case, actor=staff.supervisor, hold=True, grounds="Surat PN 12/2026")
    blobs = blob_names(old)
    with django_capture_on_commit_callbacks(execute=True):  # files go once the transaction commits
        assert retention_shred.apply().get() == {"shredded": 1}
    assert_shredded(old, blobs)
    assert all(attachment_storage().exists(name) for name in blob_names(recent) + blob_names(held))
    assert Case.objects.get(pk=recent.case.pk).shredded_at is None
    assert Case.objects.get(pk=held.case.pk).shredded_at is None
    event = AuditEvent.objects.get(action=Action.CASE_SHREDDED)
    assert event.case_ref == old.case.number and event.actor_kind == "system"
    assert event.details_dict["trigger"] == "retention" and event.details_dict["files_deleted"] == 1
    # The audit trail of the shredded case is intact and still verifies.
    assert AuditEvent.objects.filter(case_ref=old.case.number, action=Action.CASE_STATUS_CHANGED).count() == 2
    call_command("audit_verify")
    # A shorter period for WBS reports only is a setting.
    settings.PELUIT_RETENTION_YEARS = {"wbs": 4, "gratification": 5}
    assert retention.shred_expired_cases() == [recent.case.number]


def test_the_encrypted_files_leave_the_disk(
    staff: IntakeStaff, _media_in_tmp: Path, django_capture_on_commit_callbacks: Any
) -> None:
    old = closed(staff, years_ago=6)
    blobs = blob_names(old)
    assert len([p for p in _media_in_tmp.rglob("*") if p.is_file()]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        retention.shred_expired_cases()
    assert_shredded(old, blobs)
    assert not [p for p in _media_in_tmp.rglob("*") if p.is_file()]


def test_early_destruction_needs_a_second_supervisor(
    staff: IntakeStaff, make_staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from casework.staff.roles import Role

    second = make_staff(Role.SUPERVISOR)
    submission = file_with_photo()
    case = submission.case
    with pytest.raises(CaseActionRefused, match="supervisor"):
        retention.destruction_request(case=case, actor=staff.officer, grounds="Laporan ganda")
    with pytest.raises(CaseActionRefused, match="grounds"):
        retention.destruction_request(case=case, actor=staff.supervisor, grounds="  ")
    request = retention.destruction_request(case=case, actor=staff.supervisor, grounds="Laporan ganda WBS-2026-1")
    with pytest.raises(CaseActionRefused, match="already waiting"):
        retention.destruction_request(case=case, actor=second, grounds="lagi")
    with pytest.raises(CaseActionRefused, match="second supervisor"):
        retention.destruction_decide(request=request, actor=staff.supervisor, approve=True)
    assert Case.objects.get(pk=case.pk).shredded_at is None
    blobs = blob_names(submission)
    with django_capture_on_commit_callbacks(execute=True):
        retention.destruction_decide(request=request, actor=second, approve=True)
    assert_shredded(submission, blobs, status="diterima")
    assert [e.action for e in AuditEvent.objects.filter(case_ref=case.number).order_by("seq")][-4:] == [
        Action.DESTRUCTION_REQUESTED,
        Action.DESTRUCTION_APPROVED,
        Action.CLOCK_STOPPED,
        Action.CASE_SHREDDED,
    ]
    with pytest.raises(CaseActionRefused, match="already"):
        retention.destruction_request(case=Case.objects.get(pk=case.pk), actor=second, grounds="x")


def test_a_legal_hold_blocks_early_destruction_and_a_refusal_keeps_the_case(
    staff: IntakeStaff, make_staff: Any
) -> None:
    from casework.staff.roles import Role

    second = make_staff(Role.SUPERVISOR)
    case = file_with_photo().case
    request = retention.destruction_request(case=case, actor=staff.supervisor, grounds="Spam")
    retention.case_set_legal_hold(case=case, actor=second, hold=True, grounds="Permintaan Kejaksaan B-1/2026")
    with pytest.raises(CaseActionRefused, match="legal hold"):
        retention.destruction_decide(request=request, actor=second, approve=True)
    assert Case.objects.get(pk=case.pk).shredded_at is None
    assert DestructionRequest.objects.get(pk=request.pk).decided_at is None  # nothing changed
    retention.destruction_decide(request=request, actor=second, approve=False)
    assert DestructionRequest.objects.get(pk=request.pk).approved is False
    assert AuditEvent.objects.filter(action=Action.DESTRUCTION_REFUSED).count() == 1


def test_the_retention_page_and_a_destroyed_case_page(staff: IntakeStaff, make_staff: Any) -> None:
    from casework.staff.roles import Role

    second = make_staff(Role.SUPERVISOR)
    case = file_with_photo().case
    first = logged_in(staff.supervisor)
    assert first.get(f"/console/cases/{case.number}/retention/").status_code == 200
    assert first.post(f"/console/cases/{case.number}/retention/request/", {"grounds": ""}).status_code == 302
    assert not DestructionRequest.objects.exists()
    first.post(f"/console/cases/{case.number}/retention/request/", {"grounds": "Laporan ganda"})
    request = DestructionRequest.objects.get()
    page = first.get(f"/console/cases/{case.number}/retention/").content.decode()
    assert 'id="approve-destruction"' not in page  # not for the one who asked
    self_approval = first.post(
        f"/console/cases/{case.number}/retention/decide/", {"request_id": request.pk, "approve": "yes"}
    )
    assert self_approval.status_code == 302 and Case.objects.get(pk=case.pk).shredded_at is None
    other = logged_in(second)
    assert 'id="approve-destruction"' in other.get(f"/console/cases/{case.number}/retention/").content.decode()
    assert other.post(f"/console/cases/{case.number}/retention/decide/", {"request_id": "x"}).status_code == 302
    other.post(f"/console/cases/{case.number}/retention/decide/", {"request_id": request.pk, "approve": "yes"})
    assert Case.objects.get(pk=case.pk).shredded_at is not None
    # The destroyed case: its page says it cannot be opened (no 500); the queue still lists its metadata.
    response = first.get(f"/console/cases/{case.number}/")
    assert response.status_code == 403 and WHAT not in response.content.decode()
    assert case.number in first.get("/console/cases/").content.decode()
    officer = logged_in(staff.officer)
    assert officer.post(f"/console/cases/{case.number}/retention/hold/", {"grounds": "x"}).status_code == 403


def test_shredding_removes_the_notes_and_the_disclosure_reasons(staff: IntakeStaff) -> None:
    """Notes and disclosure reasons are sealed under the case's key: shredding leaves no ciphertext of them."""
    from casework.handling import disclosure, notes
    from tests.support.assignment import assign_officers

    submission = closed(staff, years_ago=6, identity_name="Kanari Nama Pelapor")
    case = submission.case
    assign_officers(case, staff.officer)
    keyring = staff.keyring(staff.officer)
    notes.case_add_note(case=case, keyring=keyring, body="Kanari catatan yang harus hilang.")
    asked = disclosure.disclosure_request(case=case, keyring=keyring, reason="Kanari alasan yang harus hilang.")
    assert bytes(asked.reason) and case.notes.exists()
    retention.shred_expired_cases()
    assert not case.notes.exists()
    assert [bytes(reason) for reason in case.disclosures.values_list("reason", flat=True)] == [b""]
