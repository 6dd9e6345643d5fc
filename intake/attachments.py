"""Check reporters' attachments by content and strip identifying metadata before they are sealed.

``inspect_and_clean(upload)`` copies the upload into a nameless temporary file (it never appears in a
directory listing and vanishes when closed, also when the process dies), asks libmagic what it really is,
rejects what is not accepted, and cleans it into a second nameless temporary file. The result streams the
cleaned bytes in pieces of at most 64 KiB, so memory stays flat however large the file is.

Nothing identifying leaves silently: a file the cleaner cannot clean completely (damaged, too large to decode,
a legacy Office format, a video FFmpeg cannot copy) is refused with a message naming it, unless the reporter
chose to send such files as they are (``send_uncleaned``); it is then kept byte for byte and flagged
(``metadata_removed=False``) for the reporter's receipt and the officer's case page.

File names and contents are never logged. The exception args never carry them either; only the ``message``
shown to the reporter names a refused file.
"""

from __future__ import annotations

import functools
import logging
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import BinaryIO

import magic
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from intake import metadata, video, voice, zip_limits

logger = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
MAX_NAME_LENGTH = 200


class RejectedAttachment(Exception):
    """An attachment that is not accepted; ``message`` is translated and safe to show the reporter.

    ``code`` says why, for API clients: ``type``, ``empty``, ``too_large``, ``count`` or ``uncleanable`` (then
    ``file_name`` is the cleaned-up name the message shows), or for a recording to disguise ``voice_type``,
    ``voice_unreadable``, ``voice_too_long``, ``voice_too_slow``.
    """

    def __init__(self, message: str, *, code: str = "invalid", file_name: str = "") -> None:
        super().__init__(code)  # the args may reach a log: the code only, never the message naming the file
        self.message = message
        self.code = code
        self.file_name = file_name


class _FileChunks(Iterator[bytes]):
    """Iterate over a temporary file in pieces of at most ``CHUNK_SIZE`` bytes; close it at the end."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream: BinaryIO | None = stream
        stream.seek(0)

    def __iter__(self) -> _FileChunks:
        return self

    def __next__(self) -> bytes:
        if self._stream is None:
            raise StopIteration
        piece = self._stream.read(CHUNK_SIZE)
        if not piece:
            self.close()
            raise StopIteration
        return piece

    def close(self) -> None:
        """Close (and so delete) the temporary file; safe to call more than once."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def __del__(self) -> None:
        self.close()


@dataclass
class CleanAttachment:
    """A checked, cleaned attachment ready for ``vault.services.store_attachment(chunks=...)``.

    ``chunks`` can be read once. ``metadata_removed`` is False only when the reporter chose to send a file the
    cleaner could not clean as it is: the receipt and the officer's case page list it.
    """

    chunks: Iterator[bytes]
    content_type: str
    original_name: str
    size: int | None
    metadata_removed: bool
    _source: _FileChunks | None = field(default=None, repr=False, compare=False)

    def close(self) -> None:
        """Release the temporary file if the chunks were not read to the end."""
        if self._source is not None:
            self._source.close()


@dataclass(frozen=True)
class FileKind:
    """An accepted kind of file: its content type, usual name suffixes and its cleaner (None: kept as is)."""

    content_type: str
    suffixes: tuple[str, ...]
    cleaner: Callable[[BinaryIO, BinaryIO], object] | None


def _image(content_type: str, *suffixes: str) -> FileKind:
    return FileKind(content_type, suffixes, functools.partial(_clean_image, content_type=content_type))


def _clean_image(source: BinaryIO, target: BinaryIO, *, content_type: str) -> str:
    max_pixels = getattr(settings, "PELUIT_MAX_IMAGE_PIXELS", metadata.DEFAULT_MAX_IMAGE_PIXELS)
    return metadata.clean_image(source, target, content_type=content_type, max_pixels=max_pixels)


def _remuxed(content_type: str, *suffixes: str, detected: str = "") -> FileKind:
    """Return a kind cleaned by writing its MP4-family container again (video, and M4A sound)."""
    return FileKind(content_type, suffixes, functools.partial(_remux, content_type=detected or content_type))


