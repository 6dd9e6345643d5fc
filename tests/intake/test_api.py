"""The JSON API: same forms and services as the pages, receipt in a header, localised errors, no CSRF/cookies."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import jsonschema_rs
import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from casework.models import Case, CaseMessage
from intake.form_schema import not_after_pattern
from tests.intake.conftest import IntakeStaff, gratification_post, jpeg_with_gps, pdf_with_author, upload, wbs_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_client() -> Client:
    """A client that enforces CSRF like a browser would; the API must not need a token."""
    return Client(enforce_csrf_checks=True)


def submit(client: Client, kind: str, data: dict[str, Any], **headers: str) -> Any:
    return client.post(f"/api/v1/reports/{kind}", data, headers=headers)


def test_openapi_document_lists_the_operations(api_client: Client, intake_staff: IntakeStaff) -> None:
    doc = api_client.get("/api/v1/openapi.json").json()
    operations = {op["operationId"]: op for item in doc["paths"].values() for op in item.values()}
    assert {"submit_wbs_report", "submit_gratification_report", "get_followup"} <= set(operations)
    wbs_body = operations["submit_wbs_report"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert wbs_body["properties"]["attachments"]["items"]["format"] == "binary"
    assert "kecamatan-tembalang" in wbs_body["properties"]["organisation"]["enum"]
    assert {"title", "violation_type", "what"} <= set(wbs_body["required"])
    grat_body = operations["submit_gratification_report"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert grat_body["properties"]["recipient_nik"]["maxLength"] == 16
    header = operations["get_followup"]["parameters"][0]
    assert header["name"] == "X-Peluit-Receipt" and header["in"] == "header"
    for op in operations.values():
        assert "400" in op["responses"]
    assert api_client.get("/api/v1/docs").status_code == 404  # no CDN-loading docs page


def test_submit_wbs_with_files_then_follow_up(api_client: Client, intake_staff: IntakeStaff) -> None:
    files = [upload("foto.jpg", jpeg_with_gps()), upload("doc.pdf", pdf_with_author())]
    response = submit(api_client, "wbs", {**wbs_post(), "attachments": files})
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"\d{16}", body["receipt"]) and body["case_number"].startswith("WBS-")
    assert body["receipt_formatted"].replace(" ", "") == body["receipt"]
    assert not response.cookies
    case = Case.objects.get()
    assert case.attachments.count() == 2

    headers = {"X-Peluit-Receipt": body["receipt_formatted"], "Accept-Language": "en"}
    status = api_client.get("/api/v1/followup", headers=headers)
    assert status.status_code == 200
    data = status.json()
    assert data["case_number"] == case.number and data["status"] == "received"
    assert data["messages"][0]["sender"] == "Inspektorat" and not data["messages"][0]["from_reporter"]
    assert sorted(a["name"] for a in data["attachments"]) == ["doc.pdf", "foto.jpg"]

    reply = api_client.post(
        "/api/v1/followup/messages", {"body": "Tambahan info"}, content_type="application/json", headers=headers
    )
    assert reply.status_code == 201 and reply.json()["messages"][-1]["body"] == "Tambahan info"
    added = api_client.post(
        "/api/v1/followup/attachments", {"attachments": [upload("lagi.pdf", pdf_with_author())]}, headers=headers
    )
    assert added.status_code == 201 and len(added.json()["attachments"]) == 3
    assert CaseMessage.objects.filter(sender="reporter").count() == 1
    logins = AuditEvent.objects.filter(action="intake.followup_login", case_ref=case.number)
    assert logins.count() == 3


def test_intake_recipients_are_listed_for_exclusion(api_client: Client, intake_staff: IntakeStaff) -> None:
    listed = api_client.get("/api/v1/reports/recipients").json()
    assert {"id": intake_staff.officer.pk, "name": "Budi Santoso"} in listed and len(listed) == 3
    excluded = intake_staff.other_officer.pk
    response = submit(api_client, "wbs", {**wbs_post(), "exclude_recipients": [str(excluded)]})
    assert response.status_code == 201
    assert list(Case.objects.get().excluded_recipients.values_list("pk", flat=True)) == [excluded]


def test_submit_gratification_returns_warnings(api_client: Client, intake_staff: IntakeStaff) -> None:
    post = gratification_post(occasion="musibah", value="500000", giver_relationship="lainnya")
    response = submit(api_client, "gratification", post, **{"Accept-Language": "en"})
    assert response.status_code == 201, response.content
    assert response.json()["case_number"].startswith("GRT-") and "may be exempt" in response.json()["warnings"][0]


def test_errors_follow_accept_language(api_client: Client, intake_staff: IntakeStaff) -> None:
    english = submit(api_client, "wbs", wbs_post(title=""), **{"Accept-Language": "en"})
    assert english.status_code == 400
    assert english.json()["errors"]["title"] == ["This field is required."]
    indonesian = submit(api_client, "wbs", wbs_post(title=""))
    assert indonesian.status_code == 400
    assert indonesian.json()["errors"]["title"] == ["Bidang ini tidak boleh kosong."]
    assert not Case.objects.exists()


def test_bad_gratification_input(api_client: Client, intake_staff: IntakeStaff) -> None:
    response = submit(
        api_client,
        "gratification",
        gratification_post(received_on="2999-12-31", recipient_nik="123", value="-1"),
        **{"Accept-Language": "en"},
    )
    errors = response.json()["errors"]
    assert response.status_code == 400
    assert errors["received_on"] == ["This date is in the future."]
    assert errors["recipient_nik"] == ["A NIK has exactly 16 digits."]
    assert "value" in errors
    assert not Case.objects.exists()


def test_renamed_executable_is_refused(api_client: Client, intake_staff: IntakeStaff) -> None:
    exe = upload("invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 500)
    response = submit(api_client, "wbs", {**wbs_post(), "attachments": [exe]}, **{"Accept-Language": "en"})
    assert response.status_code == 400 and response.json()["errors"]["attachments"]
    assert not Case.objects.exists()


def test_wrong_receipt(api_client: Client, intake_staff: IntakeStaff) -> None:
    for headers in ({"X-Peluit-Receipt": "1234"}, {"X-Peluit-Receipt": "1111 2222 3333 4444"}):
        response = api_client.get("/api/v1/followup", headers={**headers, "Accept-Language": "en"})
        assert response.status_code == 403 and "receipt" in response.json()["detail"]
    assert AuditEvent.objects.filter(action="intake.followup_failed").count() == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/followup"), ("post", "/api/v1/followup/attachments"), ("post", "/api/v1/followup/messages")],
)
def test_missing_receipt_header_is_a_401_of_its_own(
    api_client: Client, intake_staff: IntakeStaff, method: str, path: str
) -> None:
    for headers in ({}, {"X-Peluit-Receipt": "  "}):
        kwargs: dict[str, Any] = {"headers": {**headers, "Accept-Language": "en"}}
        if path.endswith("messages"):
            kwargs.update(data={"body": "halo"}, content_type="application/json")
        response = getattr(api_client, method)(path, **kwargs)
        assert response.status_code == 401, response.content
        assert "X-Peluit-Receipt" in response.json()["detail"] and "not valid" not in response.json()["detail"]
        assert response["WWW-Authenticate"]
    assert not AuditEvent.objects.filter(action="intake.followup_failed").exists()  # not a guess at a receipt
    assert "401" in api_client.get("/api/v1/openapi.json").json()["paths"][path][method]["responses"]


def test_adding_no_file_is_a_400(api_client: Client, intake_staff: IntakeStaff) -> None:
    receipt = submit(api_client, "wbs", wbs_post()).json()["receipt"]
    headers = {"X-Peluit-Receipt": receipt, "Accept-Language": "en"}
    for body in ({}, {"attachments": []}):
        response = api_client.post("/api/v1/followup/attachments", body, headers=headers)
        assert response.status_code == 400, response.content
        assert "Choose at least one file" in response.json()["errors"]["attachments"][0]
    assert not Case.objects.get().attachments.exists()
    assert not AuditEvent.objects.filter(action="intake.reporter_attachment").exists()


def test_broken_bodies_get_400(api_client: Client, intake_staff: IntakeStaff) -> None:
    broken = api_client.post(
        "/api/v1/reports/wbs",
        b'--xx\r\nContent-Disposition: form-data; name="title"\r\n\r\nabc',
        content_type="multipart/form-data; boundary=xx",
    )
    assert broken.status_code == 400
    not_json = api_client.post(
        "/api/v1/followup/messages", "{", content_type="application/json", headers={"X-Peluit-Receipt": "1"}
    )
    assert not_json.status_code == 400 and not_json.json()["detail"]


def test_receipt_attempts_are_throttled(api_client: Client, intake_staff: IntakeStaff, settings: Any) -> None:
    settings.PELUIT_THROTTLE_RECEIPT_PER_ADDRESS = (2, 600)
    headers = {"X-Peluit-Receipt": "1111 2222 3333 4444"}
    codes = [api_client.get("/api/v1/followup", headers=headers).status_code for _ in range(3)]
    assert codes == [403, 403, 429]


def test_submission_token_makes_the_api_idempotent(api_client: Client, intake_staff: IntakeStaff) -> None:
    post = {**wbs_post(), "submission_token": "client-chosen-0001"}
    assert submit(api_client, "wbs", post).status_code == 201
    again = submit(api_client, "wbs", post, **{"Accept-Language": "en"})
    assert again.status_code == 409 and "already been sent" in again.json()["detail"]
    assert Case.objects.count() == 1


def test_openapi_document_states_what_the_forms_refuse(api_client: Client, intake_staff: IntakeStaff) -> None:
    """Schema-valid requests must not be refused for reasons the document could have stated (schemathesis ST202)."""
    doc = api_client.get("/api/v1/openapi.json").json()
    operations = {op["operationId"]: op for item in doc["paths"].values() for op in item.values()}

    def body(op: str) -> dict[str, Any]:
        return operations[op]["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]

    def matches(schema: dict[str, Any], value: str) -> bool:
        return re.search(schema["pattern"], value) is not None

    nik = body("submit_gratification_report")["recipient_nik"]
    assert matches(nik, "3374010101800001") and not matches(nik, "0") and not matches(nik, "12345678901234ab")
    optional_nik = body("submit_wbs_report")["identity_nik"]
    assert matches(optional_nik, "") and matches(optional_nik, "3374010101800001") and not matches(optional_nik, "1")
    title = body("submit_wbs_report")["title"]
    assert matches(title, "Pungli") and not matches(title, "  \t ") and not matches(title, "a\x00b")
    assert "uniqueItems" not in body("submit_wbs_report")["exclude_recipients"]  # repeated ids are accepted
    reply = doc["components"]["schemas"]["ReplyIn"]["properties"]["body"]
    assert reply["minLength"] == 1 and reply["maxLength"] == 10_000
    assert matches(reply, "Terima kasih") and not matches(reply, "   ")


def test_repeated_excluded_recipient_is_accepted(api_client: Client, intake_staff: IntakeStaff) -> None:
    officer = intake_staff.officer.pk
    response = submit(api_client, "wbs", {**wbs_post(), "exclude_recipients": [str(officer), str(officer)]})
    assert response.status_code == 201, response.content


def test_openapi_document_allows_optional_dates_and_emails_to_be_empty(
    api_client: Client, intake_staff: IntakeStaff
) -> None:
    """An empty optional date or e-mail is accepted, so the document must not call it format-violating (ST201)."""
    doc = api_client.get("/api/v1/openapi.json").json()
    operations = {op["operationId"]: op for item in doc["paths"].values() for op in item.values()}
    wbs = operations["submit_wbs_report"]["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    grt = operations["submit_gratification_report"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    for prop in (wbs["when_date"], wbs["identity_email"], grt["properties"]["handed_on"]):
        assert {"type": "string", "maxLength": 0} in prop["anyOf"], prop
    assert grt["properties"]["received_on"]["format"] == "date"  # required: no empty alternative
    assert re.search(wbs["estimated_loss"]["pattern"], "") and not re.search(grt["properties"]["value"]["pattern"], "")
    response = submit(api_client, "wbs", {**wbs_post(), "when_date": "", "identity_email": ""})
    assert response.status_code == 201, response.content


def test_openapi_document_states_the_gratification_cross_field_rules(
    api_client: Client, intake_staff: IntakeStaff
) -> None:
    """Each rule the form checks across fields is in the document: a schema-valid body is not refused for it."""
    doc = api_client.get("/api/v1/openapi.json").json()
    operations = {op["operationId"]: op for item in doc["paths"].values() for op in item.values()}
    schema = operations["submit_gratification_report"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    validator = jsonschema_rs.validator_for(schema)
    cases = [
        ({"phone_mobile": ""}, False),
        ({"phone_mobile": "", "email": "rina@example.org"}, True),
        ({"sk_delivery": "home"}, False),
        ({"sk_delivery": "home", "home_address": "   "}, False),
        ({"sk_delivery": "home", "home_address": "Jl. Pemuda 1"}, True),
        ({"sk_delivery": "email"}, False),
        ({"sk_delivery": "email", "email": "rina@example.org"}, True),
        ({"handed_to_upg": "yes"}, False),
        ({"handed_to_upg": "yes", "handed_on": "2026-03-11"}, True),
    ]
    for overrides, schema_valid in cases:
        body = gratification_post(**overrides)
        assert validator.is_valid(body) is schema_valid, overrides
        response = submit(api_client, "gratification", body)
        assert (response.status_code == 201) is schema_valid, (overrides, response.content)


@pytest.mark.parametrize("today", [date(2026, 11, 28), date(2026, 1, 1), date(2000, 3, 9), date(1999, 12, 31)])
def test_not_after_pattern_matches_exactly_the_dates_up_to_today(today: date) -> None:
    pattern = re.compile(not_after_pattern(today))
    samples = [today + timedelta(days=delta) for delta in (-800, -400, -40, -31, -1, 0, 1, 2, 31, 40, 400)]
    samples += [date(1, 1, 1), date(9, 9, 9), date(99, 1, 1), date(999, 12, 31), date(1945, 8, 17), date(9999, 12, 31)]
    for day in samples:
        assert bool(pattern.match(day.isoformat())) is (day <= today), day
    assert not pattern.match("0000-01-01")  # no such year: the form refuses it


def test_openapi_document_says_dates_are_not_in_the_future(api_client: Client, intake_staff: IntakeStaff) -> None:
    doc = api_client.get("/api/v1/openapi.json").json()
    operations = {op["operationId"]: op for item in doc["paths"].values() for op in item.values()}
    wbs = operations["submit_wbs_report"]["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    grt = operations["submit_gratification_report"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    today = timezone.localdate()
    for dated in (wbs["when_date"]["anyOf"][1], grt["properties"]["received_on"], grt["properties"]["birth_date"]):
        assert re.match(dated["pattern"], today.isoformat())
        assert not re.match(dated["pattern"], (today + timedelta(days=1)).isoformat())


def test_attachments_sent_as_text_are_refused_and_nothing_is_stored(
    api_client: Client, intake_staff: IntakeStaff
) -> None:
    response = submit(api_client, "wbs", {**wbs_post(), "attachments": "not a file"}, **{"Accept-Language": "en"})
    assert response.status_code == 400
    assert "as files" in response.json()["errors"]["attachments"][0]
    assert not Case.objects.exists()
    response = submit(api_client, "gratification", {**gratification_post(), "attachments": ""})
    assert response.status_code == 400 and "sebagai berkas" in response.json()["errors"]["attachments"][0]
    assert not Case.objects.exists()


def test_text_fields_sent_as_files_are_refused_and_nothing_is_stored(
    api_client: Client, intake_staff: IntakeStaff
) -> None:
    """A field sent as a file part would be dropped by the form: an exclusion would silently not apply."""
    excluded = str(intake_staff.supervisor.pk)
    for field, value in (("exclude_recipients", excluded), ("organisation", wbs_post()["organisation"])):
        data = {key: item for key, item in wbs_post().items() if key != field}
        response = submit(
            api_client, "wbs", {**data, field: upload("x.txt", value.encode())}, **{"Accept-Language": "en"}
        )
        assert response.status_code == 400, response.content
        assert "as text" in response.json()["errors"][field][0]
    response = submit(api_client, "gratification", {**gratification_post(), "value": upload("v.txt", b"1")})
    assert response.status_code == 400 and "sebagai teks" in response.json()["errors"]["value"][0]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"abc"),  # no boundary
        ("multipart/form-data; boundary=", b"--\r\n"),  # empty boundary
    ],
)
def test_broken_multipart_gets_a_json_400_and_nothing_is_stored(
    api_client: Client, intake_staff: IntakeStaff, content_type: str, body: bytes
) -> None:
    for path in ("/api/v1/reports/wbs", "/api/v1/reports/gratification"):
        response = api_client.post(path, body, content_type=content_type, headers={"Accept-Language": "en"})
        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/json"), response.content[:200]
        assert "could not be understood" in response.json()["detail"]
    assert not Case.objects.exists()


def test_a_submission_costs_a_small_fixed_number_of_statements(
    api_client: Client, intake_staff: IntakeStaff, settings: Any
) -> None:
    """Statements per API submission, once the per-process roster and rules are warm (docs/reliability.md):
    one read (the receipt collision check), then one transaction of 10 statements. The organisations, the
    escrow key, the recipients and the rules are kept per process."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.PELUIT_RECIPIENT_CACHE_SECONDS = 60
    settings.PELUIT_RULES_CACHE_SECONDS = 60
    assert api_client.post("/api/v1/reports/wbs", wbs_post(submission_token="warm-" + "x" * 40)).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = api_client.post("/api/v1/reports/wbs", wbs_post(submission_token="second-" + "y" * 40))
    assert response.status_code == 201, response.content
    # The test runs inside a transaction of its own, so the submission's transaction is its one savepoint.
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements.count("SAVEPOINT") == 1, queries.captured_queries
    begin = statements.index("SAVEPOINT")
    assert statements[:begin] == ["SELECT"], queries.captured_queries  # the receipt collision check
    inside = [s for s in statements[begin + 1 :] if s != "RELEASE"]
    # Token, case number, case, keys, receipt key, clocks, message, the audit tail and its insert; PostgreSQL
    # takes the audit writer lock with one more statement (SQLite's is the transaction's own).
    assert len(inside) <= 10, queries.captured_queries


