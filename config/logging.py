"""Logging filters that keep reporter identifiers out of every log record."""

from __future__ import annotations

import logging


class DropRequestFilter(logging.Filter):
    """Remove the request object Django attaches to request-related log records.

    Handlers that format ``record.request`` (e.g. AdminEmailHandler) would otherwise see the client
    address, user agent and forwarding headers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        return True
