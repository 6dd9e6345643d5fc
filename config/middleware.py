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


class MethodNotAllowedPageMiddleware:
    """Give the empty 405 answer of ``require_POST`` & co. a page in the visitor's language.

    The ``Allow`` header is kept; the JSON API under ``/api/`` answers for itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or request.path_info.startswith("/api/") or response.content:
            return response
        from config.views import method_not_allowed

        page = method_not_allowed(request)
        if "Allow" in response:
            page["Allow"] = response["Allow"]
        return page