def test_a_token_over_64_characters_is_refused_with_its_reason(api_client: Client, intake_staff: IntakeStaff) -> None:
    response = submit(api_client, "wbs", {**wbs_post(), "submission_token": "t" * 65}, **{"Accept-Language": "en"})
    assert response.status_code == 400
    # Told to a program what to send, not (as the page tells a person) to open the form again.
    assert response.json()["errors"]["submission_token"] == [
        "submission_token may be at most 64 characters (a one-time value the client chooses, for example 32 "
        "random URL-safe characters). Nothing has been saved."
    ]
    indonesian = submit(api_client, "wbs", {**wbs_post(), "submission_token": "t" * 65}, **{"Accept-Language": "id"})
    assert "paling banyak 64 karakter" in indonesian.json()["errors"]["submission_token"][0]
    assert Case.objects.count() == 0


def test_a_gift_received_before_the_recipients_birth_is_refused(api_client: Client, intake_staff: IntakeStaff) -> None:
    """A clear message on the field, nothing stored (second outside probe, stop 29)."""
    body = gratification_post(received_on="1970-01-01", birth_date="1980-01-01")
    response = submit(api_client, "gratification", body)
    assert response.status_code == 400
    assert "tanggal lahir" in response.json()["errors"]["received_on"][0]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"), [({}, "Bidang ini tidak boleh kosong."), ({"body": 5}, "Masukkan nilai yang valid.")]
)
def test_a_message_the_schema_refuses_names_its_field(api_client: Client, body: dict[str, Any], message: str) -> None:
    """Not only "the request could not be understood": which field, and why (second outside probe, stop 29)."""
    response = api_client.post(
        "/api/v1/followup/messages", body, content_type="application/json", headers={"X-Peluit-Receipt": "1" * 16}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"body": [message]}
