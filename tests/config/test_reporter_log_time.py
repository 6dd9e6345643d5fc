"""Log records about a reporter's request carry a coarse time, as the stored rows do (audit/clock.py)."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from audit.clock import reporter_time
from config.logging import CoarseReporterTimeFilter, DropRequestFilter
from tests.intake.conftest import IntakeStaff, create_intake_staff, upload, wbs_post
from tests.intake.test_uncleaned_files import damaged_photo

WIB = ZoneInfo("Asia/Jakarta")
AT = datetime(2026, 3, 2, 10, 41, 4, 123_000, tzinfo=WIB)


class Request:
    def __init__(self, path: str) -> None:
        self.path_info = path


def record(name: str, *, path: str | None = None) -> logging.LogRecord:
    made = logging.LogRecord(name, logging.WARNING, __file__, 1, "Bad Request: %s", (path or "-",), None)
    made.created, made.msecs = AT.timestamp(), 123.0
    if path is not None:
        made.status_code = 400
        made.request = Request(path)
    return made


def local_time(made: logging.LogRecord) -> str:
    formatter = logging.Formatter("%(asctime)s")
    formatter.converter = lambda seconds: datetime.fromtimestamp(seconds or 0, tz=WIB).timetuple()
    return formatter.format(made)


@pytest.mark.parametrize("path", ["/report/wbs/", "/en/follow-up/", "/api/v1/reports/wbs", "/nowhere"])
def test_a_record_about_a_reporter_path_keeps_only_the_hour(path: str) -> None:
    made = record("django.request", path=path)
    assert CoarseReporterTimeFilter().filter(made)
    assert local_time(made) == "2026-03-02 10:00:00,000"


@pytest.mark.parametrize("path", ["/console/cases/", "/en/console/", "/auth/login/"])
def test_a_record_about_a_staff_path_keeps_its_time(path: str) -> None:
    made = record("django.request", path=path)
    CoarseReporterTimeFilter().filter(made)
    assert local_time(made) == "2026-03-02 10:41:04,123"


def test_a_record_written_while_serving_a_reporter_is_coarse_and_others_are_not() -> None:
    with reporter_time():
        inside = record("intake.attachments")
        CoarseReporterTimeFilter().filter(inside)
    outside = record("intake.attachments")
    CoarseReporterTimeFilter().filter(outside)
    assert local_time(inside) == "2026-03-02 10:00:00,000"
    assert local_time(outside) == "2026-03-02 10:41:04,123"


def test_the_granularity_setting_applies(settings: Any) -> None:
    settings.PELUIT_REPORTER_TIME_GRANULARITY = 900
    made = record("django.request", path="/report/wbs/")
    CoarseReporterTimeFilter().filter(made)
    assert local_time(made) == "2026-03-02 10:30:00,000"


@pytest.fixture
def intake_staff(make_staff: Any) -> IntakeStaff:
    """The intake recipients (tests/intake/conftest.py)."""
    return create_intake_staff(make_staff)


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.django_db
def test_a_refused_report_is_logged_without_its_exact_time(settings: Any) -> None:
    """The handlers of the site's logging configuration round the time before the request is dropped."""
    configured = [h for h in logging.getLogger().handlers if h.filters]
    assert configured and all(
        [type(f) for f in h.filters] == [CoarseReporterTimeFilter, DropRequestFilter] for h in configured
    )
    kept = Kept()
    kept.filters = list(configured[0].filters)
    logging.getLogger("django.request").addHandler(kept)
    try:
        answer = Client().post("/report/wbs/", {"title": "x"})
        staff = Client().get("/console/no-such-page/")
    finally:
        logging.getLogger("django.request").removeHandler(kept)
    assert answer.status_code == 400 and staff.status_code in (302, 403, 404)
    reporter_lines = [r for r in kept.records if "/report/wbs/" in r.getMessage()]
    assert reporter_lines, [r.getMessage() for r in kept.records]
    for line in reporter_lines:
        assert line.msecs == 0 and line.created % 60 == 0 and line.request is None


@pytest.mark.django_db
def test_a_file_cleaned_for_a_form_that_came_back_is_logged_without_its_exact_time(
    intake_staff: IntakeStaff,
) -> None:
    """The form comes back with an error and its files are held (intake/held.py), outside the intake service's
    reporter_time(): the "cannot be cleaned" line is still rounded (outside probe)."""
    configured = [h for h in logging.getLogger().handlers if h.filters]
    kept = Kept()
    kept.filters = list(configured[0].filters)
    logger = logging.getLogger("intake.attachments")
    logger.addHandler(kept)
    try:
        token = secrets.token_urlsafe(32)  # the form's one-time token: files are held under it
        data = {**wbs_post(), "what": "", "submission_token": token, "attachments": [upload("a.jpg", damaged_photo())]}
        answer = Client().post("/report/wbs/", data)
    finally:
        logger.removeHandler(kept)
    assert answer.status_code == 400
    lines = [r for r in kept.records if "cannot be cleaned" in r.getMessage()]
    assert lines, [r.getMessage() for r in kept.records]
    for line in lines:
        assert line.msecs == 0 and line.created % 60 == 0
