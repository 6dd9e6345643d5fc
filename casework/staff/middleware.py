"""Guard for the staff console: every page under /console/ needs a verified second factor."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from casework.staff.two_factor import is_verified_staff

_LANG_PREFIX = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
CONSOLE_PATH = re.compile(rf"^/(?:(?:{_LANG_PREFIX})/)?console(?:/|$)")


def is_console_path(path: str) -> bool:
    """Return True for /console/... and its language-prefixed forms."""
    return bool(CONSOLE_PATH.match(path))


class ConsoleRequiresVerifiedStaffMiddleware:
    """Send anyone without a password *and* verified TOTP/backup code on a console path to the login page.

    Enforced here rather than per view so a new console page cannot forget it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_console_path(request.path_info):
            if not is_verified_staff(request.user):
                login_url = reverse(settings.LOGIN_URL)
                return HttpResponseRedirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
