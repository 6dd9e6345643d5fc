"""Request hygiene for reporter paths: nothing that identifies a reporter survives past this point."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_LANG_PREFIX = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
# Staff paths keep the headers (staff are identified anyway); every other path is a reporter path.
STAFF_PATH = re.compile(rf"^/(?:(?:{_LANG_PREFIX})/)?(?:console|auth)(?:/|$)")

# Headers that can identify a reporter's device or network. META keys as Django spells them.
IDENTIFYING_META_KEYS = (
    "REMOTE_ADDR",
    "REMOTE_HOST",
    "HTTP_USER_AGENT",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
    "HTTP_VIA",
    "HTTP_CLIENT_IP",
    "HTTP_TRUE_CLIENT_IP",
    "HTTP_CF_CONNECTING_IP",
    "HTTP_X_CLUSTER_CLIENT_IP",
    "HTTP_X_ORIGINAL_FORWARDED_FOR",
    "HTTP_FASTLY_CLIENT_IP",
    "HTTP_SEC_CH_UA",
    "HTTP_SEC_CH_UA_PLATFORM",
    "HTTP_SEC_CH_UA_MOBILE",
    "HTTP_FROM",
)


def is_reporter_path(path: str) -> bool:
    """Return True for every path that is not a staff (console or login) path."""
    return not STAFF_PATH.match(path)


def scrub(meta: dict[str, object]) -> None:
    """Remove identifying entries from a WSGI environ / ``request.META`` in place."""
    for key in IDENTIFYING_META_KEYS:
        meta.pop(key, None)
    # Any other client-hint or forwarding variant a proxy may add.
    for key in [k for k in meta if k.startswith(("HTTP_SEC_CH_UA", "HTTP_X_FORWARDED"))]:
        meta.pop(key, None)


class ReporterPrivacyMiddleware:
    """First middleware: strip the client address, forwarding headers and user agent on reporter paths."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_reporter_path(request.path_info):
            scrub(request.META)
        return self.get_response(request)
