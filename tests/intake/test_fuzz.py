"""Hypothesis fuzzing of the reporter forms and the API: whatever comes in, the answer is never a 500."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from casework.models import Case
from intake.forms import GratificationReportForm, WbsReportForm
from tests.intake.conftest import IntakeStaff, gratification_post, wbs_post
from tests.support.fuzz import fuzz_settings, report_cases

pytestmark = pytest.mark.django_db

CASES: Counter[str] = Counter()


def fuzzed(test: Callable[..., None]) -> Callable[..., None]:
    """Run ``test`` as a Hypothesis test with its share of the fuzzing budget, counting its cases."""

    @functools.wraps(test)
    def counted(*args: Any, **kwargs: Any) -> None:
        CASES[test.__name__] += 1
        test(*args, **kwargs)

    return fuzz_settings(test.__name__)(counted)  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def _count_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    name = request.node.originalname
    CASES.pop(name, None)
    yield
    report_cases(request, CASES[name])


text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
long_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=0, max_size=30_000)
value = st.one_of(
    text,
    st.sampled_from(["", "0", "-1", "1e9", "NaN", "2999-01-01", "0000-00-00", "9" * 40, "\x00", "yes", "no"]),
)


def overrides(field_names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Return dicts that replace some fields of a valid post with hostile values."""
    return st.dictionaries(st.sampled_from(field_names), st.one_of(value, long_text, st.lists(text, max_size=3)))


def replayed_token(changes: dict[str, Any]) -> tuple[int, ...]:
    """Allow 409 ("already sent") when the fuzzed one-time token may repeat one an earlier example spent."""
    return (409,) if "submission_token" in changes else ()


@pytest.fixture
def client_unthrottled(fuzz_target: None) -> Client:
    return Client()  # raises any exception a view lets escape, so a would-be 500 fails the test


@given(changes=overrides(list(WbsReportForm.base_fields)))
@fuzzed
def test_wbs_form_never_fails(client_unthrottled: Client, intake_staff: IntakeStaff, changes: dict[str, Any]) -> None:
    before = Case.objects.count()
    response = client_unthrottled.post("/report/wbs/", {**wbs_post(), **changes})
    assert response.status_code in (200, 400, *replayed_token(changes))
    assert Case.objects.count() == before + (response.status_code == 200)


@given(changes=overrides(list(GratificationReportForm.base_fields)))
@fuzzed
def test_gratification_form_never_fails(
    client_unthrottled: Client, intake_staff: IntakeStaff, changes: dict[str, Any]
) -> None:
    response = client_unthrottled.post("/en/report/gratification/", {**gratification_post(), **changes})
    assert response.status_code in (200, 400, *replayed_token(changes))


@given(receipt=value, body=long_text, cookie=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126)))
@fuzzed
def test_followup_pages_never_fail(client_unthrottled: Client, receipt: str, body: str, cookie: str) -> None:
    assert client_unthrottled.post("/follow/", {"receipt": receipt}).status_code in (302, 400)
    assert client_unthrottled.post("/follow/reply/", {"body": body}).status_code == 302
    # What a WSGI server can hand over: header bytes read as latin-1; printable ASCII covers the cookie syntax.
    client_unthrottled.cookies["peluit_followup"] = cookie
    assert client_unthrottled.get("/follow/inbox/").status_code == 302


@given(changes=overrides(list(WbsReportForm.base_fields)), language=st.sampled_from(["id", "en", "fr", "", "*"]))
@fuzzed
def test_api_submissions_never_fail(
    client_unthrottled: Client, intake_staff: IntakeStaff, changes: dict[str, Any], language: str
) -> None:
    response = client_unthrottled.post(
        "/api/v1/reports/wbs", {**wbs_post(), **changes}, headers={"Accept-Language": language}
    )
    assert response.status_code in (201, 400, *replayed_token(changes))
    assert response["Content-Type"].startswith("application/json")


@given(
    raw=st.binary(max_size=2000),
    content_type=st.sampled_from(
        [
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain",
        ]
    ),
)
@fuzzed
def test_raw_bodies_never_fail(
    client_unthrottled: Client, intake_staff: IntakeStaff, raw: bytes, content_type: str
) -> None:
    for path in ("/api/v1/reports/gratification", "/report/wbs/", "/api/v1/followup/messages"):
        response = client_unthrottled.post(
            path, raw, content_type=content_type, headers={"X-Peluit-Receipt": "1234 5678 9012 3456"}
        )
        assert response.status_code < 500


@given(receipt=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60), body=text)
@fuzzed
def test_api_followup_never_fails(client_unthrottled: Client, receipt: str, body: str) -> None:
    headers = {"X-Peluit-Receipt": receipt}
    refused = 403 if receipt.strip() else 401  # a wrong receipt, or none at all
    assert client_unthrottled.get("/api/v1/followup", headers=headers).status_code == refused
    response = client_unthrottled.post(
        "/api/v1/followup/messages", {"body": body}, content_type="application/json", headers=headers
    )
    assert response.status_code in (400, refused)


@pytest.fixture
def reporter_in_inbox(client_unthrottled: Client, intake_staff: IntakeStaff) -> Client:
    """A reporter logged in to the follow-up inbox of a closed case (so the survey form is open too)."""
    body = client_unthrottled.post("/api/v1/reports/wbs", wbs_post()).json()
    Case.objects.filter(number=body["case_number"]).update(closed_at=timezone.now(), outcome="terbukti")
    assert client_unthrottled.post("/follow/", {"receipt": body["receipt_formatted"]}).status_code == 302
    return client_unthrottled


survey_codes = [f"U{n}" for n in range(1, 10)]
NOTE = b"Catatan saksi: kejadian pada pagi hari di loket pelayanan.\n"  # plain text, passes cleaning
upload_name = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=80)


@given(
    form=st.sampled_from(["reply", "survey", "attach"]),
    fields=st.dictionaries(st.sampled_from(["body", "comment", "send_uncleaned", *survey_codes]), value),
    files=st.lists(st.tuples(upload_name, st.one_of(st.just(NOTE), st.binary(max_size=300))), max_size=3),
)
@fuzzed
def test_followup_session_forms_never_fail(
    reporter_in_inbox: Client, form: str, fields: dict[str, str], files: list[tuple[str, bytes]]
) -> None:
    """The inbox's own forms, hostile values from a reporter with a valid session: never a 500."""
    client = reporter_in_inbox
    if form == "attach":
        uploads = [SimpleUploadedFile(name or "x", content) for name, content in files]
        response = client.post("/follow/attach/", {**fields, "attachments": uploads})
        assert response.status_code in (302, 400)
    elif form == "survey":
        answers = {code: "4" for code in survey_codes}  # a valid answer, some of it replaced
        assert client.post("/follow/survey/", {**answers, **fields}).status_code in (302, 400, 409)  # 409: once
    else:
        assert client.post("/follow/reply/", fields).status_code in (302, 400)
    assert client.get("/follow/inbox/").status_code == 200  # the session and the inbox still stand
