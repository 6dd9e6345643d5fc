"""gunicorn's logger for Peluit: no access log, and no client address in the error log.

gunicorn writes some messages before Peluit sees the request, e.g. ``Invalid request from ip=...`` for a
malformed request line: the address is removed, and so are the bytes the client sent, and the line gets a
reporter's coarse time (``config.logging.GunicornRequestFilter``). Named by ``logger_class`` in
``config/gunicorn.py``.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from config.logging import GunicornRequestFilter, RemoveAddressesFilter


class AddresslessLogger(Logger):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn's logger with every address removed from its records and the access log switched off."""

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's handlers up, then filter every record of its error log and of each handler."""
        super().setup(cfg)
        addresses = RemoveAddressesFilter()
        requests = GunicornRequestFilter()  # first: it reads gunicorn's arguments, which the next one folds in
        for log in (self.error_log, self.access_log):
            log.addFilter(requests)
            log.addFilter(addresses)
            for handler in log.handlers:
                handler.addFilter(addresses)

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Write nothing: an access line would tie a reporter's address and time to a path."""
