"""CSRF protection that works with ``Referrer-Policy: no-referrer``.

Under that policy browsers send ``Origin: null`` and no ``Referer`` on our own form posts, which Django's
middleware rejects (origin mismatch; on HTTPS, missing referer). For such requests we rely on the token
check alone: the CSRF cookie is ``SameSite=Strict``, so a cross-site form never carries it, and the token
in the form must match it. A real, non-null Origin is still checked as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponseBase, HttpResponseForbidden
from django.middleware.csrf import CsrfViewMiddleware

_OPAQUE_ORIGIN = "_peluit_opaque_origin"


class NoReferrerCsrfViewMiddleware(CsrfViewMiddleware):
    """Django's CSRF middleware, treating ``Origin: null`` without a Referer as "token check only"."""

    def process_view(
        self,
        request: HttpRequest,
        callback: Callable[..., HttpResponseBase],
        callback_args: tuple[Any, ...],
        callback_kwargs: dict[str, Any],
    ) -> HttpResponseForbidden | None:
        if request.META.get("HTTP_ORIGIN") == "null" and "HTTP_REFERER" not in request.META:
            del request.META["HTTP_ORIGIN"]
            setattr(request, _OPAQUE_ORIGIN, True)
        return super().process_view(request, callback, callback_args, callback_kwargs)

    def _check_referer(self, request: HttpRequest) -> None:
        if getattr(request, _OPAQUE_ORIGIN, False):
            return
        super()._check_referer(request)  # type: ignore[misc]  # private in django-stubs
