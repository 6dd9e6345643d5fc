"""Request hygiene for reporter paths: nothing that identifies a reporter survives past this point.

The first middleware of the chain. On a reporter path it hashes the client address with today's
in-memory key (for the throttle), counts the request, and then removes the address, forwarding headers,
user agent and client hints from ``request.META`` before any other code can read them. Requests over the
limit, and ``Throttled`` raised by a view (receipt attempts), get HTTP 429 with ``Retry-After``: a page in
the reporter's language, or ``{"detail": ...}`` under ``/api/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from intake import throttle

_LANG_PREFIX = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
# Staff paths keep the headers (staff are identified anyway); every other path is a reporter path.
STAFF_PATH = re.compile(rf"^/(?:(?:{_LANG_PREFIX})/)?(?:console|auth)(?:/|$)")
API_PATH = re.compile(r"^/api(?:/|$)")
# The audit log's public URLs: programs (witnesses) read them, and every answer there is one line of plain text.
PUBLIC_LOG_PATH = re.compile(r"^/audit/")

# Headers that can identify a reporter's device or network. META keys as Django spells them.
IDENTIFYING_META_KEYS = (
    "REMOTE_ADDR",
    "REMOTE_HOST",
    "REMOTE_PORT",
    "REMOTE_USER",
    "REMOTE_IDENT",
    "HTTP_USER_AGENT",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
    "HTTP_VIA",
    "HTTP_CLIENT_IP",
    "HTTP_TRUE_CLIENT_IP",
    "HTTP_CF_CONNECTING_IP",
    "HTTP_CF_CONNECTING_IPV6",
    "HTTP_CF_IPCOUNTRY",
    "HTTP_CF_RAY",
    "HTTP_X_CLUSTER_CLIENT_IP",
    "HTTP_X_ORIGINAL_FORWARDED_FOR",
    "HTTP_X_ORIGINATING_IP",
    "HTTP_X_REMOTE_IP",
    "HTTP_X_REMOTE_ADDR",
    "HTTP_X_CLIENT_IP",
    "HTTP_X_PROXYUSER_IP",
    "HTTP_WL_PROXY_CLIENT_IP",
    "HTTP_FASTLY_CLIENT_IP",
    "HTTP_X_REQUEST_ID",
    "HTTP_X_CORRELATION_ID",
    "HTTP_X_AMZN_TRACE_ID",
    "HTTP_X_DEVICE_USER_AGENT",
    "HTTP_X_OPERAMINI_PHONE_UA",
    "HTTP_X_UCBROWSER_UA",
    "HTTP_X_WAP_PROFILE",
    "HTTP_FROM",
)
# Prefixes of forwarding variants and client hints a proxy or browser may add.
IDENTIFYING_META_PREFIXES = ("HTTP_SEC_CH_", "HTTP_X_FORWARDED_", "HTTP_X_REAL_", "HTTP_X_CLIENT_")
# Forwarding headers that say nothing about the client but that Django needs behind a TLS proxy.
KEPT_META_KEYS = frozenset({"HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_PORT"})


# Set while this thread serves a reporter path (``ReporterPrivacyMiddleware``): every log record written
# meanwhile gets a coarse time (config.logging.CoarseReporterTimeFilter).
_SERVING_A_REPORTER: ContextVar[bool] = ContextVar("peluit_serving_a_reporter", default=False)


def serving_a_reporter() -> bool:
    """Return True while the current thread serves a request for a reporter path."""
    return _SERVING_A_REPORTER.get()


def is_reporter_path(path: str) -> bool:
    """Return True for every path that is not a staff (console or login) path."""
    return not STAFF_PATH.match(path)


def scrub(meta: dict[str, object]) -> None:
    """Remove identifying entries from a WSGI environ / ``request.META`` in place."""
    for key in IDENTIFYING_META_KEYS:
        meta.pop(key, None)
    for key in [k for k in meta if k.startswith(IDENTIFYING_META_PREFIXES) and k not in KEPT_META_KEYS]:
        meta.pop(key, None)


def _is_exempt(path: str) -> bool:
    """Static files and the health check are not counted: a page load must not cost several requests."""
    return path.startswith(settings.STATIC_URL) or path == "/healthz"


def reporter_language(request: HttpRequest) -> str:
    """Return the language a reporter path answers in, before LocaleMiddleware has run.

    Pages: ``/en/...`` is English, unprefixed paths are Indonesian. The API and ``/audit/`` follow Accept-Language.
    """
    if API_PATH.match(request.path_info) or PUBLIC_LOG_PATH.match(request.path_info):
        return translation.get_language_from_request(request)
    return translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE


def throttled_response(request: HttpRequest, exc: throttle.Throttled) -> HttpResponse:
    """Return the HTTP 429 answer for ``exc``: JSON under ``/api/``, plain text under ``/audit/``, otherwise a page,
    in the reporter's language."""
    language = reporter_language(request)
    if API_PATH.match(request.path_info):
        response: HttpResponse = JsonResponse({"detail": exc.message}, status=429)
    elif PUBLIC_LOG_PATH.match(request.path_info):
        with translation.override(language):
            message = str(exc.message)
        response = HttpResponse(f"{message}\n", content_type="text/plain; charset=utf-8", status=429)
    else:
        with translation.override(language):
            title = _("Please wait a moment")
            try:
                response = render(request, "error.html", {"title": title, "message": exc.message}, status=429)
            except Exception:  # the page must not fail: fall back to one without the site's template
                page = f'<!doctype html><html lang="{language}"><title>{escape(title)}</title>'
                page += f"<h1>{escape(title)}</h1><p>{escape(exc.message)}</p></html>"
                response = HttpResponse(page, status=429)
    response["Retry-After"] = str(exc.retry_after)
    # Answered before the rest of the chain runs (LocaleMiddleware included), so the usual headers are set here.
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return response


class ReporterPrivacyMiddleware:
    """First middleware: count the request, then strip the client address, forwarding headers and user agent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_reporter_path(request.path_info):
            return self.get_response(request)
        token = _SERVING_A_REPORTER.set(True)
        try:
            return self._reporter_request(request)
        finally:
            _SERVING_A_REPORTER.reset(token)

    def _reporter_request(self, request: HttpRequest) -> HttpResponse:
        throttle.remember_client(request)
        scrub(request.META)
        scope = getattr(request, "scope", None)
        if isinstance(scope, dict):  # ASGI keeps the client's address in the scope too
            scope["client"] = None
        if not _is_exempt(request.path_info):
            try:
                with translation.override(reporter_language(request)):
                    throttle.check_request(request)
            except throttle.Throttled as exc:
                return throttled_response(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Answer ``Throttled`` raised by a view (e.g. a receipt attempt) with HTTP 429."""
        if isinstance(exception, throttle.Throttled):
            return throttled_response(request, exception)
        return None
