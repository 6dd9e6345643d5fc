"""Issue 11.6: internal notes (sealed like messages, never shown to the reporter, never in the API), one timeline
per case mixing events, messages and notes, and links between related cases both ways."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import record as audit_record
from casework.cases.assignment import case_assign
from casework.cases.services import CaseActionRefused, case_reply
from casework.cases.threads import Reader, open_thread
from casework.handling import notes
from casework.handling.models import CaseLink, CaseNote
from casework.handling.timeline import case_timeline
from intake import services as intake_services
from tests.audit.helpers import skip_unless, stop_database_for, tamper
from tests.casework.handling.conftest import Staff, case_url, file_report, logged_in
from vault import services as vault

pytestmark = pytest.mark.django_db
NOTE = "Catatan internal: saksi kunci adalah bendahara, jangan dihubungi lewat kantor."


def assigned(staff: Staff, **overrides: object) -> intake_services.Submission:
    submission = file_report(**overrides)
    case_assign(
        case=submission.case,
        officer=staff.officer,
        lead=True,
        assigned_by=staff.supervisor,
        keyring=staff.keyring(staff.supervisor),
    )
    return submission


def test_a_note_is_sealed_audited_without_its_text_and_shown_to_staff(staff: Staff) -> None:
    submission = assigned(staff)
    case = submission.case
    client = logged_in(staff.officer)
    response = client.post(case_url(case, "notes/"), {"note-body": NOTE}, follow=True)
    assert response.status_code == 200 and "Catatan telah ditambahkan." in response.content.decode()
    note = CaseNote.objects.get()
    assert note.author == staff.officer and NOTE.encode() not in bytes(note.body)
    added = AuditEvent.objects.get(action=Action.NOTE_ADDED.value)
    assert added.case_ref == case.number and NOTE not in added.details
    timeline = response.content.decode().split('id="timeline"')[1]
    assert NOTE in timeline and "Catatan internal" in timeline
    # Another holder reads it; a note moved to another case does not open.
    assert NOTE in logged_in(staff.supervisor).get(case_url(case)).content.decode()


def test_the_reporter_never_sees_a_note(staff: Staff) -> None:
    submission = assigned(staff)
    notes.case_add_note(case=submission.case, keyring=staff.keyring(staff.officer), body=NOTE)
    access = intake_services.open_followup(receipt=submission.receipt)
    overview = intake_services.followup_overview(access=access)
    assert all(NOTE not in message.body for message in overview.messages)
    thread = open_thread(access=access, case=submission.case, reader=Reader.REPORTER)
    assert all(NOTE not in message.body for message in thread.messages)
    api = Client().get("/api/v1/followup", headers={"X-Peluit-Receipt": submission.receipt})
    assert api.status_code == 200 and NOTE not in api.content.decode() and "Catatan" not in api.content.decode()
    page = Client()
    page.post("/follow/", {"receipt": submission.receipt})
    inbox = page.get("/follow/inbox/")
    assert inbox.status_code == 200 and NOTE not in inbox.content.decode()


def test_bad_notes_are_refused_and_change_nothing(staff: Staff) -> None:
    case = assigned(staff).case
    client = logged_in(staff.officer)
    for body in ("   ", "x" * (notes.MAX_NOTE + 1)):
        response = client.post(case_url(case, "notes/", lang="en"), {"note-body": body}, follow=True)
        assert response.status_code == 200 and 'class="error"' in response.content.decode(), body[:20]
    # Bytes that are no UTF-8 (an encoded lone surrogate) do not make a 500 either.
    raw = client.post(
        case_url(case, "notes/"), b"note-body=%ED%A0%80x", content_type="application/x-www-form-urlencoded", follow=True
    )
    assert raw.status_code == 200
    assert CaseNote.objects.count() <= 1  # the undecodable bytes arrive replaced (U+FFFD), as any text
    CaseNote.objects.all().delete()
    with translation.override("en"), pytest.raises(CaseActionRefused, match="cannot be stored"):
        notes.case_add_note(case=case, keyring=staff.keyring(staff.officer), body="rusak \ud800")
    # Someone who does not hold the case cannot add one (and the refusal is audited).
    other = logged_in(staff.other_officer)
    assert other.post(case_url(case, "notes/"), {"note-body": NOTE}).status_code == 403
    assert not CaseNote.objects.exists()


def test_the_timeline_mixes_events_messages_and_notes_in_order(staff: Staff) -> None:
    submission = assigned(staff)
    case = submission.case
    keyring = staff.keyring(staff.officer)
    case_reply(case=case, keyring=keyring, body="Mohon kirim foto kuitansi.")
    access = intake_services.open_followup(receipt=submission.receipt)
    intake_services.post_reporter_message(access=access, body="Foto menyusul besok.")
    notes.case_add_note(case=case, keyring=keyring, body=NOTE)
    from django.db import transaction

    with transaction.atomic():  # what another workstream's status change writes: an event naming the case
        audit_record(
            action=Action.STAFF_ROLE_CHANGED, actor=staff.supervisor, case_ref=case.number, details={"status": "telaah"}
        )
    with translation.override("en"):
        entries = case_timeline(
            keyring=keyring, case=case, thread=open_thread(access=keyring, case=case, reader=Reader.STAFF)
        )
    kinds = [entry.kind for entry in entries]
    titles = [entry.title for entry in entries]
    # Intake's grants, the first deadline clock and the acknowledgement come with the submission, before the
    # supervisor's assignment; the clocks (the lifecycle's events) are on the timeline too.
    assert "Report submitted" in titles[:5] and "Deadline clock started" in titles[:5]
    assert titles.index("Report submitted") < titles.index("Case assigned")
    assert "Case assigned" in titles and "Case granted" in titles
    assert kinds.count("message") == 3 and kinds.count("note") == 1  # acknowledgement, question, answer
    texts = [entry.text for entry in entries]
    assert texts.index("Mohon kirim foto kuitansi.") < texts.index("Foto menyusul besok.") < texts.index(NOTE)
    assert entries[-1].details == [("status", "telaah")]
    assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)
    # Routine openings are left out; the "message sent" events are the messages themselves.
    assert "Report unsealed" not in titles and "Inspectorate sent a message" not in titles


def test_links_join_two_cases_both_ways(staff: Staff) -> None:
    first = assigned(staff).case
    second = assigned(staff).case
    client = logged_in(staff.officer)
    response = client.post(
        case_url(first, "links/"), {"link-other": second.number.lower(), "link-reason": "same_person"}
    )
    assert response.status_code == 302
    link = CaseLink.objects.get()
    assert {link.case_a, link.case_b} == {first, second}
    for here, there in ((first, second), (second, first)):
        page = client.get(case_url(here)).content.decode()
        assert there.number in page.split('id="links"')[1].split("</section>")[0]
        assert "Terlapor yang sama" in page
        linked = AuditEvent.objects.get(action=Action.CASES_LINKED.value, case_ref=here.number)
        assert linked.details_dict == {"other_case": there.number, "reason": "same_person"}
    # Linking again, to itself, to an unknown number, for a bad reason: refused, nothing changed.
    for data in (
        {"link-other": second.number, "link-reason": "same_person"},
        {"link-other": first.number, "link-reason": "other"},
        {"link-other": "WBS-2026-999999", "link-reason": "other"},
        {"link-other": "nonsense", "link-reason": "other"},
        {"link-other": second.number, "link-reason": "made_up"},
    ):
        response = client.post(case_url(first, "links/"), data, follow=True)
        assert response.status_code == 200 and 'class="error"' in response.content.decode(), data
    assert CaseLink.objects.count() == 1
    client.post(case_url(second, f"links/{link.pk}/remove/"), {"confirm": "on"})
    assert not CaseLink.objects.exists()
    assert AuditEvent.objects.filter(action=Action.CASES_UNLINKED.value).count() == 2


def test_an_officer_cannot_link_to_a_case_they_cannot_see(staff: Staff) -> None:
    mine = assigned(staff).case
    hidden = file_report().case  # held by the supervisors only
    with translation.override("en"), pytest.raises(CaseActionRefused, match="only cases you can see"):
        notes.case_link(case=mine, other=hidden, reason="other", linked_by=staff.officer)
    # Through the form, a case the officer may not see answers as a number nobody has (outside probe, stop 29).
    client = logged_in(staff.officer)
    answers = []
    for number in (hidden.number, "WBS-2026-999999"):
        page = client.post(case_url(mine, "links/"), {"link-other": number, "link-reason": "other"}, follow=True)
        answers.append(page.content.decode().split('class="error"')[1].split("<")[0])
    assert answers[0] == answers[1] and "Tidak ada kasus dengan nomor ini" in answers[0]
    # A supervisor sees every case's metadata and may link them.
    notes.case_link(case=hidden, other=mine, reason="same_organisation", linked_by=staff.supervisor)
    assert CaseLink.objects.count() == 1
    assert vault.holds_report(user=staff.supervisor, report_id=hidden.id)


def test_same_organisation_cases_are_suggested(staff: Staff) -> None:
    first = assigned(staff).case
    second = assigned(staff).case
    elsewhere = assigned(staff, organisation="dinas-kesehatan").case
    page = logged_in(staff.officer).get(case_url(first)).content.decode()
    suggestions = page.split('class="suggestions"')[1].split("</ul>")[0]
    assert second.number in suggestions and elsewhere.number not in suggestions


def test_a_database_dump_holds_no_note_reason_or_identity_text(staff: Staff) -> None:
    """DESIGN invariant 2 for what this workstream stores: notes and disclosure reasons are sealed."""
    import io

    from django.core.management import call_command

    from casework.handling import disclosure

    reason = "Kanari alasan: pelapor adalah saksi kunci."
    submission = assigned(staff)
    keyring = staff.keyring(staff.officer)
    notes.case_add_note(case=submission.case, keyring=keyring, body=NOTE)
    disclosure.disclosure_request(case=submission.case, keyring=keyring, reason=reason)
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    text = dump.getvalue()
    assert "Kanari" not in text and NOTE not in text and "Rahmat Pelapor" not in text
    assert "casework.casenote" in text and "casework.identitydisclosure" in text  # the rows are there, sealed


NOT_READABLE = "tidak terbaca: peristiwa ini telah diubah (jalankan audit_verify)"
EVENTS_UNREADABLE = "Log audit telah diubah: peristiwa kasus ini tidak dapat dibaca."

ALTERED_CASE_EVENTS = [
    # (what is set on the case's "assigned" event, which database, what the timeline shows instead)
    ("at_us = 'abc'", "sqlite", NOT_READABLE),  # SQLite keeps a value of any type: was a 500
    ("at_us = 1000000000000000000", "any", NOT_READABLE),  # year 33658: was a 500
    ("at_us = -1000000000000000000", "any", NOT_READABLE),
    ("at_us = CAST(x'ff' AS TEXT)", "sqlite", EVENTS_UNREADABLE),  # text that is not UTF-8: was the outage 503
    ("details = details || x'ff'", "sqlite", EVENTS_UNREADABLE),
    ("action = CAST(x'ff' AS TEXT)", "sqlite", EVENTS_UNREADABLE),
]


@pytest.mark.parametrize(("change", "vendor", "shown"), ALTERED_CASE_EVENTS)
def test_an_altered_audit_event_is_shown_as_not_readable_on_the_case_page(
    staff: Staff, monkeypatch: pytest.MonkeyPatch, change: str, vendor: str, shown: str
) -> None:
    """Someone with the database edits one of the case's audit events: the case page still answers, the event (or,
    where SQLite cannot read them, the case's events) shown as not readable, first; an unavailable database still
    gives the 503."""
    skip_unless(vendor)
    case = assigned(staff).case
    client = logged_in(staff.officer)
    notes.case_add_note(case=case, keyring=staff.keyring(staff.officer), body=NOTE)  # later events: not the tail
    seq = AuditEvent.objects.get(case_ref=case.number, action=Action.CASE_ASSIGNED.value).seq
    tamper(f"UPDATE audit_auditevent SET {change} WHERE seq = %s", [seq])  # noqa: S608
    response = client.get(case_url(case))
    assert response.status_code == 200
    timeline = response.content.decode().split('id="timeline"')[1].split("</ol>")[0]
    assert shown in timeline and NOTE in timeline  # the messages and notes are still shown
    assert timeline.index(shown) < timeline.index("Pesan kepada pelapor")  # no time: first, where it is seen
    assert "Kasus ditugaskan" not in timeline
    if shown == NOT_READABLE:
        assert "Laporan dikirim" in timeline  # the case's other events are shown as they were written
    stop_database_for(AuditEvent, monkeypatch)
    client.raise_request_exception = False
    stopped = client.get(case_url(case))
    assert stopped.status_code == 503 and stopped["Retry-After"]
