"""Signed PDFs the public may download: the service standard.

Signing writes an audit event and takes a moment, so a public link must not make a new PDF on every request.
The PDF is made once per version of the standard (its content and language: a changed deadline rule or
pledge is a new version) by the system, and kept under ``MEDIA_ROOT/public/``; later requests read that file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.utils import translation

from reports import service_standard
from reports.kinds import ExportKind
from reports.management.commands.export_report import write_whole
from reports.services import ExportRequest, make_export


def _version(language: str) -> str:
    with translation.override(language):
        content = {
            "standards": [dataclasses.asdict(s) for s in service_standard.service_standards()],
            "pledge": service_standard.service_pledge(),
            "institution": settings.PELUIT_INSTITUTION_NAME,
            "language": language,
        }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:32]


def service_standard_pdf(*, language: str) -> bytes:
    """Return the signed PDF of today's service standard in ``language`` (made when this version is new).

    Raises ``ReportError`` (e.g. ``SigningUnavailable``) when it cannot be made.
    """
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    folder = Path(settings.MEDIA_ROOT) / "public"
    path = folder / f"service-standard-{_version(language)}.pdf"
    if path.is_file():
        return path.read_bytes()
    result = make_export(request=ExportRequest(kind=ExportKind.SERVICE_STANDARD), actor="system", language=language)
    folder.mkdir(parents=True, exist_ok=True)
    write_whole(path, result.signed.data, private=False)
    return result.signed.data
