"""The receipt page kept per process with placeholders (intake/receipt_page.py): the same page a full render
gives, never holding a reporter's values, and never stale."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.cache import caches
from django.shortcuts import render
from django.test import Client, RequestFactory
from django.utils import translation

from casework.models import Case
from intake import receipt_page
from intake.services import Submission
from tests.intake.conftest import IntakeStaff, wbs_post
from tests.intake.test_views import receipt_of

pytestmark = pytest.mark.django_db


@dataclass
class _Case:
    number: str


@dataclass
class _Submission:
    case: _Case
    formatted_receipt: str
    warnings: list[str] = field(default_factory=list)
    uncleaned_files: list[str] = field(default_factory=list)


def _kept_pages() -> list[str]:
    cache = caches["template_fragments"]
    keys = [key for key in list(cache._cache) if "receipt_page:" in key]  # type: ignore[attr-defined]
    return [cache.get(key.split(":", 2)[-1]) for key in keys]


def _request(path: str = "/report/wbs/") -> Any:
    request = RequestFactory().post(path)
    request.session = {}  # type: ignore[attr-defined]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize(("number", "receipt"), [("WBS-2026-00001", "1234 5678 9012 3456"), ("<b>&'\"", "0000 0000")])
def test_the_kept_page_filled_in_is_the_page_a_full_render_gives(language: str, number: str, receipt: str) -> None:
    """Byte for byte, in both languages, also for values the page must escape."""
    caches["template_fragments"].clear()
    template, context = "intake/receipt.html", {"kind": "wbs"}
    with translation.override(language):
        first = receipt_page.receipt_response(_request(), template, context, _Submission(_Case("X-1"), "1111 2222"))
        submission = _Submission(_Case(number), receipt)
        kept = receipt_page.receipt_response(_request(), template, context, submission)
        full = render(_request(), template, {**context, "submission": submission})
    assert len(_kept_pages()) == 1
    assert kept.content == full.content and kept.status_code == full.status_code == 200
    assert dict(kept.items()) == dict(full.items())
    assert b"X-1" in first.content and b"X-1" not in kept.content


def test_a_submitted_report_shows_its_own_receipt_and_nothing_kept_holds_a_receipt_or_number(
    client: Client, intake_staff: IntakeStaff
) -> None:
    caches["template_fragments"].clear()
    receipts = [receipt_of(client.post("/en/report/wbs/", wbs_post())) for _ in range(3)]
    numbers = list(Case.objects.order_by("id").values_list("number", flat=True))
    assert len(set(receipts)) == 3 and len(set(numbers)) == 3
    pages = _kept_pages()
    assert len(pages) == 1 and receipt_page._RECEIPT in pages[0]
    for receipt, number in zip(receipts, numbers, strict=True):
        assert receipt not in pages[0] and number not in pages[0]


def test_the_kept_page_is_what_a_full_render_of_the_real_submission_gives(
    client: Client, intake_staff: IntakeStaff
) -> None:
    """With a stored case and its receipt (not the test's stand-ins): a value receipt.html takes from the
    submission that the placeholders lack would show here."""
    caches["template_fragments"].clear()
    client.post("/en/report/wbs/", wbs_post())  # keeps the page
    response = client.post("/en/report/wbs/", wbs_post())
    cases = [case for case in Case.objects.all() if case.number.encode() in response.content]
    assert len(cases) == 1 and len(_kept_pages()) == 1
    case = cases[0]
    submission = Submission(case=case, receipt=receipt_of(response).replace(" ", ""))
    request = _request("/en/report/wbs/")
    with translation.override("en"):
        full = render(request, "intake/receipt.html", {"kind": "wbs", "submission": submission})
    assert response.content == full.content


def test_a_console_receipt_is_never_kept(client: Client, intake_staff: IntakeStaff) -> None:
    caches["template_fragments"].clear()
    submission = _Submission(_Case("TEL-1"), "1234")
    page = receipt_page.receipt_response(_request("/console/intake/record/wbs/"), "intake/receipt.html", {}, submission)
    assert b"TEL-1" in page.content and _kept_pages() == []


def test_a_page_with_more_to_say_is_rendered_in_full_and_not_kept() -> None:
    """Warnings and files sent as they are appear on the page; nothing is kept for them."""
    caches["template_fragments"].clear()
    submission = _Submission(_Case("GRT-1"), "1234", warnings=["Mungkin dikecualikan"], uncleaned_files=["a.doc"])
    with translation.override("en"):
        page = receipt_page.receipt_response(_request(), "intake/receipt.html", {"kind": "gratification"}, submission)
    assert b"Mungkin dikecualikan" in page.content and b"a.doc" in page.content
    assert _kept_pages() == []


def test_a_message_waiting_for_the_visitor_is_shown_as_a_full_render_shows_it() -> None:
    caches["template_fragments"].clear()
    request = _request()
    request._messages.add(constants.INFO, "Pesan untuk pengunjung")
    page = receipt_page.receipt_response(request, "intake/receipt.html", {"kind": "wbs"}, _Submission(_Case("A"), "1"))
    assert b"Pesan untuk pengunjung" in page.content and _kept_pages() == []
    assert request._messages.used  # shown: the middleware drops it when the answer goes out


def test_a_changed_institution_or_address_shows_at_once(settings: Any) -> None:
    caches["template_fragments"].clear()
    submission = _Submission(_Case("WBS-1"), "1234 5678")
    before = receipt_page.receipt_response(_request(), "intake/receipt.html", {"kind": "wbs"}, submission)
    settings.PELUIT_INSTITUTION_NAME = "Inspektorat Kabupaten Contoh"
    settings.PELUIT_INSTITUTION_PHONE = "112"
    after = receipt_page.receipt_response(_request(), "intake/receipt.html", {"kind": "wbs"}, submission)
    assert b"Inspektorat Kabupaten Contoh" in after.content and b"Inspektorat Kabupaten Contoh" not in before.content
    assert b'href="tel:112"' in after.content
    other = receipt_page.receipt_response(_request("/report/wbs/?x=1"), "intake/receipt.html", {}, submission)
    assert b'report/wbs/?x=1"' in other.content and b"?x=1" not in after.content  # its own language link
    assert len(_kept_pages()) == 3


def test_a_template_showing_a_value_twice_or_not_at_all_is_rendered_in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    caches["template_fragments"].clear()
    shown = {"page": ""}

    def twice(template: str, context: dict[str, Any], request: Any) -> str:
        submission = context["submission"]
        shown["page"] = f"{submission.formatted_receipt} {submission.formatted_receipt} {submission.case.number}"
        return shown["page"]

    monkeypatch.setattr(receipt_page, "render_to_string", twice)
    page = receipt_page.receipt_response(_request(), "intake/receipt.html", {}, _Submission(_Case("WBS-7"), "9876"))
    assert b"9876" in page.content and b"WBS-7" in page.content and receipt_page._RECEIPT in shown["page"]
    assert _kept_pages() == []
