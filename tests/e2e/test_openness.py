"""The three public pages of issue 13 in Chromium at phone width (360 px) with JavaScript off: the transparency
page, the service standard and the satisfaction survey in the follow-up inbox. Nothing is loaded from another
host, nothing is wider than the screen, and axe-core finds no serious or critical violation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from casework.models import Case, CaseKind, SurveyResponse, ViolationType
from tests.intake.conftest import IntakeStaff, wbs_post
from tests.reports.conftest import make_case
from tests.support.accessibility import horizontal_overflow, serious_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True}


@pytest.fixture
def axe_phone(browser: Any, live_server: Any) -> Iterator[Any]:
    """A phone-sized page with JavaScript on, for axe-core only (the pages carry no script)."""
    context = browser.new_context(base_url=live_server.url, locale="id-ID", java_script_enabled=True, **PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _watch_hosts(page: Any, live_server: Any) -> list[str]:
    """Record every request the page makes to another origin."""
    foreign: list[str] = []
    page.on("request", lambda request: None if request.url.startswith(live_server.url) else foreign.append(request.url))
    return foreign


def _check(page: Any, axe_phone: Any, path: str) -> None:
    assert "<script" not in page.content(), path
    assert horizontal_overflow(page) == 0, f"{path} is wider than the phone"
    axe_phone.goto(path)
    violations = serious_violations(axe_phone)
    assert not violations, f"{path}:\n" + "\n".join(violations)


def test_transparency_and_service_standard_at_phone_width(
    phone_page: Any, axe_phone: Any, live_server: Any, intake_staff: IntakeStaff
) -> None:
    year = timezone.localdate().year - 1
    start = datetime(year, 3, 3, 3, tzinfo=UTC)
    for i in range(12):
        make_case(kind=CaseKind.WBS, received_at=start + timedelta(days=i), violation_type=ViolationType.PUNGLI)
    for i in range(3):
        make_case(kind=CaseKind.WBS, received_at=start + timedelta(days=40 + i), violation_type=ViolationType.SUAP)
    for i in range(6):
        make_case(kind=CaseKind.WBS, received_at=start + timedelta(days=50 + i), violation_type=ViolationType.KORUPSI)
    for i in range(6):
        make_case(kind=CaseKind.GRATIFICATION, received_at=start + timedelta(days=60 + i))
    foreign = _watch_hosts(phone_page, live_server)

    phone_page.goto(f"/transparansi/{year}/")
    assert phone_page.locator("h1").inner_text().strip().endswith(str(year))
    assert phone_page.locator("#table-kind svg").count() == 1 and phone_page.locator("#table-kind table").count() == 1
    assert phone_page.locator("#summary-total").inner_text().strip() == "27"
    violation = phone_page.locator("#table-violation_type table")
    assert "12" in violation.inner_text() and "•" in violation.inner_text()
    assert phone_page.locator("#open-data a[href$='datapackage.json']").count() >= 1
    _check(phone_page, axe_phone, f"/transparansi/{year}/")

    phone_page.goto("/standar-layanan/")
    limit = phone_page.locator("#limits-wbs tr[data-rule=ADUAN_TIDAK_BERKADAR] td").inner_text()
    assert limit.startswith("14 ")
    assert phone_page.locator("#pledge blockquote").inner_text().strip()
    _check(phone_page, axe_phone, "/standar-layanan/")
    assert not foreign, foreign


def test_a_reporter_answers_the_survey_at_phone_width(
    phone_page: Any, axe_phone: Any, live_server: Any, intake_staff: IntakeStaff
) -> None:
    from intake import services as intake_services
    from intake.forms import WbsReportForm

    form = WbsReportForm(wbs_post())
    assert form.is_valid(), form.errors
    submission = intake_services.submit_wbs_report(data=form.cleaned_data)
    Case.objects.filter(pk=submission.case.pk).update(closed_at=timezone.now(), outcome="terbukti")
    foreign = _watch_hosts(phone_page, live_server)
    for page in (phone_page, axe_phone):
        page.goto("/follow/")
        page.fill("#id_receipt", submission.receipt)
        page.click("main button[type=submit]")
        assert page.url.endswith("/follow/inbox/"), page.url
    assert phone_page.locator("#survey").count() == 1
    assert "<script" not in phone_page.content() and horizontal_overflow(phone_page) == 0
    violations = serious_violations(axe_phone)
    assert not violations, "\n".join(violations)

    # Leave one question out: the browser itself holds the form back (required radios, no script needed);
    # the server's own refusal of a missing answer is tested in tests/intake/test_survey.py.
    for n in range(1, 9):
        phone_page.check(f"input[name=U{n}][value='4']")
    phone_page.click("#survey button[type=submit]")
    assert phone_page.locator("input[name=U9]:invalid").count() == 4
    assert not SurveyResponse.objects.exists()
    for n in range(1, 10):
        phone_page.check(f"input[name=U{n}][value='{3 if n % 2 else 4}']")
    phone_page.fill("#id_comment", "Terima kasih, cepat ditangani.")
    phone_page.click("#survey button[type=submit]")
    assert phone_page.locator("#survey-thanks").count() == 1
    assert phone_page.locator("#survey").count() == 0
    assert SurveyResponse.objects.get().scores == {f"U{n}": 3 if n % 2 else 4 for n in range(1, 10)}
    assert not foreign, foreign
