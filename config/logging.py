"""Logging filters that keep reporter identifiers out of every log record."""

from __future__ import annotations

import ipaddress
import logging
import re
from datetime import UTC, datetime

ADDRESS_REMOVED = "[address removed]"
# Candidates only; each one is confirmed with ``ipaddress`` before it is replaced, so clock times such as
# 18:41:04 or version numbers stay as they are.
_IPV4 = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9.])")
_IPV6 = re.compile(r"(?<![0-9A-Za-z:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[0-9A-Za-z_.-]+)?(?![0-9A-Za-z:])")


def _replace_if_address(match: re.Match[str]) -> str:
    text = match.group(0)
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return text
    return ADDRESS_REMOVED


def remove_addresses(text: str) -> str:
    """Return ``text`` with every IPv4 and IPv6 address in it replaced by ``[address removed]``."""
    if "." not in text and ":" not in text:
        return text
    return _IPV6.sub(_replace_if_address, _IPV4.sub(_replace_if_address, text))


# The longest message a request's log record keeps: the path in it is the client's to choose.
REQUEST_MESSAGE_LIMIT = 300


class DropRequestFilter(logging.Filter):
    """Remove the request object Django attaches to request-related log records, and bound what they say.

    Handlers that format ``record.request`` (e.g. AdminEmailHandler) would otherwise see the client
    address, user agent and forwarding headers. A refused request (4xx) keeps its one line without the
    traceback Django attaches (a denied console page is expected, and a flood of them must not flood the
    log), and the requester-chosen path in the line is cut at ``REQUEST_MESSAGE_LIMIT`` characters.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        status = getattr(record, "status_code", None)
        if isinstance(status, int):
            if status < 500:
                record.exc_info, record.exc_text = None, None
            message = record.getMessage()
            if len(message) > REQUEST_MESSAGE_LIMIT:
                record.msg, record.args = message[:REQUEST_MESSAGE_LIMIT] + " [cut]", None
        return True


class RemoveAddressesFilter(logging.Filter):
    """Replace every IP address in a log record (message, arguments, traceback) by ``[address removed]``.

    gunicorn names the client in some of its own messages ("Invalid request from ip=..."), before Peluit's
    middleware can strip the address; this filter is the last line of defence for every such record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = remove_addresses(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = remove_addresses(record.exc_text)
        if record.stack_info:
            record.stack_info = remove_addresses(record.stack_info)
        return True


class CoarseReporterTimeFilter(logging.Filter):
    """Round the time of a record about a reporter's request down as the stored times are (audit/clock.py).

    A log line is as good as a stored row for matching a reporter against a network log: "Bad Request:
    /report/wbs/" or "attachment of type image/heic cannot be cleaned" at 10:41:04.123 says when someone
    reported. A record is about a reporter's request when Django attaches a request to a reporter path (every
    path but the console's and the login's), when it is written while the thread serves such a path
    (``intake.middleware.serving_a_reporter``: a file cleaned for a form that came back with an error, say), or
    inside ``reporter_time()`` (the intake and follow-up services). Such a record keeps its date and its rounded
    time (default: the hour), with no milliseconds; a line may therefore appear earlier than its neighbours.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # Imported here: the logging configuration is loaded before Django's apps are ready.
        from audit import clock

        if clock.in_reporter_time() or _for_a_reporter_path(record) or _while_serving_a_reporter():
            _round_down(record)
        return True


def _round_down(record: logging.LogRecord) -> None:
    """Give ``record`` the coarse time of a reporter's request (``audit.clock.coarse``), without milliseconds."""
    from audit import clock

    created = datetime.fromtimestamp(record.created, tz=UTC)
    try:
        rounded = clock.coarse(created).timestamp()
    except Exception:  # no settings yet, or a granularity the system check refuses: the day rather than fail
        rounded = record.created - record.created % clock.DAY_SECONDS
    record.relativeCreated -= (record.created - rounded) * 1000
    record.created, record.msecs = rounded, 0.0


def _is_reporter_path(path: str) -> bool:
    from intake.middleware import is_reporter_path

    return is_reporter_path(path)


def _while_serving_a_reporter() -> bool:
    """Return True when the record is written while this thread serves a reporter path (intake.middleware)."""
    from django.apps import apps

    if not apps.ready:  # the logging configuration is loaded before the apps: no request is served yet
        return False
    from intake.middleware import serving_a_reporter

    return serving_a_reporter()


def _for_a_reporter_path(record: logging.LogRecord) -> bool:
    """Return True when Django attached to ``record`` a request for a reporter path."""
    path = getattr(getattr(record, "request", None), "path_info", None)
    if not isinstance(path, str):
        return False
    return _is_reporter_path(path)  # a request exists only once the apps are ready


# A quoted request line, header or value in gunicorn's messages about a request it could not parse.
_QUOTED = re.compile(r"'.*'", re.DOTALL)


class GunicornRequestFilter(logging.Filter):
    """Keep what a client sent and when out of gunicorn's own lines about requests (``config.gunicorn_logging``).

    gunicorn answers a request it cannot parse before Peluit sees it, and logs "Invalid request from ip=…: Invalid
    HTTP Version: '6497 5969 5340 HTTP/1.1'": the client's own bytes (a receipt typed into the address, a query
    with report text) to the second. Such a line keeps the kind of error, loses the quoted bytes, and gets the
    coarse time of a reporter's request (anyone may be a reporter before the request is parsed). "Error handling
    request /path?query" keeps the path without its query, and a coarse time when the path is a reporter's.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Invalid request from"):
            record.msg, record.args = _QUOTED.sub("[removed]", message), None
            _round_down(record)
        elif message.startswith("Error handling request") and isinstance(record.args, tuple) and record.args:
            *method, uri = record.args
            path = str(uri).split("?", 1)[0]
            record.args = (*method, path)
            if _is_reporter_path(path):
                _round_down(record)
        return True
