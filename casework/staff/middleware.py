"""Guard for the staff console: every page under /console/ needs a verified second factor and the console
cookie of its own session, and every refusal there is audited."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from casework.staff import denials
from casework.staff.models import StaffUser
from casework.staff.services import staff_session_rejected
from casework.staff.two_factor import is_verified_staff
from vault import services as vault

_LANG_PREFIX = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
CONSOLE_PATH = re.compile(rf"^/(?:(?:{_LANG_PREFIX})/)?console(?:/|$)")
# A case number as the console's URLs carry it (WBS-2026-000123); anything else is not written to the log.
_CASE_NUMBER = re.compile(r"^[A-Z]{2,5}-\d{4}-\d{1,9}$")


def is_console_path(path: str) -> bool:
    """Return True for /console/... and its language-prefixed forms."""
    return bool(CONSOLE_PATH.match(path))


def _login_redirect(request: HttpRequest) -> HttpResponseRedirect:
    login_url = reverse(settings.LOGIN_URL)
    if request.method not in ("GET", "HEAD"):
        # After the login a browser would GET the action's URL, which only accepts the form: go home instead.
        return HttpResponseRedirect(login_url)
    return HttpResponseRedirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")


def _route_and_case(request: HttpRequest) -> tuple[str, str]:
    """Return the URL name of the request's page and the case number it names (if it is one)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return "", ""
    number = str(match.kwargs.get("number", ""))
    return str(match.view_name or ""), number if _CASE_NUMBER.match(number) else ""


class ConsoleRequiresVerifiedStaffMiddleware:
    """Guard every console path; enforced here rather than per view so a new console page cannot forget it.

    - Anyone without a password *and* a verified TOTP/backup code goes to the login page.
    - A verified session used without the console cookie it was bound to at login (a copied session cookie)
      counts as logged out: the session ends, the refusal is audited, the request goes to the login page.
    - Every 403 answer on a console path is audited (coalesced, ``casework.staff.denials``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_console_path(request.path_info):
            return self.get_response(request)
        user = request.user
        if not is_verified_staff(user):
            return _login_redirect(request)
        assert isinstance(user, StaffUser)
        if not vault.console_session_intact(request):
            route, case_ref = _route_and_case(request)
            staff_session_rejected(request=request, route=route or "unknown", case_ref=case_ref)
            messages.error(request, _("Your console session is no longer valid. Please log in again."))
            return _login_redirect(request)
        response = self.get_response(request)
        if response.status_code == 403:
            route, case_ref = _route_and_case(request)
            denials.record_console_denial(
                user=user,
                route=route or "unknown",
                reason=denials.denial_reason(request),
                method=request.method or "",
                case_ref=case_ref,
            )
        return response
