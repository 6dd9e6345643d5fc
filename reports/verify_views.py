"""The public verification page /verify/: upload a signed export, see whether it is genuine and unchanged.

A reporter path (no JavaScript, no address or user agent kept: intake's privacy middleware runs first). The
upload is read into memory by ``BoundedMemoryUploadHandler`` (never a file on disk), checked, and dropped.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.decorators import decorator_from_middleware
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from reports.uploads import BoundedMemoryUploadHandler
from reports.verification import own_certificate, verify_pdf


def _configured_csrf_middleware() -> type[CsrfViewMiddleware]:
    """Return the project's CSRF middleware class as configured in ``MIDDLEWARE`` (config's no-referrer
    variant), so the upload view applies exactly the check every other form gets."""
    dotted = next(name for name in settings.MIDDLEWARE if name.rsplit(".", 1)[-1].endswith("CsrfViewMiddleware"))
    middleware: type[CsrfViewMiddleware] = import_string(dotted)
    return middleware


csrf_protect = decorator_from_middleware(_configured_csrf_middleware())
# Multipart framing around the file (boundary lines, headers, the CSRF token field).
UPLOAD_SLACK = 64 * 1024


def max_bytes() -> int:
    """Return the largest file /verify/ accepts (``PELUIT_VERIFY_MAX_BYTES``)."""
    return int(getattr(settings, "PELUIT_VERIFY_MAX_BYTES", 20 * 1024 * 1024))


def _page(request: HttpRequest, *, status: int = 200, **context: object) -> HttpResponse:
    certificate = own_certificate()
    context.setdefault("limit_mb", max_bytes() // (1024 * 1024))
    context["own_signer"] = str(certificate.subject.human_friendly) if certificate is not None else ""
    response = render(request, "reports/verify.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # the upload handler must be set before the CSRF check reads the body; checked below
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponseBase:
    """Show the upload form; check an uploaded PDF."""
    if request.method == "GET":
        return _page(request)
    limit = max_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + UPLOAD_SLACK:
        return _page(
            request, status=413, error=_("The file is too large: at most %(mb)s MB.") % {"mb": limit // (1024 * 1024)}
        )
    handler = BoundedMemoryUploadHandler(request, limit=limit)
    request.upload_handlers = [handler]
    return _verify_upload(request, handler)


@csrf_protect
def _verify_upload(request: HttpRequest, handler: BoundedMemoryUploadHandler) -> HttpResponseBase:
    upload = request.FILES.get("document")
    if handler.too_large:
        return _page(
            request,
            status=413,
            error=_("The file is too large: at most %(mb)s MB.") % {"mb": max_bytes() // (1024 * 1024)},
        )
    if upload is None:
        return _page(request, status=400, error=_("Choose a PDF file to check."))
    data = upload.read()
    upload.close()
    result = verify_pdf(data)
    del data
    status = 200 if result.is_pdf and result.readable else 400
    return _page(request, status=status, result=result)
