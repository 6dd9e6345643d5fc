"""Reporter pages through Django's test client: forms, receipt page, follow-up inbox, cookies."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from casework.models import Case, CaseMessage
from tests.intake.conftest import IntakeStaff, gratification_post, jpeg_with_gps, pdf_with_author, upload, wbs_post
from vault.followup import FOLLOWUP_COOKIE

pytestmark = pytest.mark.django_db
RECEIPT = re.compile(r"<code>(\d{4} \d{4} \d{4} \d{4})</code>")


def submit_wbs(client: Client, prefix: str = "/en", **overrides: Any) -> Any:
    return client.post(f"{prefix}/report/wbs/", wbs_post(**overrides))


def receipt_of(response: Any) -> str:
    match = RECEIPT.search(response.content.decode())
    assert match, response.content.decode()[:2000]
    return match.group(1)


def test_landing_page_links_everything_and_loads_nothing_from_elsewhere(client: Client) -> None:
    response = client.get("/en/")
    html = response.content.decode()
    assert response.status_code == 200
    for path in ("/en/report/wbs/", "/en/report/gratification/", "/en/follow/"):
        assert f'href="{path}"' in html
    assert "Tor Browser" in html and "working days" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"
    assert set(response.cookies) <= {"peluit_csrf"}
    assert client.head("/").status_code == 200


def test_landing_page_promises_the_time_limits_the_rules_table_enforces(client: Client) -> None:
    """An inspectorate that changes a deadline rule in the table sees the public page follow it."""
    from casework.workflow.models import DeadlineRule

    DeadlineRule.objects.filter(code="ADUAN_TIDAK_BERKADAR").update(amount=13)
    DeadlineRule.objects.filter(code="GRAT_LAPOR_UPG").update(amount=4)
    html = client.get("/en/").content.decode()
    assert "answered within 13 working days" in html
    assert "to the UPG within 4 working days" in html


def test_wbs_form_lists_intake_recipients_by_name(client: Client, intake_staff: IntakeStaff) -> None:
    html = client.get("/en/report/wbs/").content.decode()
    assert "Budi Santoso" in html and "Sri Rahayu" in html and 'enctype="multipart/form-data"' in html
    assert "petugas1" not in html  # display names, not usernames


def test_wbs_submission_shows_the_receipt_once(client: Client, intake_staff: IntakeStaff) -> None:
    response = client.post(
        "/en/report/wbs/",
        {**wbs_post(), "attachments": [upload("foto.jpg", jpeg_with_gps()), upload("doc.pdf", pdf_with_author())]},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    receipt = receipt_of(response)
    case = Case.objects.get()
    assert case.number in response.content.decode() and case.attachments.count() == 2
    assert "cannot be recovered" in response.content.decode()
    assert set(response.cookies) <= {"peluit_csrf"}
    # The receipt is nowhere in the database.
    assert receipt.replace(" ", "") not in str(list(AuditEvent.objects.values_list("details", flat=True)))


def test_invalid_wbs_report_gets_field_messages_and_stores_nothing(client: Client, intake_staff: IntakeStaff) -> None:
    response = submit_wbs(client, title="", identity_nik="12345", estimated_loss="-5", when_date="2999-01-01")
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html
    assert "A NIK has exactly 16 digits." in html
    assert "This date is in the future." in html
    assert "greater than or equal to 0" in html
    assert not Case.objects.exists()


def test_indonesian_is_the_default_language(client: Client, intake_staff: IntakeStaff) -> None:
    response = submit_wbs(client, prefix="", identity_nik="12345")
    assert response.status_code == 400
    assert "NIK terdiri atas tepat 16 angka." in response.content.decode()


def test_wrong_file_type_is_refused_with_a_message(client: Client, intake_staff: IntakeStaff) -> None:
    exe = upload("laporan.pdf", b"MZ\x90\x00" + b"\x00" * 300)
    response = client.post("/en/report/wbs/", {**wbs_post(), "attachments": [exe]})
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert not Case.objects.exists()


def test_empty_file_is_refused(client: Client, intake_staff: IntakeStaff) -> None:
    response = client.post("/en/report/wbs/", {**wbs_post(), "attachments": [upload("empty.pdf", b"")]})
    assert response.status_code == 400 and not Case.objects.exists()


def test_gratification_future_date_and_bad_nik(client: Client, intake_staff: IntakeStaff) -> None:
    response = client.post(
        "/en/report/gratification/", gratification_post(received_on="2999-01-01", recipient_nik="12ab")
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "This date is in the future." in html and "A NIK has exactly 16 digits." in html
    assert not Case.objects.exists()


def test_gratification_submission_shows_exemption_warning(client: Client, intake_staff: IntakeStaff) -> None:
    post = gratification_post(occasion="pernikahan", value="900000", giver_relationship="lainnya")
    response = client.post("/en/report/gratification/", post)
    assert response.status_code == 200
    assert "may be exempt" in response.content.decode()
    assert Case.objects.get().number.startswith("GRT-")


def test_followup_walk(client: Client, intake_staff: IntakeStaff) -> None:
    receipt = receipt_of(submit_wbs(client))

    wrong = client.post("/en/follow/", {"receipt": "0000 0000 0000 0000"})
    assert wrong.status_code == 400 and "not valid" in wrong.content.decode()
    assert FOLLOWUP_COOKIE not in wrong.cookies

    login = client.post("/en/follow/", {"receipt": receipt})
    assert login.status_code == 302 and login["Location"] == "/en/follow/inbox/"
    cookie = login.cookies[FOLLOWUP_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/en/follow/"
    assert set(login.cookies) == {FOLLOWUP_COOKIE}

    inbox = client.get("/en/follow/inbox/")
    html = inbox.content.decode()
    assert inbox.status_code == 200 and "Inspektorat" in html and "Received" in html
    assert "Budi" not in html and "Sri Rahayu" not in html

    reply = client.post("/en/follow/reply/", {"body": "Saya punya bukti tambahan."})
    assert reply.status_code == 302
    empty_reply = client.post("/en/follow/reply/", {"body": ""})
    assert empty_reply.status_code == 400
    attach = client.post("/en/follow/attach/", {"attachments": [upload("b.pdf", pdf_with_author())]})
    assert attach.status_code == 302
    html = client.get("/en/follow/inbox/?sent=1").content.decode()
    assert "Saya punya bukti tambahan." in html and "b.pdf" in html
    assert CaseMessage.objects.filter(sender="reporter").count() == 1

    logout = client.post("/en/follow/logout/")
    assert logout.status_code == 302 and logout.cookies[FOLLOWUP_COOKIE].value == ""
    client.cookies[FOLLOWUP_COOKIE] = cookie.value  # a replayed cookie no longer works
    again = client.get("/en/follow/inbox/")
    assert again.status_code == 302 and "expired=1" in again["Location"]


def test_inbox_without_cookie_redirects_to_login(client: Client) -> None:
    response = client.get("/en/follow/inbox/")
    assert response.status_code == 302 and response["Location"] == "/en/follow/"
    assert client.post("/en/follow/reply/", {"body": "x"}).status_code == 302


def test_receipt_attempts_are_throttled(client: Client, intake_staff: IntakeStaff, settings: Any) -> None:
    settings.PELUIT_THROTTLE_RECEIPT_PER_ADDRESS = (2, 600)
    codes = [client.post("/en/follow/", {"receipt": "1111 2222 3333 4444"}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]


def test_a_resent_form_files_no_second_report(client: Client, intake_staff: IntakeStaff) -> None:
    form_page = client.get("/en/report/wbs/").content.decode()
    token = re.search(r'name="submission_token" value="([^"]+)"', form_page)
    assert token, "the form carries a one-time token"
    post = {**wbs_post(), "submission_token": token.group(1)}
    assert client.post("/en/report/wbs/", post).status_code == 200
    again = client.post("/en/report/wbs/", post)  # the browser's "resend" after reloading the receipt page
    assert again.status_code == 409 and "already been sent" in again.content.decode()
    assert Case.objects.count() == 1
    assert token.group(1) not in client.get("/en/report/wbs/").content.decode()  # each form gets a new one
    assert 'href="/en/report/wbs/"' in again.content.decode()  # a way on: a new, empty form


def test_a_resent_gratification_form_links_to_a_new_gratification_form(
    client: Client, intake_staff: IntakeStaff
) -> None:
    post = {**gratification_post(), "submission_token": "t" * 43}
    assert client.post("/report/gratification/", post).status_code == 200
    again = client.post("/report/gratification/", post)
    assert again.status_code == 409 and 'href="/report/gratification/"' in again.content.decode()


def test_adding_no_file_says_so(client: Client, intake_staff: IntakeStaff) -> None:
    receipt = receipt_of(submit_wbs(client))
    assert client.post("/en/follow/", {"receipt": receipt}).status_code == 302
    response = client.post("/en/follow/attach/", {})
    html = response.content.decode()
    assert response.status_code == 400 and "Choose at least one file" in html
    assert "Your files have been added" not in html
    assert not Case.objects.get().attachments.exists()


def test_gratification_form_marks_phone_or_email_as_required(client: Client, intake_staff: IntakeStaff) -> None:
    html = client.get("/en/report/gratification/").content.decode()
    for name in ("phone_mobile", "email"):
        field = re.search(rf'<div class="field[^"]*">\s*<label for="id_{name}">(.*?)</div>', html, re.S)
        assert field, name
        assert "required-one" in field.group(0) and "mobile phone or an e-mail address" in field.group(1)


@pytest.mark.parametrize(
    ("prefix", "message"),
    [("", "Token sekali pakai formulir ini rusak"), ("/en", "This form&#x27;s one-time token is damaged")],
)
def test_a_damaged_form_token_is_said_above_the_form_and_nothing_is_saved(
    client: Client, intake_staff: IntakeStaff, prefix: str, message: str
) -> None:
    # The token is a hidden field: its error must be shown, not only counted (a 400 with no visible reason).
    response = submit_wbs(client, prefix, submission_token="t" * 65)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'id="id_submission_token_error"' in page
    assert not Case.objects.exists() and not AuditEvent.objects.filter(action="intake.report_submitted").exists()
