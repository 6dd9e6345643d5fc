"""Project-wide response middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class NoStoreMiddleware:
    """Send ``Cache-Control: no-store`` on every dynamic page.

    Reporter pages (receipts, messages) and console pages (case content) must never sit in a browser or
    proxy cache. Static files are served earlier by WhiteNoise and keep their own caching headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response
