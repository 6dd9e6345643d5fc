"""Submission and follow-up services against the real vault, audit log and sanitiser."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.conf import settings
from django.utils import translation
from PIL import Image

from audit.models import AuditEvent
from casework.cases import sealed
from casework.cases.numbers import case_number
from casework.models import Case, CaseAttachment, CaseKind, CaseMessage, CaseNumberSequence, CaseStatus
from casework.staff.roles import Role
from intake import services
from intake.forms import GratificationReportForm, WbsReportForm
from tests.intake.conftest import (
    IntakeStaff,
    gratification_post,
    jpeg_with_gps,
    pdf_with_author,
    upload,
    wbs_post,
)
from tests.support.assignment import assign_officers
from vault import services as vault
from vault.exceptions import AccessDenied, FollowupExpired, UnknownReceipt
from vault.models import AttachmentBlob
from vault.permissions import HOLD_CASE_KEYS

pytestmark = pytest.mark.django_db


def valid(form_class: Any, data: dict[str, Any]) -> dict[str, Any]:
    form = form_class(data)
    assert form.is_valid(), form.errors
    cleaned = dict(form.cleaned_data)
    cleaned.pop("attachments", None)
    return cleaned


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def read_attachment(access: Any, attachment: CaseAttachment) -> bytes:
    return b"".join(sealed.open_attachment_content(access=access, attachment=attachment))


def test_wbs_submission_seals_everything_and_acknowledges(intake_staff: IntakeStaff) -> None:
    data = valid(WbsReportForm, wbs_post(identity_name="Pelapor Rahasia", identity_nik="9900000000000002"))
    files = [upload("foto.jpg", jpeg_with_gps()), upload("surat.pdf", pdf_with_author())]

    submission = services.submit_wbs_report(data=data, attachments=files)

    case = Case.objects.get()
    assert case.number == case_number("wbs", case.received_at.year, 1)
    assert case.kind == CaseKind.WBS and case.status == CaseStatus.DITERIMA
    assert case.violation_type == "pungli" and case.organisation is not None
    assert case.identity_given is True
    assert re.fullmatch(r"\d{16}", submission.receipt)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", submission.formatted_receipt)
    # Sealed: no plaintext in the database row.
    assert b"Pungutan" not in bytes(case.content)
    # The reporter and an intake recipient can open it; the identity is not in the content.
    access = vault.reporter_access(receipt=submission.receipt)
    content = sealed.open_content(access=access, case=case)
    assert content["title"] == "Pungutan liar di kelurahan"
    assert content["organisation"]["code"] == "kecamatan-tembalang"
    assert not any(key.startswith("identity") for key in content) and "Pelapor Rahasia" not in json.dumps(content)
    assert vault.has_identity(report_id=case.id)
    supervisor_view = sealed.open_content(access=intake_staff.keyring(intake_staff.supervisor), case=case)
    assert supervisor_view == content
    # Officers get it by assignment (need-to-know), not at intake.
    with pytest.raises(AccessDenied):
        sealed.open_content(access=intake_staff.keyring(intake_staff.officer), case=case)
    # Files: metadata gone, names sealed.
    image_row, pdf_row = case.attachments.order_by("created_at", "id")
    by_type = {
        sealed.open_attachment_meta(access=access, attachment=row).content_type: row for row in (image_row, pdf_row)
    }
    # Name, content type and size are sealed together: nothing about the file stays in clear.
    assert {(row.content_type, row.size) for row in (image_row, pdf_row)} == {("", None)}
    jpeg = read_attachment(access, by_type["image/jpeg"])
    assert b"CanaryCam" not in jpeg
    assert 0x8825 not in Image.open(io.BytesIO(jpeg)).getexif()
    pdf = read_attachment(access, by_type["application/pdf"])
    assert b"Canary Author" not in pdf
    assert "/Author" not in pikepdf.open(io.BytesIO(pdf)).docinfo
    assert all(row.metadata_removed for row in (image_row, pdf_row))
    assert sealed.open_attachment_meta(access=access, attachment=by_type["image/jpeg"]).name == "foto.jpg"
    assert b"foto" not in bytes(by_type["image/jpeg"].original_name)
    # The acknowledgement from "Inspektorat", sealed.
    message = CaseMessage.objects.get()
    assert message.sender == CaseMessage.Sender.INSPECTORATE and message.author is None
    body = sealed.open_message(access=access, message=message)
    assert case.number in body and "14" in body and "60" in body
    # Audit: one submission, by "reporter", with no identifiers.
    event = AuditEvent.objects.get(action="intake.report_submitted")
    assert event.actor_kind == "reporter" and event.case_ref == case.number
    assert "Pelapor" not in event.details and submission.receipt not in event.details


def test_excluded_recipients_get_no_key(intake_staff: IntakeStaff) -> None:
    excluded = intake_staff.other_officer
    data = valid(WbsReportForm, wbs_post(exclude_recipients=[str(excluded.pk)]))
    services.submit_wbs_report(data=data, attachments=[])
    case = Case.objects.get()
    assert list(case.excluded_recipients.all()) == [excluded]
    # New reports reach the supervisors (officers by assignment), never the excluded ones.
    assert vault.granted_officer_ids(report_id=case.id) == {intake_staff.supervisor.pk}
    with pytest.raises(AccessDenied):
        sealed.open_content(access=intake_staff.keyring(excluded), case=case)


def test_excluded_supervisor_gets_no_key_and_the_escrow_copy_remains(intake_staff: IntakeStaff) -> None:
    excluded = intake_staff.supervisor
    data = valid(WbsReportForm, wbs_post(exclude_recipients=[str(excluded.pk)]))
    services.submit_wbs_report(data=data, attachments=[])
    case = Case.objects.get()
    assert vault.granted_officer_ids(report_id=case.id) == set()
    escrow = vault.escrow_keyring_for(keyring=intake_staff.keyring(excluded))
    assert sealed.open_content(access=escrow, case=case)["title"] == "Pungutan liar di kelurahan"


def test_gratification_submission_warns_when_exempt(intake_staff: IntakeStaff) -> None:
    post = gratification_post(
        occasion="pernikahan", value="1000000", received_on="2026-02-01", giver_relationship="lainnya"
    )
    with translation.override("en"):
        submission = services.submit_gratification_report(data=valid(GratificationReportForm, post), attachments=[])
    case = submission.case
    assert case.number == case_number("gratification", case.received_at.year, 1)
    assert case.status == CaseStatus.DITERIMA_UPG and case.gift_type == "parsel" and not case.is_refusal
    assert submission.warnings and "may be exempt" in submission.warnings[0]
    access = vault.reporter_access(receipt=submission.receipt)
    body = sealed.open_message(access=access, message=case.messages.get())
    assert "may be exempt" in body and "KPK" in body
    content = sealed.open_content(access=access, case=case)
    assert content["recipient_nik"] == "9900000000000001" and content["language"] == "en"


def test_refusal_is_flagged(intake_staff: IntakeStaff) -> None:
    post = gratification_post(report_type="refusal")
    submission = services.submit_gratification_report(data=valid(GratificationReportForm, post), attachments=[])
    assert submission.case.is_refusal


def test_numbers_follow_each_other_per_kind(intake_staff: IntakeStaff) -> None:
    """Each kind counts its own cases; the numbers are those counts through the keyed permutation."""
    wbs = [services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=[]) for _i in range(3)]
    grt_data = valid(GratificationReportForm, gratification_post())
    grt = services.submit_gratification_report(data=grt_data, attachments=[])
    year = wbs[0].case.received_at.year
    assert [s.case.number for s in wbs] == [case_number("wbs", year, value) for value in (1, 2, 3)]
    assert grt.case.number == case_number("gratification", year, 1)
    assert CaseNumberSequence.objects.get(kind="wbs").last_value == 3


def test_a_number_already_taken_is_skipped(intake_staff: IntakeStaff) -> None:
    """A number an app server from before the permutation handed out (the plain count, so at most the sequence's
    value) is never handed out again: the next free value's is, and intake goes on."""
    first = services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=[]).case
    year = first.received_at.year
    # A value whose permuted number is a count already reached, so an old server may have handed it out plainly.
    value = next(v for v in range(999_000, 1_000_000) if int(case_number("wbs", year, v)[-6:]) <= v)
    CaseNumberSequence.objects.filter(kind="wbs", year=year).update(last_value=value - 1)
    Case.objects.filter(pk=first.pk).update(number=case_number("wbs", year, value))
    second = services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=[]).case
    assert second.number == case_number("wbs", year, value + 1)
    assert CaseNumberSequence.objects.get(kind="wbs", year=year).last_value == value + 1


