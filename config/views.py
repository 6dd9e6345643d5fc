"""Project-level views: health check and error pages."""

from __future__ import annotations

import sys

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.encoding import escape_uri_path
from django.utils.functional import Promise
from django.utils.http import escape_leading_slashes
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import check_appendable
from config import faults
from config.context_processors import on_this_site

StrOrPromise = str | Promise


# Tables every submission and every console page needs: reading one row of each proves the database is
# Peluit's and migrated, not merely reachable (an empty file in place of the SQLite database answers SELECT 1).
HEALTH_TABLES = (("casework", "Case"), ("audit", "AuditEvent"))


def healthz(request: HttpRequest) -> HttpResponse:
    """Return 200 when the database answers from Peluit's own tables and the audit log takes new events, 503
    otherwise (an altered last event refuses every write: ``audit.services.check_appendable``)."""
    try:
        get_user_model().objects.exists()
        for app_label, model_name in HEALTH_TABLES:
            apps.get_model(app_label, model_name).objects.exists()
        check_appendable()
    except Exception:  # any database failure means "not healthy"; the detail is not for the public
        response = JsonResponse({"status": "unavailable"}, status=503)
        response["Retry-After"] = str(faults.RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok"})


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def _is_api(request: HttpRequest) -> bool:
    """True for the JSON API and for the audit log's public URLs: programs read both (``api_error``)."""
    return request.path_info.startswith("/api/") or faults.is_public_log(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Render the 400 page (JSON under ``/api/``; 413 there for a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``)."""
    if isinstance(exception, RequestDataTooBig):
        status, detail = 413, gettext_lazy("The request is too large. Send less text at once.")
    elif isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        status, detail = 400, gettext_lazy("The request has too many fields or files.")
    else:
        status, detail = 400, gettext_lazy("The request could not be understood.")
    if _is_api(request):
        return api_error(request, status, detail)
    return _error(request, status, _("Bad request"), str(detail))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Render the 403 page."""
    return _error(request, 403, _("Access denied"), _("You do not have access to this page."))


def api_error(request: HttpRequest, status: int, detail: StrOrPromise) -> HttpResponse:
    """Answer a JSON API request that reached no endpoint, in the client's ``Accept-Language``.

    Under the audit log's public URLs (/audit/), which answer plain text, the answer is plain text.
    """
    with translation.override(translation.get_language_from_request(request)):
        if faults.is_public_log(request):
            return faults.plain_text(status, str(detail))
        return JsonResponse({"detail": str(detail), "errors": {}}, status=status)


def _language_prefix_in_its_own_case(request: HttpRequest) -> str | None:
    """Return the address with its language prefix as the site writes it (``/EN/x`` → ``/en/x``), if it differs.

    Django reads a language prefix in any case (``/EN/`` is English) but the site's addresses only match it in
    lower case, and its catalogues are found only under the lower-case code: ``/EN/`` answered a 404 marked
    English and worded in Indonesian. The default language has no prefix (``/ID/x`` → ``/x``). The address
    stays on this site: it starts with the prefix, or with one slash.
    """
    path = request.path_info
    typed = translation.get_language_from_path(path)
    if not typed:
        return None
    code = typed.lower()
    if typed == code or code not in dict(settings.LANGUAGES):
        return None
    rest = path[1 + len(typed) :]
    if code == settings.LANGUAGE_CODE:
        address = on_this_site(rest)
    else:
        address = f"/{code}{rest or '/'}"
    query = request.META.get("QUERY_STRING", "")
    # A SCRIPT_NAME sent as a header (//host) must not turn the address into another site's.
    location = escape_leading_slashes(escape_uri_path(f"{request.META.get('SCRIPT_NAME', '')}{address}"))
    return location + (f"?{query}" if query else "")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Render the 404 page (JSON under ``/api/``); a language prefix in capitals is sent to its own case."""
    if faults.is_public_log(request):
        return api_error(request, 404, gettext_lazy("The public audit log has no such address."))
    if _is_api(request):
        return api_error(request, 404, gettext_lazy("There is no such API endpoint."))
    address = _language_prefix_in_its_own_case(request)
    if address is not None:
        return HttpResponsePermanentRedirect(address)
    return _error(request, 404, _("Page not found"), _("The page you asked for does not exist."))


def server_error(request: HttpRequest) -> HttpResponse:
    """Render the 500 page (JSON under ``/api/``) without touching the database or the session.

    Faults outside the request's control (database unavailable, a body that never arrived) get their own
    clear answer from ``config.faults`` instead.
    """
    fault = faults.response_for(request, sys.exc_info()[1])
    if fault is not None:
        return fault
    if _is_api(request):
        return api_error(request, 500, gettext_lazy("Something went wrong. Please try again later."))
    return _error(request, 500, _("Something went wrong"), _("The error has been noted. Please try again later."))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain an expired or missing form token instead of Django's technical page."""
    return _error(
        request,
        403,
        _("The form has expired"),
        _("Please go back, reload the page and submit the form again."),
    )


def method_not_allowed(request: HttpRequest) -> HttpResponse:
    """Render the 405 page (a form or link used the wrong HTTP method)."""
    return _error(
        request,
        405,
        _("Method not allowed"),
        _("This page cannot be used this way. Please go back and use the page's links and buttons."),
    )


def api_method_not_allowed(request: HttpRequest) -> HttpResponse:
    """The JSON answer to a wrong HTTP method under ``/api/``."""
    return api_error(request, 405, gettext_lazy("This endpoint does not accept this HTTP method."))
