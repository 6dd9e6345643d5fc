"""A case's files opened inside the console: the decrypted bytes (bounded) and one page drawn as a picture.

Viewing shows pictures drawn on the server (``casework.cases.preview``), never the file itself. The audited
use cases (a page viewed, a file downloaded) are ``casework.cases.services.attachment_page_view`` and
``attachment_download``; this module holds what they read and return.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.conf import settings

from casework.cases import preview, sealed
from casework.cases.models import CaseAttachment
from vault import services as vault


@dataclass(frozen=True)
class FilePreview:
    """What the viewer page shows: the file's name, one page drawn as a PNG, and how many pages can be viewed."""

    attachment: CaseAttachment
    name: str
    page: int
    pages: int  # pages that can be viewed here (at most preview.MAX_PAGES)
    total_pages: int
    picture: bytes  # PNG

    @property
    def data_uri(self) -> str:
        """The picture as a ``data:`` URI for an ``<img>`` (allowed by the CSP; no second request)."""
        return "data:image/png;base64," + base64.b64encode(self.picture).decode("ascii")

    @property
    def previous_page(self) -> int | None:
        """The page before this one, if any."""
        return self.page - 1 if self.page > 1 else None

    @property
    def next_page(self) -> int | None:
        """The page after this one, if it can be viewed."""
        return self.page + 1 if self.page < self.pages else None

    @property
    def truncated(self) -> bool:
        """True when the document has more pages than can be viewed here."""
        return self.total_pages > self.pages


def max_image_pixels() -> int:
    """Return the largest image (in source pixels) that is decoded for viewing: the intake limit."""
    return int(getattr(settings, "PELUIT_MAX_IMAGE_PIXELS", 120_000_000))


def read_plaintext(*, keyring: vault.Keyring, attachment: CaseAttachment, meta: sealed.AttachmentMeta) -> bytes:
    """Return the decrypted file in memory, for rendering; ``CannotPreview("too_large")`` beyond the bound.

    Raises the vault's ``AccessDenied`` and ``CorruptCiphertext`` like any opening.
    """
    if not preview.previewable(meta.content_type):
        raise preview.CannotPreview("type")
    if meta.size > preview.MAX_SOURCE_BYTES:
        raise preview.CannotPreview("too_large")
    parts: list[bytes] = []
    total = 0
    for chunk in sealed.open_attachment_content(access=keyring, attachment=attachment):
        total += len(chunk)
        if total > preview.MAX_SOURCE_BYTES:  # the stored size lied: stop reading
            raise preview.CannotPreview("too_large")
        parts.append(chunk)
    return b"".join(parts)
