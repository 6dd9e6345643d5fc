"""Project-wide response middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from intake.middleware import is_reporter_path


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

    The ``Allow`` header is kept. Under ``/api/`` the answer is JSON in the client's language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_api = request.path_info.startswith(("/api/", "/audit/"))  # JSON, or the public log's plain text
        if response.status_code != 405 or (response.content and not is_api) or "json" in response["Content-Type"]:
            return response
        from config.views import api_method_not_allowed, method_not_allowed

        page = api_method_not_allowed(request) if is_api else method_not_allowed(request)
        if "Allow" in response:
            page["Allow"] = response["Allow"]
        return page


class OnionLocationMiddleware:
    """Tell Tor Browser about the onion service (``PELUIT_ONION_ADDRESS``) on every reporter page.

    Tor Browser offers to switch to the ``Onion-Location`` address (it acts on it only for pages served over
    HTTPS). Not sent on staff paths, on the API, or to a request that already came through the onion service.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        onion = settings.PELUIT_ONION_ADDRESS
        if (
            onion
            and is_reporter_path(request.path_info)
            and response.get("Content-Type", "").startswith("text/html")
            and not request.META.get("HTTP_HOST", "").split(":")[0].endswith(".onion")
        ):
            response["Onion-Location"] = f"http://{onion}{request.get_full_path()}"
        return response
