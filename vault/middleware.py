"""Sets and expires the cookie half of the split-key console session."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from vault.console import console_cookies, cookie_to_delete, cookie_to_set


class ConsoleKeyCookieMiddleware:
    """Write the console key cookie chosen by ``unlock_console``; expire it on ``lock_console``.

    The cookie is HttpOnly, SameSite=Strict, Secure (unless plain-HTTP development is configured) and
    scoped to the console paths, so reporter pages never receive it. Place after SessionMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        value = cookie_to_set(request)
        if value is not None:
            for name, path in console_cookies():
                response.set_cookie(
                    name,
                    value,
                    path=path,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Strict",
                )
        elif cookie_to_delete(request):
            for name, path in console_cookies():
                response.delete_cookie(name, path=path, samesite="Strict")
        return response
