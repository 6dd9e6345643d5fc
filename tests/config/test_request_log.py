"""Request log records: no request object, no traceback for a refused request, a bounded path."""

from __future__ import annotations

import logging
import sys

from config.logging import REQUEST_MESSAGE_LIMIT, DropRequestFilter


def record(status: int, path: str, *, with_traceback: bool) -> logging.LogRecord:
    """A record as django.utils.log.log_response makes it."""
    exc_info = None
    if with_traceback:
        try:
            raise PermissionError("denied")
        except PermissionError:
            exc_info = sys.exc_info()
    made = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden: %s", (path,), exc_info)
    made.status_code = status
    made.request = object()
    return made


def test_a_refused_request_keeps_one_line_without_its_traceback() -> None:
    refused = record(403, "/console/cases/WBS-1/", with_traceback=True)
    assert DropRequestFilter().filter(refused)
    assert refused.exc_info is None and refused.request is None
    assert logging.Formatter().format(refused) == "Forbidden: /console/cases/WBS-1/"


def test_a_server_error_keeps_its_traceback() -> None:
    failed = record(500, "/report/wbs/", with_traceback=True)
    assert DropRequestFilter().filter(failed)
    assert failed.exc_info is not None
    assert "PermissionError: denied" in logging.Formatter().format(failed)


def test_a_requester_chosen_path_is_cut() -> None:
    long = record(404, "/" + "a" * 20_000, with_traceback=False)
    DropRequestFilter().filter(long)
    line = logging.Formatter().format(long)
    assert len(line) <= REQUEST_MESSAGE_LIMIT + len(" [cut]") and line.endswith(" [cut]")


def test_records_of_other_loggers_are_left_alone() -> None:
    other = logging.LogRecord("peluit", logging.INFO, __file__, 1, "x" * 1000, None, None)
    DropRequestFilter().filter(other)
    assert other.getMessage() == "x" * 1000
