"""The case pages of the console: queue, one case opened, downloads, replies, grants, and every refusal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases import sealed
from casework.models import Case, CaseAttachment, CaseMessage, StaffUser
from casework.staff.roles import Role
from intake import services as intake_services
from intake.forms import WbsReportForm
from tests.intake.conftest import IntakeStaff, create_intake_staff, jpeg_with_gps, upload, wbs_post
from tests.support.assignment import assign_officers
from tests.support.pages import without_number
from tests.support.staff import login
from vault import services as vault
from vault.console import console_cookies

pytestmark = pytest.mark.django_db

WHAT = "Petugas loket meminta uang pelicin Rp75.000 untuk surat domisili."
IDENTITY_CANARY = "Siti Pelapor Kanari"


@pytest.fixture(autouse=True)
def _default_language_afterwards() -> Iterator[None]:
    """Requests to /en/ leave English active in this thread (LocaleMiddleware); later tests expect the default."""
    yield
    translation.deactivate()


@pytest.fixture
def staff(make_staff: Any) -> IntakeStaff:
    """kepala (supervisor, escrow holder), petugas1 (Budi Santoso) and petugas2 (officers)."""
    return create_intake_staff(make_staff)


def submit(*, files: bool = True, assign: bool = True, **overrides: Any) -> intake_services.Submission:
    """File a WBS report through the intake service, as the form would (with a JPEG by default).

    A new report reaches the supervisors; with ``assign`` the first supervisor (holding the escrow key) then
    puts every officer the reporter did not exclude on its team, as triage would.
    """
    form = WbsReportForm(wbs_post(what=WHAT, **overrides))
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    attachments = [upload("foto-lokasi.jpg", jpeg_with_gps(), "image/jpeg")] if files else []
    submission = intake_services.submit_wbs_report(data=data, attachments=attachments)
    if assign:
        assign_officers(submission.case)
    return submission


def events(action: Action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action.value).order_by("seq"))


def url(case: Case, suffix: str = "", *, lang: str = "") -> str:
    prefix = f"/{lang}" if lang else ""
    return f"{prefix}/console/cases/{case.number}/{suffix}"


def logged_in(user: StaffUser) -> Client:
    client = Client()
    login(client, user)
    return client


# --- Lists -------------------------------------------------------------------------------------------------
def test_officer_lists_only_the_cases_they_hold(staff: IntakeStaff) -> None:
    shared = submit(files=False).case
    hidden = submit(files=False, exclude_recipients=[str(staff.other_officer.pk)]).case
    response = logged_in(staff.other_officer).get("/console/cases/")
    assert response.status_code == 200
    html = response.content.decode()
    assert shared.number in html and hidden.number not in html
    assert WHAT not in html  # metadata only


def test_supervisor_sees_every_case_newest_first_with_due_date_and_filters(staff: IntakeStaff) -> None:
    first = submit(files=False, exclude_recipients=[str(staff.supervisor.pk)]).case
    second = submit(files=False).case
    # Reports of the same hour have no order (their numbers do not count); the second came an hour later.
    Case.objects.filter(pk=second.pk).update(received_at=F("received_at") + timedelta(hours=1))
    second.refresh_from_db()
    client = logged_in(staff.supervisor)
    html = client.get("/console/cases/").content.decode()
    assert html.index(second.number) < html.index(first.number)
    from casework.cases.selectors import queue_due_date

    due = queue_due_date(second)
    assert due is not None and due.strftime("%d-%m-%Y") in html
    assert "Antrean telaah awal" in html
    assert second.number not in client.get("/console/cases/?kind=gratification").content.decode()
    assert second.number in client.get("/console/cases/?kind=wbs&status=diterima").content.decode()
    assert second.number not in client.get("/console/cases/?status=selesai").content.decode()
    bad = client.get("/console/cases/?kind=nonsense&page=x")  # a bad filter is named and left out
    assert bad.status_code == 400 and second.number in bad.content.decode()
    assert "Masukkan pilihan yang valid. nonsense bukan salah satu" in bad.content.decode()


def test_unread_reporter_messages_are_counted_until_an_officer_opens_the_case(staff: IntakeStaff) -> None:
    submission = submit(files=False)
    access = intake_services.open_followup(receipt=submission.receipt)
    intake_services.post_reporter_message(access=access, body="Ada saksi lain.")
    client = logged_in(staff.officer)
    assert '<td class="unread"><strong>1</strong></td>' in client.get("/console/cases/").content.decode()
    client.get(url(submission.case))
    assert '<td class="unread">0</td>' in client.get("/console/cases/").content.decode()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_auditors_and_admins_get_403_and_no_content(staff: IntakeStaff, make_staff: Any, role: Role) -> None:
    submission = submit()
    case = submission.case
    attachment = case.attachments.get()
    client = logged_in(make_staff(role))
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    for path in ("/console/cases/", url(case), url(case, f"files/{attachment.pk}/")):
        response = client.get(path)
        assert response.status_code == 403, path
        assert WHAT.encode() not in response.content
    for suffix in ("reply/", "grant/", "revoke/", "regrant/"):
        assert client.post(url(case, suffix), {"body": "x", "officer": staff.officer.pk}).status_code == 403
    # Every refusal is audited (issue 9.12), and nothing else happened.
    written = AuditEvent.objects.filter(seq__gt=before)
    assert written.count() == 7 and {e.action for e in written} == {Action.CONSOLE_ACCESS_DENIED.value}
    assert case.messages.count() == 1  # only the acknowledgement


# --- One case ----------------------------------------------------------------------------------------------
def test_officer_reads_the_report_with_the_intake_labels_in_both_languages(staff: IntakeStaff) -> None:
    case = submit(identity_name=IDENTITY_CANARY).case
    client = logged_in(staff.officer)
    response = client.get(url(case))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert WHAT in html and "Judul singkat laporan" in html and "Apa yang terjadi?" in html
    assert "Pungutan liar" in html  # the violation type's label, from the form's choices
    assert "Kecamatan Tembalang" in html  # the organisation's name
    assert "foto-lokasi.jpg" in html and "image/jpeg" in html
    assert IDENTITY_CANARY not in html  # identity is sealed apart; only that it was given is shown
    assert 'id="identity"' in html and "ya" in html.split('id="identity"')[1][:200]
    english = client.get(url(case, lang="en")).content.decode()
    assert "Short title of the report" in english and "What happened?" in english and WHAT in english
    assert "Reporter identity given: yes" in english


def test_opening_a_case_is_audited_once_per_request(staff: IntakeStaff) -> None:
    case = submit().case
    client = logged_in(staff.officer)
    client.get(url(case))
    unsealed = events(Action.REPORT_UNSEALED)
    assert len(unsealed) == 1
    assert unsealed[0].case_ref == case.number and unsealed[0].actor_username == staff.officer.username
    client.get(url(case))
    assert len(events(Action.REPORT_UNSEALED)) == 2


def test_attachment_download_streams_the_cleaned_bytes(staff: IntakeStaff) -> None:
    submission = submit()
    attachment = submission.case.attachments.get()
    expected = b"".join(
        sealed.open_attachment_content(access=vault.reporter_access(receipt=submission.receipt), attachment=attachment)
    )
    response = logged_in(staff.officer).get(url(submission.case, f"files/{attachment.pk}/"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="foto-lokasi.jpg"'
    assert response["Cache-Control"] == "no-store" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/jpeg"
    body = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert body == expected and len(body) == int(response["Content-Length"])
    assert attachment.size is None  # the size is sealed with the name, not kept in clear
    assert b"CanaryCam" not in body  # the EXIF camera model was cleaned away before sealing
    unsealed = events(Action.REPORT_UNSEALED)  # the download is audited like any opening, once
    assert len(unsealed) == 1 and unsealed[0].case_ref == submission.case.number


def test_metadata_not_removed_is_flagged(staff: IntakeStaff) -> None:
    case = submit().case
    client = logged_in(staff.officer)
    assert "metadata-flag" not in client.get(url(case)).content.decode()
    CaseAttachment.objects.filter(case=case).update(metadata_removed=False)
    html = client.get(url(case, lang="en")).content.decode()
    assert 'class="error metadata-flag">sent as it is by the reporter: could not be cleaned' in html


def test_thread_shows_which_officer_wrote_to_staff_only(staff: IntakeStaff) -> None:
    submission = submit(files=False)
    client = logged_in(staff.officer)
    response = client.post(url(submission.case, "reply/"), {"body": "Mohon sebutkan nama saksi."})
    assert response.status_code == 302 and response["Location"] == url(submission.case)
    html = client.get(url(submission.case, lang="en")).content.decode()
    assert "Mohon sebutkan nama saksi." in html and "written by Budi Santoso" in html and "automatic" in html
    # The reporter reads it signed "Inspektorat", never with the officer's name.
    access = intake_services.open_followup(receipt=submission.receipt)
    view = intake_services.followup_overview(access=access)
    reply = view.messages[-1]
    assert reply.body == "Mohon sebutkan nama saksi." and reply.sender == "Inspektorat"


def test_reply_is_sealed_audited_and_confirmed_in_both_languages(staff: IntakeStaff) -> None:
    case = submit(files=False).case
    client = logged_in(staff.officer)
    response = client.post(url(case, "reply/"), {"body": "Terima kasih."}, follow=True)
    assert "Pesan Anda telah dikirim kepada pelapor." in response.content.decode()
    response = client.post(url(case, "reply/", lang="en"), {"body": "Thank you."}, follow=True)
    assert "Your message has been sent to the reporter." in response.content.decode()
    replies = CaseMessage.objects.filter(case=case, author=staff.officer)
    assert replies.count() == 2
    assert all(b"Terima" not in bytes(m.body) for m in replies)  # stored sealed
    written = events(Action.INSPECTORATE_MESSAGE)
    assert len(written) == 2 and written[0].case_ref == case.number
    assert "Terima" not in written[0].details


def test_empty_reply_is_refused_and_changes_nothing(staff: IntakeStaff) -> None:
    case = submit(files=False).case
    client = logged_in(staff.officer)
    response = client.post(url(case, "reply/", lang="en"), {"body": "   "})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert case.messages.count() == 1 and not events(Action.INSPECTORATE_MESSAGE)


# --- Errors ------------------------------------------------------------------------------------------------
def test_case_not_held_is_403_with_a_clear_message_and_nothing_unsealed(staff: IntakeStaff) -> None:
    case = submit(exclude_recipients=[str(staff.other_officer.pk)]).case
    attachment = case.attachments.get()
    client = logged_in(staff.other_officer)
    response = client.get(url(case, lang="en"))
    assert response.status_code == 403
    assert "You do not have access to this case." in response.content.decode()
    assert WHAT not in response.content.decode() and "foto-lokasi" not in response.content.decode()
    assert client.get(url(case, f"files/{attachment.pk}/")).status_code == 403
    assert client.post(url(case, "reply/"), {"body": "Halo"}).status_code == 403
    assert not events(Action.REPORT_UNSEALED) and case.messages.count() == 1
    assert "Anda tidak memiliki akses ke kasus ini." in client.get(url(case)).content.decode()


def test_an_unknown_case_answers_as_one_not_held_and_an_unknown_file_is_404(
    staff: IntakeStaff, make_staff: Any
) -> None:
    """Numbers do not count, so "no such case" must not differ from "not yours" (outside probe, stop 29)."""
    case = submit(files=False).case
    client = logged_in(staff.officer)
    assert client.get(url(case, "files/00000000-0000-0000-0000-000000000000/")).status_code == 404
    outsider = make_staff(Role.OFFICER, username="orang_luar")  # holds nothing
    other = logged_in(outsider)
    hidden = other.get(f"/console/cases/{case.number}/")
    unknown = other.get("/console/cases/WBS-2026-999999/")
    assert hidden.status_code == unknown.status_code == 403
    assert without_number(hidden.content, case.number) == without_number(unknown.content, "WBS-2026-999999")
    # The same below a case's page: a file that does not exist, of a hidden case and of no case.
    bogus = "files/00000000-0000-0000-0000-000000000000/"
    hidden_file = other.get(f"/console/cases/{case.number}/{bogus}")
    unknown_file = other.get(f"/console/cases/WBS-2026-999999/{bogus}")
    assert hidden_file.status_code == unknown_file.status_code == 403
    assert without_number(hidden_file.content, case.number) == without_number(unknown_file.content, "WBS-2026-999999")
    denied = AuditEvent.objects.filter(action=Action.CONSOLE_ACCESS_DENIED, actor_username=outsider.username)
    assert set(denied.values_list("case_ref", flat=True)) == {case.number, "WBS-2026-999999"}
    # Whoever may list every case gets the plain 404: every number is theirs to see.
    assert logged_in(staff.supervisor).get("/console/cases/WBS-2026-999999/").status_code == 404


def test_missing_vault_cookie_counts_as_logged_out(staff: IntakeStaff) -> None:
    case = submit().case
    attachment = case.attachments.get()
    client = logged_in(staff.officer)
    for name, _path in console_cookies():
        del client.cookies[name]
    response = client.get(url(case, lang="en"))
    assert response.status_code == 302 and "/auth/login/" in response["Location"]
    assert client.get(url(case, f"files/{attachment.pk}/"))["Location"].startswith("/auth/login/")
    assert client.post(url(case, "reply/"), {"body": "Halo"})["Location"] == "/auth/login/"
    assert not events(Action.REPORT_UNSEALED) and case.messages.count() == 1


def test_broken_session_half_of_the_key_asks_to_log_in_again(staff: IntakeStaff) -> None:
    from vault.console import SESSION_KEY

    case = submit().case
    attachment = case.attachments.get()
    client = logged_in(staff.officer)
    session = client.session
    del session[SESSION_KEY]  # the cookie still fits the session, but the key is gone
    session.save()
    response = client.get(url(case, lang="en"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Please log in again" in html and WHAT not in html
    assert client.get(url(case, f"files/{attachment.pk}/")).status_code == 403
    assert client.post(url(case, "reply/"), {"body": "Halo"}).status_code == 403
    assert "Silakan masuk lagi" in client.get(url(case)).content.decode()
    assert not events(Action.REPORT_UNSEALED) and case.messages.count() == 1
    denied = events(Action.CONSOLE_ACCESS_DENIED)
    assert denied and {e.details_dict["reason"] for e in denied} == {"vault_locked"}


def test_a_locked_console_asks_holders_to_log_in_again_and_denies_anyone_else(staff: IntakeStaff) -> None:
    from vault.console import SESSION_KEY

    case = submit(exclude_recipients=[str(staff.other_officer.pk)]).case
    for user, status, text in (
        (staff.officer, 403, "Please log in again"),
        (staff.other_officer, 403, "You do not have access to this case."),
    ):
        client = logged_in(user)
        session = client.session
        del session[SESSION_KEY]
        session.save()
        response = client.get(url(case, lang="en"))
        assert response.status_code == status and text in response.content.decode(), user
    reasons = [e.details_dict["reason"] for e in events(Action.CONSOLE_ACCESS_DENIED)]
    assert reasons == ["vault_locked", "case_not_held"]
    assert not events(Action.REPORT_UNSEALED)


# --- Cost of the case page ------------------------------------------------------------------------------------
# What the case page may cost in queries, whatever the number of cases and however often it was opened: the
# session, user, second factor and permissions, the case, its key, the unseal event, messages, files, the
# access, handling and lifecycle panels (issue 14.3: 39-45 before, at 100,000 cases 115 ms p95 on PostgreSQL).
CASE_PAGE_QUERIES = 32


def _page_queries(client: Client, case: Case) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url(case))
    assert response.status_code == 200
    return [query["sql"] for query in context.captured_queries]


def test_the_case_page_costs_a_bounded_number_of_queries_however_often_it_was_opened(staff: IntakeStaff) -> None:
    case = submit().case
    client = logged_in(staff.officer)
    first = _page_queries(client, case)
    for _ in range(5):
        client.get(url(case))
    later = _page_queries(client, case)
    assert len(later) == len(first) <= CASE_PAGE_QUERIES, (len(first), len(later))
    # Every opening adds a routine unseal event; the timeline's query leaves them in the database.
    routine = AuditEvent.objects.filter(case_ref=case.number, action=Action.REPORT_UNSEALED.value)
    assert routine.count() == 7
    timeline = [sql for sql in later if sql.startswith("SELECT") and 'ORDER BY "audit_auditevent"."seq" DESC' in sql]
    assert len(timeline) == 1, timeline
    with connection.cursor() as cursor:
        cursor.execute(timeline[0])
        read = cursor.fetchall()
    actions = {row[0] for row in AuditEvent.objects.filter(case_ref=case.number).values_list("action")}
    assert Action.REPORT_UNSEALED.value in actions and 0 < len(read) < len(actions) + 7
    assert not any(Action.REPORT_UNSEALED.value in str(row) for row in read)
    # Nothing sealed of another case is read: only this case's row carries its content.
    assert sum('"casework_case"."content"' in sql for sql in later) == 1


def test_the_access_panel_offers_the_staff_it_lists(staff: IntakeStaff, make_staff: Any) -> None:
    case = submit(files=False).case
    newcomer = make_staff(Role.OFFICER, username="petugas3")
    html = logged_in(staff.officer).get(url(case)).content.decode()
    grant = html.split('id="grant"')[1].split("</form>")[0]
    assert f'<option value="{newcomer.pk}">' in grant and f'value="{staff.officer.pk}"' not in grant
    assert 'id="revoke"' not in html  # supervisors only
    head = Client()
    login(head, staff.supervisor, offset_steps=1)
    page = head.get(url(case)).content.decode()
    revoke = page.split('id="revoke"')[1].split("</form>")[0]
    for holder in vault.granted_officer_ids(report_id=case.id):
        assert f'<option value="{holder}">' in revoke
    assert f'value="{newcomer.pk}"' not in revoke


# --- Grants ------------------------------------------------------------------------------------------------
def test_officer_grants_a_case_they_hold(staff: IntakeStaff, make_staff: Any) -> None:
    case = submit(files=False).case
    newcomer = make_staff(Role.OFFICER, username="petugas3")
    client = logged_in(staff.officer)
    response = client.post(url(case, "grant/"), {"officer": newcomer.pk})
    assert response.status_code == 302
    assert newcomer.pk in vault.granted_officer_ids(report_id=case.id)
    granted = events(Action.CASE_GRANTED)[-1]
    assert granted.actor_username == staff.officer.username and granted.case_ref == case.number
    assert logged_in(newcomer).get(url(case)).status_code == 200


def test_grant_refuses_excluded_staff_and_non_readers(staff: IntakeStaff, make_staff: Any) -> None:
    case = submit(files=False, exclude_recipients=[str(staff.other_officer.pk)]).case
    auditor = make_staff(Role.AUDITOR)
    client = logged_in(staff.officer)
    before = len(events(Action.CASE_GRANTED))
    for person in (staff.other_officer, auditor):
        response = client.post(url(case, "grant/", lang="en"), {"officer": person.pk}, follow=True)
        assert "Choose a staff member from the list." in response.content.decode()
    assert staff.other_officer.pk not in vault.granted_officer_ids(report_id=case.id)
    assert len(events(Action.CASE_GRANTED)) == before


def test_case_services_refuse_with_a_message(staff: IntakeStaff) -> None:
    from casework.cases.services import CaseActionRefused, case_grant, case_revoke

    case = submit(files=False, exclude_recipients=[str(staff.other_officer.pk)]).case
    with pytest.raises(CaseActionRefused, match="tidak membaca laporan ini"):
        case_grant(case=case, keyring=staff.keyring(staff.officer), officer=staff.other_officer)
    with translation.override("en"), pytest.raises(CaseActionRefused, match="must not read"):
        case_grant(case=case, keyring=staff.keyring(staff.officer), officer=staff.other_officer)
    with translation.override("en"), pytest.raises(CaseActionRefused, match="already has access"):
        case_grant(case=case, keyring=staff.keyring(staff.officer), officer=staff.supervisor)
    with translation.override("en"), pytest.raises(CaseActionRefused, match="Only a supervisor"):
        case_revoke(case=case, officer=staff.supervisor, revoked_by=staff.officer)


def test_supervisor_revokes_and_the_officer_loses_access(staff: IntakeStaff) -> None:
    case = submit(files=False).case
    response = logged_in(staff.supervisor).post(url(case, "revoke/"), {"officer": staff.officer.pk})
    assert response.status_code == 302
    revoked = events(Action.CASE_REVOKED)
    assert len(revoked) == 1 and revoked[0].actor_username == "kepala" and revoked[0].case_ref == case.number
    officer_client = logged_in(staff.officer)
    assert officer_client.get(url(case)).status_code == 403
    assert case.number not in officer_client.get("/console/cases/").content.decode()
    # An officer cannot revoke.
    assert officer_client.post(url(case, "revoke/"), {"officer": staff.supervisor.pk}).status_code == 403


def test_escrow_holder_regrants_a_case_they_do_not_hold(staff: IntakeStaff) -> None:
    case = submit(files=False, exclude_recipients=[str(staff.officer.pk)]).case
    vault.revoke_case(report_id=case.id, officer=staff.supervisor)
    client = logged_in(staff.supervisor)
    denied = client.get(url(case, lang="en"))
    assert denied.status_code == 403 and "Re-grant from the escrow key" in denied.content.decode()
    # An officer the reporter excluded is not offered and is refused.
    client.post(url(case, "regrant/"), {"officer": staff.officer.pk})
    assert staff.officer.pk not in vault.granted_officer_ids(report_id=case.id)
    response = client.post(url(case, "regrant/"), {"officer": staff.supervisor.pk})
    assert response.status_code == 302 and response["Location"] == url(case)
    regranted = events(Action.CASE_REGRANTED_BY_ESCROW)
    assert len(regranted) == 1 and regranted[0].case_ref == case.number
    assert client.get(url(case)).status_code == 200


def test_only_the_escrow_holder_may_regrant(staff: IntakeStaff, make_staff: Any) -> None:
    case = submit(files=False).case
    newcomer = make_staff(Role.OFFICER, username="petugas3")
    response = logged_in(staff.officer).post(url(case, "regrant/"), {"officer": newcomer.pk})
    assert response.status_code == 403
    assert not events(Action.CASE_REGRANTED_BY_ESCROW)


# --- Home page ---------------------------------------------------------------------------------------------
def test_home_lists_my_cases_and_the_triage_queue(staff: IntakeStaff) -> None:
    case = submit(files=False).case
    officer_home = logged_in(staff.officer).get("/console/").content.decode()
    assert 'id="my-cases"' in officer_home and case.number in officer_home
    assert "escrow-warning" not in officer_home
    supervisor = logged_in(staff.supervisor)
    supervisor_home = supervisor.get("/en/console/").content.decode()
    assert 'id="triage-queue"' in supervisor_home and case.number in supervisor_home
    assert "All 1 case" in supervisor_home
    # The only holder, no recovery sheet printed yet: the holder is warned.
    assert vault.escrow_status().at_risk and 'id="escrow-warning"' in supervisor_home
    vault.escrow_issue_recovery(escrow=vault.escrow_keyring_for(keyring=staff.keyring(staff.supervisor)))
    assert "escrow-warning" not in supervisor.get("/console/").content.decode()


def test_home_without_cases_keeps_the_placeholder(staff: IntakeStaff) -> None:
    html = logged_in(staff.officer).get("/en/console/").content.decode()
    assert "No cases have been granted to you yet." in html


def test_gratification_case_shows_the_kpk_form_fields(staff: IntakeStaff) -> None:
    from intake.forms import GratificationReportForm
    from tests.intake.conftest import gratification_post

    form = GratificationReportForm(gratification_post(handed_to_upg="no", compensation_willing="yes"))
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    case = intake_services.submit_gratification_report(data=data, attachments=[]).case
    assign_officers(case)
    html = logged_in(staff.officer).get(url(case, lang="en")).content.decode()
    fields = html.split('id="report-content"')[1].split("</dl>")[0]
    assert "<dt>Full name</dt>" in fields and "Rina Penerima" in fields  # the law requires the recipient's name
    assert "Hamper" in fields and "Religious holiday" in fields  # choices shown by their labels
    assert "Contractor, supplier or business partner" in fields
    assert "10-03-2026" in fields  # dates as the console shows them
    assert ">Yes<" in fields and ">No<" in fields  # compensation willing, handed to the UPG
    assert "Dinas Kesehatan" in fields
    assert "Language of the report" in fields