def test_refused_attachment_stores_nothing(intake_staff: IntakeStaff) -> None:
    exe = b"MZ\x90\x00" + b"\x00" * 200  # a Windows executable renamed .pdf
    files = [upload("foto.jpg", jpeg_with_gps()), upload("laporan.pdf", exe)]
    with pytest.raises(services.SubmissionRejected) as caught:
        services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=files)
    assert caught.value.field == "attachments" and caught.value.message
    assert not Case.objects.exists() and not AttachmentBlob.objects.exists() and not media_files()
    assert not CaseNumberSequence.objects.filter(last_value__gt=0).exists()
    assert not AuditEvent.objects.filter(action="intake.report_submitted").exists()


def test_too_many_attachments_are_refused(intake_staff: IntakeStaff, settings: Any) -> None:
    settings.PELUIT_MAX_ATTACHMENTS = 1
    files = [upload("a.pdf", pdf_with_author()), upload("b.pdf", pdf_with_author())]
    with pytest.raises(services.SubmissionRejected):
        services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=files)
    assert not Case.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_failure_after_storing_blobs_deletes_them(
    reference_data: None, intake_staff: IntakeStaff, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault injection: the acknowledgement fails after the files were encrypted to storage."""

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("injected fault")

    # The acknowledgement is written inside the transaction, after the blobs were recorded there.
    monkeypatch.setattr(sealed, "new_message", broken)
    files = [upload("foto.jpg", jpeg_with_gps()), upload("surat.pdf", pdf_with_author())]
    with pytest.raises(RuntimeError):
        services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=files)
    assert not Case.objects.exists() and not AttachmentBlob.objects.exists()
    assert media_files() == []


def test_followup_login_read_reply_and_attach(intake_staff: IntakeStaff) -> None:
    submission = services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=[])
    case = submission.case
    assign_officers(case, intake_staff.officer)
    # An officer writes; the reporter sees "Inspektorat", never the officer's name.
    keyring = intake_staff.keyring(intake_staff.officer)
    sealed.add_message(
        access=keyring,
        case=case,
        sender=CaseMessage.Sender.INSPECTORATE,
        body="Mohon kirim bukti.",
        author=intake_staff.officer,
    )

    cookie = services.followup_login(receipt=submission.formatted_receipt)
    access = vault.followup_resume(cookie_value=cookie)
    with translation.override("en"):
        view = services.followup_overview(access=access)
    assert view.number == case.number and view.status.value == "received"
    assert [m.sender for m in view.messages] == ["Inspektorat", "Inspektorat"]
    assert view.messages[1].body == "Mohon kirim bukti." and view.messages[1].unread
    assert all("Budi" not in m.sender and "petugas" not in m.sender for m in view.messages)
    assert services.followup_overview(access=access).messages[1].unread  # reading alone marks nothing
    services.followup_mark_read(view=view)
    assert not services.followup_overview(access=access).messages[1].unread  # marked read

    services.post_reporter_message(access=access, body="Bukti terlampir.")
    services.add_reporter_attachment(access=access, attachments=[upload("bukti.pdf", pdf_with_author())])
    with translation.override("en"):
        view = services.followup_overview(access=access)
    assert view.messages[-1].from_reporter and view.messages[-1].sender == "You"
    assert [a.name for a in view.attachments] == ["bukti.pdf"]
    reply = CaseMessage.objects.get(sender=CaseMessage.Sender.REPORTER)
    assert not reply.read_by_staff and b"Bukti" not in bytes(reply.body)
    assert sealed.open_message(access=keyring, message=reply) == "Bukti terlampir."
    actions = list(AuditEvent.objects.filter(actor_kind="reporter").values_list("action", flat=True))
    assert actions.count("intake.followup_login") == 1
    assert "intake.reporter_message" in actions and "intake.reporter_attachment" in actions

    services.followup_logout(cookie_value=cookie)
    with pytest.raises(FollowupExpired):
        vault.followup_resume(cookie_value=cookie)


def test_wrong_receipt_is_refused_and_audited(intake_staff: IntakeStaff) -> None:
    services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=[])
    for wrong in ("1234 5678 9012 3456", "12", "abcd"):
        with pytest.raises(UnknownReceipt) as caught:
            services.followup_login(receipt=wrong)
        assert str(caught.value.message)
    failed = AuditEvent.objects.filter(action="intake.followup_failed")
    assert failed.count() == 3 and all(e.actor_kind == "reporter" and not e.case_ref for e in failed)


def test_submission_without_escrow_key_is_refused_cleanly(make_staff: Any) -> None:
    from vault.exceptions import NotSetUp

    with pytest.raises(NotSetUp):
        services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=[])
    assert not Case.objects.exists()


def test_a_failed_submission_does_not_spend_its_token(intake_staff: IntakeStaff) -> None:
    from intake.models import SubmissionToken

    exe = upload("laporan.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    data = valid(WbsReportForm, wbs_post(submission_token="t-1"))
    with pytest.raises(services.SubmissionRejected):
        services.submit_wbs_report(data=data, attachments=[exe])
    assert not SubmissionToken.objects.exists()
    services.submit_wbs_report(data=data, attachments=[])
    assert SubmissionToken.objects.count() == 1 and "t-1" not in SubmissionToken.objects.get().digest
    with pytest.raises(services.AlreadySubmitted):
        services.submit_wbs_report(data=data, attachments=[])
    assert Case.objects.count() == 1


def test_spent_tokens_are_purged_by_the_hourly_housekeeping_after_two_days() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from intake.models import SubmissionToken
    from intake.tasks import housekeeping

    now = timezone.now()
    SubmissionToken.objects.create(digest="old", used_at=now - timedelta(days=2, minutes=1))
    SubmissionToken.objects.create(digest="recent", used_at=now - timedelta(days=1))
    assert housekeeping()["spent_tokens"] == 1
    assert list(SubmissionToken.objects.values_list("digest", flat=True)) == ["recent"]


def test_the_roster_carries_the_escrow_public_key_a_submission_seals_to(
    intake_staff: IntakeStaff, settings: Any
) -> None:
    from intake.recipients import forget_roster, roster

    settings.PELUIT_RECIPIENT_CACHE_SECONDS = 60
    forget_roster()
    kept = roster()
    assert kept.escrow_public == vault.escrow_public_key()
    submission = services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=[])
    escrow = vault.escrow_keyring_for(keyring=intake_staff.keyring(intake_staff.supervisor))
    assert sealed.open_content(access=escrow, case=submission.case)["title"] == wbs_post()["title"]


def test_before_the_escrow_key_exists_the_roster_has_none_and_a_submission_is_refused(db: Any, settings: Any) -> None:
    from intake.recipients import forget_roster, roster
    from vault.exceptions import NotSetUp

    settings.PELUIT_RECIPIENT_CACHE_SECONDS = 60
    forget_roster()
    assert roster().escrow_public is None
    with pytest.raises(NotSetUp):
        services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=[])
    assert not Case.objects.exists()


def test_the_organisations_are_kept_and_an_inactive_one_is_refused_once_read_again(
    db: Any, settings: Any, django_assert_num_queries: Any
) -> None:
    from casework.models import Organisation
    from intake.forms import forget_recent_organisations

    settings.PELUIT_RULES_CACHE_SECONDS = settings.PELUIT_RECIPIENT_CACHE_SECONDS = 60
    forget_recent_organisations()
    assert WbsReportForm(wbs_post()).is_valid()
    with django_assert_num_queries(0):
        form = WbsReportForm(wbs_post())
        assert form.is_valid() and form.cleaned_data["organisation"].code == wbs_post()["organisation"]
    Organisation.objects.filter(code=wbs_post()["organisation"]).update(active=False)
    forget_recent_organisations()
    with translation.override("id"):
        form = WbsReportForm(wbs_post())
        assert not form.is_valid()
        assert form.errors["organisation"] == [
            str(WbsReportForm.base_fields["organisation"].error_messages["invalid_choice"])
        ]
    unknown = WbsReportForm(wbs_post(organisation="no-such-unit"))
    assert not unknown.is_valid() and "organisation" in unknown.errors


def test_the_recipient_roster_is_kept_for_its_lifetime_and_exclusions_apply_on_every_submission(
    intake_staff: IntakeStaff, make_staff: Any, settings: Any, django_assert_num_queries: Any
) -> None:
    from intake.recipients import forget_roster, roster

    second_supervisor = make_staff(Role.SUPERVISOR, username="kepala2")
    assert vault.has_officer_key(user=second_supervisor)
    settings.PELUIT_RECIPIENT_CACHE_SECONDS = 60
    forget_roster()
    first = roster()
    with django_assert_num_queries(0):
        assert roster() is first
    # Officers may be excluded by name, but new reports are sealed to the supervisors only.
    assert {intake_staff.officer.pk, intake_staff.other_officer.pk, second_supervisor.pk} <= first.candidate_ids()
    assert {key.staff_id for key in first.keys} == {intake_staff.supervisor.pk, second_supervisor.pk}
    supervisor = intake_staff.supervisor
    assert supervisor.pk not in {k.staff_id for k in first.keys_without([supervisor.pk])}
    submission = services.submit_wbs_report(
        data=valid(WbsReportForm, wbs_post(exclude_recipients=[str(supervisor.pk)])), attachments=[]
    )
    with pytest.raises(AccessDenied):
        sealed.open_content(access=intake_staff.keyring(supervisor), case=submission.case)
    with pytest.raises(AccessDenied):
        sealed.open_content(access=intake_staff.keyring(intake_staff.officer), case=submission.case)
    assert sealed.open_content(access=intake_staff.keyring(second_supervisor), case=submission.case)
    second_supervisor.is_active = False
    second_supervisor.save()
    assert roster() is first, "kept for its lifetime"
    forget_roster()
    assert second_supervisor.pk not in {key.staff_id for key in roster().keys}


@pytest.mark.django_db(transaction=True)
def test_every_file_is_encrypted_before_the_write_transaction(
    reference_data: None, intake_staff: IntakeStaff, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slow work never runs inside a write transaction: the first submission's files and a follow-up's alike."""
    from django.db import connection

    from vault import attachments

    inside: list[bool] = []
    encrypt = attachments.encrypt_to_storage

    def watched(**kwargs: Any) -> int:
        inside.append(connection.in_atomic_block)
        return encrypt(**kwargs)

    monkeypatch.setattr(attachments, "encrypt_to_storage", watched)
    files = [upload("foto.jpg", jpeg_with_gps()), upload("surat.pdf", pdf_with_author())]
    submission = services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=files)
    access = vault.followup_resume(cookie_value=services.followup_login(receipt=submission.formatted_receipt))
    added = services.add_reporter_attachment(
        access=access, attachments=[upload("lagi.pdf", pdf_with_author()), upload("lagi.jpg", jpeg_with_gps())]
    )
    assert inside == [False] * 4, inside
    assert [a.pk is not None for a in added] == [True, True]
    assert submission.case.attachments.count() == 4 and AttachmentBlob.objects.count() == 4
    events = AuditEvent.objects.filter(action="intake.reporter_attachment").count()
    assert events == 2


