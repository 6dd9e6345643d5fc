"""One reading of a case's thread for both readers: staff see who wrote, the reporter never does; opening a
thread writes nothing, marking it read is its own service call."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from django.test import Client

from casework.cases.services import case_reply, mark_thread_read
from casework.cases.threads import Reader, open_thread
from casework.models import CaseMessage
from intake import services as intake_services
from intake.forms import WbsReportForm
from tests.intake.conftest import IntakeStaff, wbs_post
from tests.support.assignment import assign_officers
from tests.support.staff import login

pytestmark = pytest.mark.django_db
QUESTION = "Siapa saksi yang melihat kejadian itu?"


def submit() -> intake_services.Submission:
    form = WbsReportForm(wbs_post())
    assert form.is_valid(), form.errors
    data = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
    submission = intake_services.submit_wbs_report(data=data, attachments=[])
    assign_officers(submission.case)  # new reports reach the supervisors; triage assigns the officers
    return submission


def officer_names(staff: IntakeStaff) -> list[str]:
    officer = staff.officer
    return [officer.username, officer.first_name, officer.last_name, officer.get_full_name()]


def test_the_reporter_never_gets_an_officers_name(intake_staff: IntakeStaff) -> None:
    submission = submit()
    case_reply(case=submission.case, keyring=intake_staff.keyring(intake_staff.officer), body=QUESTION)
    access = intake_services.open_followup(receipt=submission.receipt)

    thread = open_thread(access=access, case=submission.case, reader=Reader.REPORTER)
    assert [m.body for m in thread.messages][-1] == QUESTION
    assert all(m.author is None for m in thread.messages)
    assert {m.sender for m in thread.messages} == {"Inspektorat"}
    text = json.dumps([dataclasses.asdict(m) for m in thread.messages], default=str)
    assert not [name for name in officer_names(intake_staff) if name in text]

    # Nor through the pages and the API built on it.
    overview = intake_services.followup_overview(access=access)
    assert all(m.author is None for m in overview.messages)
    api = Client().get("/api/v1/followup", headers={"X-Peluit-Receipt": submission.receipt})
    assert api.status_code == 200 and QUESTION in api.content.decode()
    assert not [name for name in officer_names(intake_staff) if name in api.content.decode()]


def test_staff_see_which_officer_wrote(intake_staff: IntakeStaff) -> None:
    submission = submit()
    keyring = intake_staff.keyring(intake_staff.officer)
    case_reply(case=submission.case, keyring=keyring, body=QUESTION)
    thread = open_thread(access=keyring, case=submission.case, reader=Reader.STAFF)
    acknowledgement, reply = thread.messages
    assert acknowledgement.author is None  # automatic
    assert reply.author == intake_staff.officer and reply.sender == "Inspektorat"


@pytest.mark.parametrize("reader", list(Reader))
def test_opening_writes_nothing_and_marking_read_is_its_own_call(intake_staff: IntakeStaff, reader: Reader) -> None:
    submission = submit()
    case = submission.case
    keyring = intake_staff.keyring(intake_staff.officer)
    access = intake_services.open_followup(receipt=submission.receipt)
    intake_services.post_reporter_message(access=access, body="Saksinya pemohon lain.")
    case_reply(case=case, keyring=keyring, body=QUESTION)
    reader_access: Any = keyring if reader is Reader.STAFF else access

    def flags() -> list[tuple[bool, bool]]:
        return list(CaseMessage.objects.filter(case=case).values_list("read_by_staff", "read_by_reporter"))

    before = flags()
    thread = open_thread(access=reader_access, case=case, reader=reader)
    assert flags() == before  # reading wrote nothing
    assert len(thread.unread_ids) == (1 if reader is Reader.STAFF else 2)  # reporter: acknowledgement + reply

    late = case_reply(case=case, keyring=keyring, body="Pesan yang datang sesudahnya.")
    if reader is Reader.STAFF:
        late = intake_services.post_reporter_message(access=access, body="Pesan yang datang sesudahnya.")
    assert mark_thread_read(thread=thread) == len(thread.unread_ids)

    again = open_thread(access=reader_access, case=case, reader=reader)
    assert [m.id for m in again.messages if m.unread] == [late.id]  # what was not shown stays new


def test_pages_mark_what_they_showed(intake_staff: IntakeStaff) -> None:
    submission = submit()
    access = intake_services.open_followup(receipt=submission.receipt)
    intake_services.post_reporter_message(access=access, body="Saksinya pemohon lain.")
    client = Client()
    login(client, intake_staff.officer)
    assert client.get(f"/console/cases/{submission.case.number}/").status_code == 200
    assert CaseMessage.objects.get(sender=CaseMessage.Sender.REPORTER).read_by_staff
