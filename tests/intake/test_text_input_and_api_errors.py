"""Issue 9 item 5: a lone surrogate is a clear 400 (not a 500), and the API answers JSON for every error.

Reproduction: ``{"body": "\\ud800x"}`` posted as a follow-up message raised ``UnicodeEncodeError`` while the
message was sealed (HTTP 500, an HTML page). Oversized or over-long bodies and server errors under ``/api/``
came back as Django's HTML error pages.
"""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test import Client
from django.utils import translation

from casework.models import Case, CaseMessage
from intake import services
from intake.forms import AttachmentForm, GratificationReportForm, ReceiptForm, ReplyForm, WbsReportForm
from tests.intake.conftest import IntakeStaff, wbs_post

pytestmark = pytest.mark.django_db
LONE_SURROGATE = "\ud800x"


@pytest.fixture
def api_client() -> Client:
    """An API client that gets the server's error answer instead of the exception."""
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


def receipt_headers(client: Client) -> dict[str, str]:
    response = client.post("/api/v1/reports/wbs", wbs_post())
    assert response.status_code == 201, response.content
    return {"X-Peluit-Receipt": response.json()["receipt"], "Accept-Language": "en"}


def assert_json(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body: dict[str, Any] = response.json()
    assert body["detail"]
    return body


def test_lone_surrogate_in_a_followup_message_is_a_json_400(api_client: Client, intake_staff: IntakeStaff) -> None:
    headers = receipt_headers(api_client)
    response = api_client.post(
        "/api/v1/followup/messages",
        b'{"body": "\\ud800x"}',  # the JSON escape, exactly as an attacker sends it
        content_type="application/json",
        headers=headers,
    )
    body = assert_json(response, 400)
    assert "cannot be read as text" in body["errors"]["body"][0]
    assert not CaseMessage.objects.filter(sender="reporter").exists()


@pytest.mark.parametrize("form_class", [WbsReportForm, GratificationReportForm, ReplyForm, ReceiptForm])
def test_every_text_field_of_the_reporter_forms_refuses_surrogates(form_class: type[forms.Form]) -> None:
    text_fields = [name for name, field in form_class.base_fields.items() if isinstance(field, forms.CharField)]
    assert text_fields
    for name in text_fields:
        with translation.override("en"):
            form = form_class({name: f"ok {LONE_SURROGATE}"})
            form.is_valid()
            assert any("cannot be read as text" in str(e) for e in form.errors.get(name, [])), (name, form.errors)


def test_attachment_form_has_no_text_field_to_check() -> None:
    # If a text field is ever added to the follow-up upload form, the test above must cover it.
    assert not [f for f in AttachmentForm.base_fields.values() if isinstance(f, forms.CharField)]


def test_a_web_form_post_cannot_carry_a_surrogate(client: Client, intake_staff: IntakeStaff) -> None:
    # A browser's UTF-8 for U+D800 (ED A0 80) is invalid UTF-8: Django turns it into U+FFFD, so it stores fine.
    body = "title=x&what=" + "%ED%A0%80" * 20
    response = client.post("/en/report/wbs/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and b"This field is required." in response.content


def test_oversized_json_body_is_a_json_413(api_client: Client, intake_staff: IntakeStaff, settings: Any) -> None:
    headers = receipt_headers(api_client)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_client.post(
        "/api/v1/followup/messages", {"body": "x" * 5000}, content_type="application/json", headers=headers
    )
    assert "too large" in assert_json(response, 413)["detail"]
    assert not CaseMessage.objects.filter(sender="reporter").exists()
    doc = api_client.get("/api/v1/openapi.json").json()
    assert "413" in doc["paths"]["/api/v1/followup/messages"]["post"]["responses"]
    assert "413" in doc["paths"]["/api/v1/reports/wbs"]["post"]["responses"]


def test_oversized_form_fields_are_a_json_413(api_client: Client, intake_staff: IntakeStaff, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_client.post("/api/v1/reports/wbs", wbs_post(what="x" * 5000), headers={"Accept-Language": "en"})
    assert "too large" in assert_json(response, 413)["detail"]
    assert not Case.objects.exists()


def test_too_many_fields_is_a_json_400(api_client: Client, intake_staff: IntakeStaff, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    post = {**wbs_post(), **{f"extra{i}": "x" for i in range(20)}}
    response = api_client.post("/api/v1/reports/wbs", post, headers={"Accept-Language": "en"})
    assert "too many" in assert_json(response, 400)["detail"]
    assert not Case.objects.exists()


def test_too_many_files_is_a_json_400(api_client: Client, intake_staff: IntakeStaff, settings: Any) -> None:
    from tests.intake.conftest import upload

    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [upload(f"n{i}.txt", b"note") for i in range(3)]
    response = api_client.post(
        "/api/v1/reports/wbs", {**wbs_post(), "attachments": files}, headers={"Accept-Language": "en"}
    )
    assert "too many" in assert_json(response, 400)["detail"]
    assert not Case.objects.exists()


def test_a_server_error_in_the_api_is_json(
    api_client: Client, intake_staff: IntakeStaff, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = receipt_headers(api_client)

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("fault injected by the test")

    monkeypatch.setattr(services, "followup_overview", broken)
    body = assert_json(api_client.get("/api/v1/followup", headers=headers), 500)
    assert "fault injected" not in body["detail"] and "Traceback" not in body["detail"]


def test_a_server_error_on_a_page_stays_html(client: Client) -> None:
    from config.views import server_error

    request = client.get("/en/").wsgi_request
    response = server_error(request)
    assert response.status_code == 500 and response["Content-Type"].startswith("text/html")
