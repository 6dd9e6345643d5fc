"""Rendering: a Django template with print CSS becomes a PDF/A-3b document through WeasyPrint.

Nothing is fetched while rendering: the logo is inlined as a ``data:`` URI and the URL fetcher refuses every
other URL, so a template (or text inside it) can never make the server reach another host. Fonts are the
system's DejaVu (Debian ``fonts-dejavu-core``), embedded in the PDF.

PDF/A-3b rather than PDF/A-2b: the two have the same requirements except that PDF/A-2 allows only PDF/A
files as attachments, and every export attaches its audit checkpoint as text (docs/decisions.md).
"""

from __future__ import annotations

import base64
import functools
import io
import mimetypes
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone, translation
from PIL import ImageFile

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher


def load_weasyprint() -> Any:
    """Import WeasyPrint on first use and return the module.

    Not imported with this module: loading WeasyPrint's libraries runs ldconfig, gcc and ld dozens of times
    (cffi looks each library up under several names), about 0.4 s, and every process imports this module
    through the URL map (the letterhead). Only a process that renders a PDF pays it, once.

    WeasyPrint switches on Pillow's process-wide LOAD_TRUNCATED_IMAGES when it is imported. Intake relies on a
    truncated photo failing to decode (it is refused, not half-cleaned), and a worker that rendered an export
    also serves reporters, so the switch is put back. Exports embed no truncated images. Between the import and
    the reset the switch is on for every thread of the process, so a threaded server loads WeasyPrint before it
    serves (``config/gunicorn.py`` ``post_worker_init``).
    """
    import weasyprint
    import weasyprint.urls

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


PDF_VARIANT = "pdf/a-3b"
# A logo bigger than this is not inlined (a misconfiguration, not a reason to make huge PDFs).
MAX_LOGO_BYTES = 256 * 1024


@dataclass(frozen=True)
class PdfAttachment:
    """A file embedded in the PDF (e.g. the audit checkpoint)."""

    name: str
    data: bytes
    description: str


def _no_fetching() -> URLFetcher:
    """Return a fetcher that opens ``data:`` URIs only (the inlined logo); any other URL is refused."""
    fetcher: URLFetcher = load_weasyprint().urls.URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return fetcher


def _logo_file() -> tuple[Path, os.stat_result] | None:
    """Return the configured logo's path and status (one ``stat`` on a page: every reporter page asks), or None
    when none is configured or it is not a regular file."""
    configured = str(getattr(settings, "PELUIT_INSTITUTION_LOGO", "") or "")
    if not configured:
        return None
    if Path(configured).is_absolute():
        return _regular_file(Path(configured))
    kept = _FOUND.get(configured)
    if kept is not None:
        found = _regular_file(Path(kept))
        if found is not None:
            return found
        del _FOUND[configured]  # moved or removed: look for it again
    located = _find_static(configured)
    return _regular_file(Path(located)) if located else None


def _regular_file(path: Path) -> tuple[Path, os.stat_result] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (path, status) if stat.S_ISREG(status.st_mode) else None


# Static files found, by name: every reporter page shows the logo, and the finders walk every app's folder.
_FOUND: dict[str, str] = {}


@receiver(setting_changed)
def _forget_found(*, setting: str, **kwargs: Any) -> None:
    """Tests change where static files are found; a server never does while it runs."""
    if setting in {"STATICFILES_DIRS", "STATICFILES_FINDERS", "STATIC_ROOT", "INSTALLED_APPS"}:
        _FOUND.clear()


def _find_static(name: str) -> str | None:
    found = finders.find(name)
    if not found:
        return None
    _FOUND[name] = path = str(found if isinstance(found, str) else found[0])
    return path


def logo_data_uri() -> str:
    """Return the institution's logo as a ``data:`` URI, or "" when none is configured or readable."""
    return _logo()[0]


def _logo() -> tuple[str, str]:
    """Return the logo's ``data:`` URI and its version (file, time of change, size), or two empty strings."""
    found = _logo_file()
    if found is None:
        return "", ""
    path, status = found
    if status.st_size > MAX_LOGO_BYTES:
        return "", ""
    return _data_uri(str(path), status.st_mtime_ns, status.st_size), f"{path}:{status.st_mtime_ns}:{status.st_size}"


@functools.lru_cache(maxsize=8)
def _data_uri(path: str, modified_ns: int, size: int) -> str:
    """Return the file as a ``data:`` URI (kept per file, time of change and size: a new logo is read again)."""
    mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if mime not in {"image/svg+xml", "image/png", "image/jpeg"}:
        return ""
    return f"data:{mime};base64,{base64.b64encode(Path(path).read_bytes()).decode('ascii')}"


def institution() -> dict[str, str]:
    """Return the institution's name, logo and contact details (``PELUIT_INSTITUTION_*``) for templates.

    ``logo_version`` names the logo's file, time of change and size: pages kept with the logo in them are kept
    under it (``templates/base.html``), a short key instead of the whole logo.
    """
    logo, version = _logo()
    return {
        "name": str(getattr(settings, "PELUIT_INSTITUTION_NAME", "")),
        "logo": logo,
        "logo_version": version,
        "address": str(getattr(settings, "PELUIT_INSTITUTION_ADDRESS", "")),
        "phone": str(getattr(settings, "PELUIT_INSTITUTION_PHONE", "")),
        "email": str(getattr(settings, "PELUIT_INSTITUTION_EMAIL", "")),
        "domain": str(getattr(settings, "PELUIT_INSTITUTION_DOMAIN", "")),
    }


def render_pdf(
    *,
    template: str,
    context: dict[str, Any],
    title: str,
    attachments: Sequence[PdfAttachment] = (),
    language: str | None = None,
) -> bytes:
    """Render ``template`` with ``context`` to an unsigned PDF/A-3b document and return its bytes.

    ``language`` (default: the active one) is the language of the text; the template gets ``institution``,
    ``title`` and ``generated_at`` besides ``context``.
    """
    weasyprint = load_weasyprint()
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        html = render_to_string(
            template,
            {**context, "institution": institution(), "title": title, "generated_at": timezone.localtime()},
        )
    document = weasyprint.HTML(string=html, url_fetcher=_no_fetching(), base_url="about:blank")
    pdf: bytes = document.write_pdf(
        pdf_variant=PDF_VARIANT,
        attachments=[
            weasyprint.Attachment(
                file_obj=io.BytesIO(item.data),
                name=item.name,
                description=item.description,
                relationship="Supplement",
                url_fetcher=_no_fetching(),
            )
            for item in attachments
        ],
    )
    return pdf
