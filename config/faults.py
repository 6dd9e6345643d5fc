"""Clear answers for faults outside a request's control, instead of an error 500.

- The database is unreachable, silent past its connect or statement timeout, locked past its busy timeout,
  or has lost its tables (an empty file replaced the SQLite database): HTTP 503 with ``Retry-After``.
- The disk is full while a file is written (an upload spooled, an attachment cleaned or encrypted): HTTP 503
  with ``Retry-After``. The submission's own clean-up has removed what it wrote, so nothing is half-stored.
- The request body stopped arriving (a client went silent; ``config/gunicorn.py`` bounds the wait): 400.
- The audit log's last event was edited so that nothing can be appended after it (``AuditTailAltered``): every
  write is audited, so none can happen until the operator restores the log: HTTP 503 with ``Retry-After``.

Django hands every uncaught exception, from views and middleware alike, to ``handler500``
(``config.views.server_error``), which asks :func:`response_for` first. The JSON API passes database errors
through to it (``intake/api.py``), so pages and API answer the same way. Nothing here touches the database or
the session: a console page's session cannot be read while the database is down.
"""

from __future__ import annotations

import errno
import logging

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.template import loader
from django.urls import translate_url
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.exceptions import AuditTailAltered
from intake.middleware import PUBLIC_LOG_PATH

StrOrPromise = str | Promise

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before trying again after a 503.
RETRY_AFTER_SECONDS = 30
_API_PREFIX = "/api/"


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Return True when ``exc`` says the database cannot serve now (as opposed to a bug in a query).

    Operational and interface errors (connection refused, lost or timed out, statement cancelled, locked,
    no such table) and the bare ``DatabaseError`` a driver raises for a connection that broke mid-answer;
    integrity, programming and data errors are bugs or bad input and stay what they are.
    """
    return isinstance(exc, OperationalError | InterfaceError) or type(exc) is DatabaseError


# "No space left on device", "Disk quota exceeded", "File too large" (for the file system or the process).
_STORAGE_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def is_storage_full(exc: BaseException | None) -> bool:
    """Return True when ``exc``, or an error it was raised from, says a file could not be written for lack of room."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OSError) and exc.errno in _STORAGE_FULL:
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def is_public_log(request: HttpRequest) -> bool:
    """Return True for the audit log's public URLs (/audit/…): programs read them, and they answer plain text."""
    return PUBLIC_LOG_PATH.match(request.path_info) is not None


def plain_text(status: int, message: StrOrPromise) -> HttpResponse:
    """Return ``message`` as a plain-text answer (the public log's URLs answer every error this way)."""
    return HttpResponse(f"{message}\n", content_type="text/plain; charset=utf-8", status=status)


def _language(request: HttpRequest) -> str:
    if request.path_info.startswith(_API_PREFIX) or is_public_log(request):
        return translation.get_language_from_request(request)
    return translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE


def _answer(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    """Return a page (or JSON under /api/) rendered without request context processors (no session, no DB)."""
    if request.path_info.startswith(_API_PREFIX):
        response: HttpResponse = JsonResponse({"detail": message, "errors": {}}, status=status)
    elif is_public_log(request):
        response = plain_text(status, message)
    else:
        current = translation.get_language()
        links = [
            (code, str(name), translate_url(request.get_full_path(), code))
            for code, name in settings.LANGUAGES
            if code != current
        ]
        context = {"title": title, "message": message, "language_links": links}
        response = HttpResponse(loader.get_template("error.html").render(context), status=status)
    response["Cache-Control"] = "no-store"
    return response


def _retry_later(request: HttpRequest, title: StrOrPromise, message: StrOrPromise) -> HttpResponse:
    """Return a 503 with ``Retry-After``: the fault is the server's, and the same request may succeed later."""
    with translation.override(_language(request)):
        response = _answer(request, 503, str(title), str(message))
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """Return the 503 answer for a database that cannot serve right now."""
    return _retry_later(
        request,
        gettext_lazy("Temporarily unavailable"),
        gettext_lazy(
            "The service cannot store or show data right now. Nothing you sent has been saved. "
            "Please try again in a few minutes."
        ),
    )


def storage_full(request: HttpRequest) -> HttpResponse:
    """Return the 503 answer for a file that could not be written because the disk is full."""
    return _retry_later(
        request,
        gettext_lazy("Storage full"),
        gettext_lazy(
            "There is not enough storage space on the server for your files right now. Nothing you sent has "
            "been saved. Please try again later, or send your report without files."
        ),
    )


def audit_log_altered(request: HttpRequest) -> HttpResponse:
    """Return the 503 answer for a write refused because the audit log's last event was altered."""
    return _retry_later(
        request,
        gettext_lazy("Temporarily unavailable"),
        gettext_lazy(
            "The service cannot record anything right now: its audit log needs the operator's attention. "
            "Nothing you sent has been saved. Please try again later."
        ),
    )


def body_incomplete(request: HttpRequest) -> HttpResponse:
    """Return the 400 answer for a request whose body never arrived in full."""
    with translation.override(_language(request)):
        return _answer(
            request,
            400,
            _("Bad request"),
            _("The request did not arrive completely. Please check your connection and send it again."),
        )


def response_for(request: HttpRequest, exc: BaseException | None) -> HttpResponse | None:
    """Return the answer for a fault outside the request's control, or None for anything else (a real 500).

    The fault is logged here in one line, without a traceback (a database outage would otherwise write one
    per request); Django's own "Service Unavailable" line with the traceback is skipped.
    """
    if is_database_unavailable(exc):
        response = database_unavailable(request)
    elif is_storage_full(exc):
        response = storage_full(request)
    elif isinstance(exc, AuditTailAltered):
        response = audit_log_altered(request)
    elif isinstance(exc, UnreadablePostError):
        response = body_incomplete(request)
    else:
        return None
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    # The request rides along so that a reporter's line gets a coarse time (config.logging); it is dropped there.
    logger.warning(
        "%s %s: %s: %s", response.status_code, request.path, type(exc).__name__, first_line, extra={"request": request}
    )
    response._has_been_logged = True  # type: ignore[attr-defined]  # read by django.utils.log.log_response
    return response