def _remux(source: BinaryIO, target: BinaryIO, *, content_type: str) -> bool:
    video.remux(source, target, content_type=content_type)
    return True


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
_ODT = "application/vnd.oasis.opendocument.text"
_ODS = "application/vnd.oasis.opendocument.spreadsheet"
_ODP = "application/vnd.oasis.opendocument.presentation"
_TEXT = FileKind("text/plain", (".txt", ".text", ".csv", ".log", ".md"), lambda s, t: metadata.copy_stream(s, t))
_WAV = FileKind("audio/wav", (".wav",), metadata.clean_wav)
_OGG = FileKind("audio/ogg", (".ogg", ".oga", ".opus"), metadata.clean_ogg)
_M4A = _remuxed("audio/mp4", ".m4a", ".mp4", ".aac")

# Content types as libmagic reports them -> what we accept them as.
ACCEPTED: dict[str, FileKind] = {
    "image/jpeg": _image("image/jpeg", ".jpg", ".jpeg", ".jpe"),
    "image/png": _image("image/png", ".png"),
    "image/gif": _image("image/gif", ".gif"),
    "image/webp": _image("image/webp", ".webp"),
    "image/heic": _image("image/heic", ".heic", ".heif"),
    "image/heif": _image("image/heif", ".heif", ".heic"),
    "application/pdf": FileKind("application/pdf", (".pdf",), metadata.clean_pdf),
    _DOCX: FileKind(_DOCX, (".docx",), metadata.clean_office_zip),
    _XLSX: FileKind(_XLSX, (".xlsx",), metadata.clean_office_zip),
    _PPTX: FileKind(_PPTX, (".pptx",), metadata.clean_office_zip),
    _ODT: FileKind(_ODT, (".odt",), metadata.clean_office_zip),
    _ODS: FileKind(_ODS, (".ods",), metadata.clean_office_zip),
    _ODP: FileKind(_ODP, (".odp",), metadata.clean_office_zip),
    "application/msword": FileKind("application/msword", (".doc",), None),
    "application/vnd.ms-excel": FileKind("application/vnd.ms-excel", (".xls",), None),
    "application/vnd.ms-powerpoint": FileKind("application/vnd.ms-powerpoint", (".ppt",), None),
    "text/rtf": FileKind("application/rtf", (".rtf",), None),
    "audio/mpeg": FileKind("audio/mpeg", (".mp3",), metadata.clean_mp3),
    "audio/x-m4a": _M4A,
    "audio/mp4": _M4A,
    "audio/ogg": _OGG,
    "application/ogg": _OGG,
    "audio/x-wav": _WAV,
    "audio/wav": _WAV,
    "audio/vnd.wave": _WAV,
    "video/mp4": _remuxed("video/mp4", ".mp4", ".m4v"),
    "video/x-m4v": _remuxed("video/mp4", ".m4v", ".mp4", detected="video/x-m4v"),
    "video/quicktime": _remuxed("video/quicktime", ".mov", ".qt"),
    "video/3gpp": _remuxed("video/3gpp", ".3gp"),
    "video/3gpp2": _remuxed("video/3gpp2", ".3g2"),
}
# Text that a browser or an office program would run or render is still accepted, but only as plain text.
_TEXT_PREFIX = "text/"

# libmagic calls an Office package a zip when its parts are in an unusual order: look inside.
_ZIP_TYPES = {"application/zip", "application/x-zip", "application/x-zip-compressed", "application/octet-stream"}
_OOXML_MAIN_PARTS = {
    "word/document.xml": _DOCX,
    "xl/workbook.xml": _XLSX,
    "ppt/presentation.xml": _PPTX,
}
_OOXML_MAIN_TYPES = {
    _DOCX: b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    _XLSX: b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    _PPTX: b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}


# The parts read to tell Office packages apart are small; larger ones are not what they claim.
_MAX_MIMETYPE_PART = 256
_MAX_CONTENT_TYPES_PART = 1024 * 1024


def _office_type_inside(stream: BinaryIO) -> str | None:
    """Return the Office content type of a zip package, or None when it is some other zip.

    Every read is bounded (``intake.zip_limits``): a package that breaks a bound is not recognised here, and
    the cleaner refuses it later.
    """
    try:
        with zip_limits.open_zip(stream) as package:
            names = set(package.namelist())
            if "mimetype" in names:
                declared = zip_limits.read_member(package, "mimetype", limit=_MAX_MIMETYPE_PART)
                text = declared.decode("ascii", "replace").strip()
                return text if text in {_ODT, _ODS, _ODP} else None
            if "[Content_Types].xml" in names:
                types = zip_limits.read_member(package, "[Content_Types].xml", limit=_MAX_CONTENT_TYPES_PART)
                for part, content_type in _OOXML_MAIN_PARTS.items():
                    if part in names and _OOXML_MAIN_TYPES[content_type] in types:
                        return content_type
    except Exception:  # any damage to the zip, or a broken bound, means it is not an Office document we read
        return None
    finally:
        stream.seek(0)
    return None


