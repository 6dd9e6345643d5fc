"""Reports received by other channels (issue 11 item 8): an officer records them in the console with the web's
own forms; they are cleaned, sealed and numbered like a web report, the channel is recorded, the receipt is
shown once for printing, and the audit log names the channel and the officer."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from audit.actions import Action
from audit.models import AuditEvent
from casework.cases import sealed
from casework.models import Case, CaseKind
from casework.staff.roles import Role
from tests.intake.conftest import IntakeStaff, gratification_post, jpeg_with_gps, upload, wbs_post
from tests.support.assignment import assign_officers
from tests.support.staff import login
from vault import services as vault

pytestmark = pytest.mark.django_db

RECEIPT = re.compile(r"<code>(\d{4} \d{4} \d{4} \d{4})</code>")
WHAT = "Penelepon melaporkan pungutan Rp50.000 untuk pengurusan KTP di kelurahan Kanaritelepon."


@pytest.fixture(autouse=True)
def _default_language_afterwards() -> Iterator[None]:
    yield
    translation.deactivate()


def officer_client(user: Any) -> Client:
    client = Client()
    login(client, user)
    return client


def channel(name: str = "phone", day: Any = None) -> dict[str, str]:
    return {"received-channel": name, "received-received_on": (day or timezone.localdate()).isoformat()}


def receipt_of(response: Any) -> str:
    found = RECEIPT.search(response.content.decode())
    assert found, response.content.decode()[:3000]
    return found.group(1).replace(" ", "")


def test_an_officer_records_a_phone_report_like_a_web_report(intake_staff: IntakeStaff) -> None:
    client = officer_client(intake_staff.officer)
    page = client.get("/console/record/wbs/").content.decode()
    assert 'name="received-channel"' in page and 'name="what"' in page and 'name="submission_token"' in page
    assert "Rekam laporan" in page and 'value="web"' not in page and 'value="phone"' in page
    photo = upload("foto.jpg", jpeg_with_gps(), "image/jpeg")
    response = client.post("/console/record/wbs/", {**wbs_post(what=WHAT), **channel("phone"), "attachments": [photo]})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert 'id="receipt-slip"' in html and "Telepon" in html
    receipt = receipt_of(response)
    case = Case.objects.get()
    assert case.channel == "phone" and case.kind == CaseKind.WBS and case.number in html
    assert WHAT.encode() not in bytes(case.content)  # sealed like any report
    access = vault.reporter_access(receipt=receipt)  # the receipt the officer passes on opens exactly this report
    assert access.report_id == case.pk
    assert sealed.open_content(access=access, case=case)["what"] == WHAT
    photo_bytes = b"".join(sealed.open_attachment_content(access=access, attachment=case.attachments.get()))
    assert b"CanaryCam" not in photo_bytes  # cleaned like a web upload
    event = AuditEvent.objects.get(action=Action.REPORT_SUBMITTED.value)
    assert event.actor_staff_id == intake_staff.officer.pk and event.case_ref == case.number
    assert event.details_dict["channel"] == "phone"
    assert event.details_dict["received_on"] == timezone.localdate().isoformat()
    # The reporter follows up with the receipt like anyone else.
    reporter = Client()
    followed = reporter.post("/follow/", {"receipt": receipt})
    assert followed.status_code == 302
    assert case.number in reporter.get("/follow/inbox/").content.decode()


def test_a_letter_received_days_ago_counts_from_its_day(intake_staff: IntakeStaff) -> None:
    client = officer_client(intake_staff.supervisor)
    day = timezone.localdate() - timedelta(days=3)
    response = client.post("/console/record/gratification/", {**gratification_post(), **channel("letter", day)})
    assert response.status_code == 200, response.content.decode()[:3000]
    case = Case.objects.get()
    assert case.kind == CaseKind.GRATIFICATION and case.channel == "letter"
    assert timezone.localdate(case.received_at) == day
    assert day.strftime("%d-%m-%Y") in response.content.decode()
    assert case.number.startswith(f"GRT-{day.year}-")
    first = case.messages.get()  # the acknowledgement names the day of receipt, not the day of recording
    assert day.strftime("%d-%m-%Y") in sealed.open_message(
        access=intake_staff.keyring(intake_staff.supervisor), message=first
    )


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({**wbs_post(what=""), **channel()}, "what", "This field is required."),
        (
            {**wbs_post(), "received-received_on": timezone.localdate().isoformat()},
            "received-channel",
            "This field is required.",
        ),
        ({**wbs_post(), **channel("web")}, "received-channel", "Select a valid choice."),
        (
            {**wbs_post(), **channel("phone", timezone.localdate() + timedelta(days=1))},
            "received-received_on",
            "cannot be in the future",
        ),
        (
            {**wbs_post(), **channel("phone", timezone.localdate() - timedelta(days=91))},
            "received-received_on",
            "more than 90 days ago",
        ),
        ({**wbs_post(identity_nik="123"), **channel()}, "identity_nik", "A NIK has exactly 16 digits."),
    ],
)
def test_bad_input_is_refused_with_the_webs_messages_and_nothing_is_stored(
    intake_staff: IntakeStaff, post: dict[str, Any], field: str, message: str
) -> None:
    client = officer_client(intake_staff.officer)
    response = client.post("/en/console/record/wbs/", post)
    html = response.content.decode()
    assert response.status_code == 400 and message in html, html[:3000]
    assert f'id="id_{field}_error"' in html
    assert Case.objects.count() == 0
    assert not AuditEvent.objects.filter(action=Action.REPORT_SUBMITTED.value).exists()


def test_the_same_form_sent_twice_records_one_report(intake_staff: IntakeStaff) -> None:
    client = officer_client(intake_staff.officer)
    post = {**wbs_post(submission_token="token-" + "x" * 40), **channel("email")}
    assert client.post("/console/record/wbs/", post).status_code == 200
    again = client.post("/console/record/wbs/", post)
    assert again.status_code == 409 and Case.objects.count() == 1


def test_the_reporters_exclusions_are_kept(intake_staff: IntakeStaff) -> None:
    client = officer_client(intake_staff.officer)
    post = {**wbs_post(exclude_recipients=[str(intake_staff.other_officer.pk)]), **channel("in_person")}
    assert client.post("/console/record/wbs/", post).status_code == 200
    case = Case.objects.get()
    # Like a web report, it is sealed to the supervisors; the recording officer holds it once assigned.
    assert vault.holds_report(user=intake_staff.supervisor, report_id=case.pk)
    assert not vault.holds_report(user=intake_staff.officer, report_id=case.pk)
    assign_officers(case)  # every officer the reporter did not exclude
    assert not vault.holds_report(user=intake_staff.other_officer, report_id=case.pk)
    assert vault.holds_report(user=intake_staff.officer, report_id=case.pk)
    assert list(case.excluded_recipients.all()) == [intake_staff.other_officer]


def test_only_case_handlers_record_reports(intake_staff: IntakeStaff, make_staff: Any) -> None:
    anonymous = Client()
    response = anonymous.get("/console/record/wbs/")
    assert response.status_code == 302 and "/auth/login/" in response["Location"]
    assert anonymous.post("/console/record/wbs/", {**wbs_post(), **channel()}).status_code == 302
    for role in (Role.AUDITOR, Role.ADMIN):
        client = officer_client(make_staff(role, username=f"r-{role}"))
        assert client.get("/console/record/").status_code == 403
        assert client.post("/console/record/wbs/", {**wbs_post(), **channel()}).status_code == 403
    assert Case.objects.count() == 0


def test_the_receipt_is_kept_nowhere(intake_staff: IntakeStaff, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = officer_client(intake_staff.officer)
    response = client.post("/console/record/wbs/", {**wbs_post(what=WHAT), **channel("fax")})
    receipt = receipt_of(response)
    assert receipt not in caplog.text and "Kanaritelepon" not in caplog.text
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the database itself
            for row in cursor.fetchall():
                flat = " ".join(str(value) for value in row)
                assert receipt not in flat and "Kanaritelepon" not in flat, table


def test_the_start_page_offers_both_kinds_and_the_nav_links_it(intake_staff: IntakeStaff) -> None:
    client = officer_client(intake_staff.officer)
    page = client.get("/console/record/").content.decode()
    assert 'href="/console/record/wbs/"' in page and 'href="/console/record/gratification/"' in page
    assert 'href="/console/record/"' in client.get("/console/").content.decode()