@pytest.mark.django_db(transaction=True)
def test_a_followup_whose_transaction_fails_leaves_no_blob(
    reference_data: None, intake_staff: IntakeStaff, monkeypatch: pytest.MonkeyPatch
) -> None:
    submission = services.submit_wbs_report(data=valid(WbsReportForm, wbs_post()), attachments=[])
    access = vault.followup_resume(cookie_value=services.followup_login(receipt=submission.formatted_receipt))
    before = media_files()

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("injected fault")

    monkeypatch.setattr(sealed, "save_attachments", broken)
    with pytest.raises(RuntimeError):
        services.add_reporter_attachment(access=access, attachments=[upload("lagi.pdf", pdf_with_author())])
    assert not AttachmentBlob.objects.exists() and media_files() == before
    assert not AuditEvent.objects.filter(action="intake.reporter_attachment").exists()


def test_the_roster_read_as_compiled_sql_equals_the_orm_read_through_staff_changes(
    intake_staff: IntakeStaff, make_staff: Any
) -> None:
    """``_read_roster`` runs statements compiled once per process: every staff change must still show, as the
    ORM's own read of the same querysets shows it."""
    from django.contrib.auth.models import Group, Permission

    from intake.recipients import (
        _read_roster,
        _roster_statements,
        intake_recipient_candidates,
        intake_recipients,
    )

    def by_orm() -> tuple[Any, Any]:
        candidates = tuple((user.pk, user.get_full_name() or user.username) for user in intake_recipient_candidates())
        return candidates, tuple(vault.recipient_keys(users=intake_recipients()))

    def check() -> None:
        read = _read_roster()
        assert (read.candidates, read.keys) == by_orm()

    _roster_statements.cache_clear()
    check()
    second = make_staff(Role.SUPERVISOR, username="kepala2")  # a new supervisor with a key, without a name
    check()
    assert second.pk in _read_roster().candidate_ids() and ("kepala2" in dict(_read_roster().candidates).values())
    second.first_name = "Ayu"
    second.save()
    check()
    intake_staff.supervisor.is_active = False  # deactivated
    intake_staff.supervisor.save()
    check()
    assert intake_staff.supervisor.pk not in {key.staff_id for key in _read_roster().keys}
    group = Group.objects.get(user=second)  # the supervisors' role loses the right to hold case keys
    group.permissions.remove(Permission.objects.get(codename=HOLD_CASE_KEYS.split(".")[1]))
    check()
    assert _read_roster().keys == ()
    second.is_superuser = True  # a superuser holds every permission
    second.save()
    check()
    assert [key.staff_id for key in _read_roster().keys] == [second.pk]
    assert _roster_statements.cache_info().misses == 1  # compiled once for all of these