def _kind_of(stream: BinaryIO) -> FileKind:
    """Return the accepted kind of the file in ``stream`` judged by its content, or raise RejectedAttachment."""
    stream.seek(0)
    try:
        detected = magic.from_descriptor(stream.fileno(), mime=True)
    except magic.MagicException as exc:
        raise _wrong_type() from exc
    finally:
        stream.seek(0)
    if detected in _ZIP_TYPES or (detected in ACCEPTED and detected.startswith("application/vnd.")):
        inner = _office_type_inside(stream)
        if inner is not None:
            return ACCEPTED[inner]
        if detected in _ZIP_TYPES:
            raise _wrong_type()
    if detected in ACCEPTED:
        return ACCEPTED[detected]
    if detected.startswith(_TEXT_PREFIX):
        return _TEXT
    raise _wrong_type()


def _wrong_type() -> RejectedAttachment:
    return RejectedAttachment(
        _(
            "This type of file is not accepted. You can attach photos (JPEG, PNG, GIF, WebP, HEIC), PDF, "
            "Office documents (Word, Excel, PowerPoint, OpenDocument), plain text, audio (MP3, M4A, OGG, WAV) "
            "and video (MP4, MOV, 3GP)."
        ),
        code="type",
    )


def _too_large(limit: int) -> RejectedAttachment:
    return RejectedAttachment(
        _("The file is larger than the limit of %(limit)s.") % {"limit": filesizeformat(limit)},
        code="too_large",
    )


def max_attachment_bytes() -> int:
    """Return the largest accepted attachment size in bytes (setting ``PELUIT_MAX_ATTACHMENT_BYTES``)."""
    return int(settings.PELUIT_MAX_ATTACHMENT_BYTES)


def max_attachments() -> int:
    """Return how many files one submission or message may carry (setting ``PELUIT_MAX_ATTACHMENTS``)."""
    return int(settings.PELUIT_MAX_ATTACHMENTS)


def check_attachment_count(n: int) -> None:
    """Raise RejectedAttachment when ``n`` files are more than one submission may carry."""
    limit = max_attachments()
    if n > limit:
        raise RejectedAttachment(
            ngettext(
                "You can attach at most %(limit)d file.",
                "You can attach at most %(limit)d files.",
                limit,
            )
            % {"limit": limit},
            code="count",
        )


