"""Logging filters that keep reporter identifiers out of every log record."""

from __future__ import annotations

import ipaddress
import logging
import re

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