def safe_name(name: str, kind: FileKind) -> str:
    """Return ``name`` without folders or control characters, shortened, ending in a suffix fitting ``kind``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".") or "attachment"
    suffix = PurePosixPath(base).suffix.lower()
    if suffix not in kind.suffixes:
        base = f"{base}{kind.suffixes[0]}"
        suffix = kind.suffixes[0]
    if len(base) > MAX_NAME_LENGTH:
        base = base[: MAX_NAME_LENGTH - len(suffix)] + suffix
    return base


def _temporary_file() -> BinaryIO:
    """Return a nameless temporary file in ``FILE_UPLOAD_TEMP_DIR``; it is gone once closed."""
    return tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)


def _spool(upload: UploadedFile[bytes], limit: int) -> BinaryIO:
    """Copy ``upload`` into a temporary file, refusing empty files and files over ``limit`` bytes."""
    copy = _temporary_file()
    try:
        total = 0
        for piece in upload.chunks(CHUNK_SIZE):
            total += len(piece)
            if total > limit:
                raise _too_large(limit)
            copy.write(piece)
        if total == 0:
            raise RejectedAttachment(_("The file is empty."), code="empty")
        copy.flush()
        copy.seek(0)
        return copy
    except BaseException:
        copy.close()
        raise


# The label of the reporter's choice, on the forms and in the refusal message that points to it.
SEND_UNCLEANED_LABEL = gettext_lazy("Send files that cannot be cleaned as they are")
# The same choice in the JSON API: a field, which the API's refusal names instead of the forms' checkbox.
SEND_UNCLEANED_FIELD = "send_uncleaned"


def uncleanable_message(names: list[str], *, api: bool = False) -> str:
    """Return the refusal of the files ``names`` that could not be cleaned, pointing to the reporter's choice: the
    forms' checkbox, or with ``api`` the JSON API's ``send_uncleaned`` field."""
    quoted = ", ".join(f"“{name}”" for name in names)
    if api:
        return ngettext(
            "%(names)s cannot be cleaned: it may still show where, when or with which device it was made, or who "
            "made it, so it was not accepted. Remove it, or send it anyway with %(field)s=true. Nothing has been "
            "saved.",
            "%(names)s cannot be cleaned: they may still show where, when or with which device they were made, or "
            "who made them, so they were not accepted. Remove them, or send them anyway with %(field)s=true. "
            "Nothing has been saved.",
            len(names),
        ) % {"names": quoted, "field": SEND_UNCLEANED_FIELD}
    return ngettext(
        "%(names)s cannot be cleaned: it may still show where, when or with which device it was made, or who "
        "made it, so it was not accepted. Remove it, or tick “%(choice)s” to send it anyway. Nothing has been "
        "saved.",
        "%(names)s cannot be cleaned: they may still show where, when or with which device they were made, or "
        "who made them, so they were not accepted. Remove them, or tick “%(choice)s” to send them anyway. "
        "Nothing has been saved.",
        len(names),
    ) % {"names": quoted, "choice": SEND_UNCLEANED_LABEL}


def _clean(kind: FileKind, original: BinaryIO) -> tuple[BinaryIO, str, bool]:
    """Return (file to send, its content type, whether metadata was removed); closes what it does not return.

    A file that cannot be cleaned completely comes back as it was, with False.
    """
    if kind.cleaner is None:
        return original, kind.content_type, False
    cleaned = _temporary_file()
    try:
        outcome = kind.cleaner(original, cleaned)
    except Exception as exc:  # hostile input makes parsers raise anything: the file cannot be cleaned
        logger.info("attachment of type %s cannot be cleaned (%s)", kind.content_type, type(exc).__name__)
        cleaned.close()
        return original, kind.content_type, False
    if outcome is False:
        cleaned.close()
        return original, kind.content_type, False
    original.close()
    cleaned.flush()
    content_type = outcome if isinstance(outcome, str) else kind.content_type
    return cleaned, content_type, True


def _disguise(kind: FileKind, original: BinaryIO, budget: voice.VoiceBudget) -> tuple[BinaryIO, str, bool]:
    """Return the recording in ``original`` with the voice disguised, as WAV; closes ``original``."""
    try:
        if not kind.content_type.startswith("audio/"):
            raise RejectedAttachment(
                _("Only audio recordings (MP3, M4A, OGG, WAV) can be disguised."), code="voice_type"
            )
        disguised = _temporary_file()
        try:
            voice.disguise_voice(original, disguised, budget=budget)
        except voice.CannotDisguise as exc:
            disguised.close()
            raise RejectedAttachment(exc.message, code=exc.code) from exc
        except BaseException:
            disguised.close()
            raise
    finally:
        original.close()
    return disguised, "audio/wav", True


def inspect_and_clean(
    upload: UploadedFile[bytes], *, send_uncleaned: bool = False, disguise: voice.VoiceBudget | None = None
) -> CleanAttachment:
    """Check an uploaded file by its content and return it cleaned of identifying metadata.

    Raises RejectedAttachment (with a translated ``message``) for an empty file, a file over
    ``PELUIT_MAX_ATTACHMENT_BYTES`` or a type that is not accepted, whatever its name says, and (code
    ``uncleanable``, the message naming the file) for a file that cannot be cleaned completely, unless
    ``send_uncleaned``: such a file is then returned exactly as it came, with ``metadata_removed=False``.
    With ``disguise`` (the submission's voice budget) the file must be an audio recording of the reporter's
    own voice: it comes back disguised as WAV (``intake/voice.py``), or is refused when it cannot be decoded.
    """
    limit = max_attachment_bytes()
    if upload.size is not None and upload.size > limit:
        raise _too_large(limit)
    original = _spool(upload, limit)
    try:
        kind = _kind_of(original)
    except BaseException:
        original.close()
        raise
    if disguise is not None:
        stream, content_type, removed = _disguise(kind, original, disguise)
    else:
        stream, content_type, removed = _clean(kind, original)
    name = safe_name(upload.name or "", ACCEPTED.get(content_type, kind))
    if not removed and not send_uncleaned:
        stream.close()
        raise RejectedAttachment(uncleanable_message([name]), code="uncleanable", file_name=name)
    stream.seek(0, 2)
    size = stream.tell()
    chunks = _FileChunks(stream)
    return CleanAttachment(
        chunks=chunks,
        content_type=content_type,
        original_name=name,
        size=size,
        metadata_removed=removed,
        _source=chunks,
    )
