"""Remove identifying metadata from attachments: one cleaner per file family.

A cleaner reads ``source`` (a seekable binary file) and writes the cleaned file into ``target`` (an empty,
seekable binary file). It returns True when every metadata store it knows of was removed and False when
it had to leave part of the file as it was. It raises :class:`CannotClean`, or whatever the parsing
library raises, when the file cannot be parsed. Either way the file cannot be cleaned: it is refused, unless the
reporter chose to send such files as they are (``intake.attachments``).

Nothing here logs, and no exception raised here carries file content or names.
"""

from __future__ import annotations

import re
import shutil
import struct
import zipfile
from collections.abc import Callable, Iterator
from typing import BinaryIO

import mutagen
import mutagen.apev2
import mutagen.mp3
import mutagen.oggflac
import mutagen.oggopus
import mutagen.oggspeex
import mutagen.oggvorbis
import pikepdf
import pillow_heif
from PIL import Image, ImageOps, ImageSequence

from intake import zip_limits

pillow_heif.register_heif_opener()

COPY_CHUNK = 64 * 1024

# A decoded image needs about 4 bytes a pixel; past this many pixels (all frames together) it cannot be cleaned.
DEFAULT_MAX_IMAGE_PIXELS = 120_000_000
# Frames of an animation: each costs time to decode and re-encode however small it is (a 30 s GIF at 25 frames
# a second has 750).
MAX_IMAGE_FRAMES = 2_000
# XML parts up to this size are rewritten in memory; larger ones are copied and the file flagged.
MAX_REWRITTEN_XML_PART = 32 * 1024 * 1024

Cleaner = Callable[[BinaryIO, BinaryIO], bool]


class CannotClean(Exception):
    """The file is of an accepted type but this cleaner cannot rewrite it."""


def copy_stream(source: BinaryIO, target: BinaryIO) -> None:
    """Copy ``source`` from its start into ``target`` in 64 KiB pieces."""
    source.seek(0)
    shutil.copyfileobj(source, target, COPY_CHUNK)


# --- Embedded pictures (inside PDF and Office files): lossless, byte-level ----------------------------

# JPEG markers kept: JFIF (APP0) and Adobe (APP14, needed for the colours of CMYK pictures). Every other
# APPn segment (EXIF and GPS, XMP, ICC, IPTC, maker data) and comments go.
_JPEG_KEPT_APPS = {0xE0, 0xEE}


def strip_jpeg(data: bytes) -> bytes:
    """Return the JPEG ``data`` without metadata segments or anything after its end; pixels untouched."""
    if not data.startswith(b"\xff\xd8"):
        raise CannotClean("not a JPEG")
    out = bytearray(b"\xff\xd8")
    i, end = 2, len(data)
    while i + 1 < end:
        if data[i] != 0xFF:
            raise CannotClean("bad JPEG marker")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:  # end of image: anything after it (e.g. a motion-photo video) is dropped
            out += b"\xff\xd9"
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += data[i : i + 2]
            i += 2
            continue
        if i + 4 > end:
            raise CannotClean("truncated JPEG")
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        segment_end = i + 2 + length
        if length < 2 or segment_end > end:
            raise CannotClean("truncated JPEG segment")
        keep = not (0xE0 <= marker <= 0xEF or marker == 0xFE) or marker in _JPEG_KEPT_APPS
        if keep:
            out += data[i:segment_end]
        i = segment_end
        if marker == 0xDA:  # start of scan: copy the entropy-coded data up to the next real marker
            scan = i
            while scan + 1 < end and not (data[scan] == 0xFF and data[scan + 1] not in (0x00, *range(0xD0, 0xD8))):
                scan += 1
            out += data[i:scan]
            i = scan
    raise CannotClean("JPEG without end marker")


# PNG chunks that carry text, dates, EXIF or colour profiles naming a device.
_PNG_DROPPED_CHUNKS = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME", b"iCCP", b"dSIG"}


def strip_png(data: bytes) -> bytes:
    """Return the PNG ``data`` without text, time, EXIF and profile chunks; pixels untouched."""
    signature = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(signature):
        raise CannotClean("not a PNG")
    out = bytearray(signature)
    i = len(signature)
    while i + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[i : i + 8])
        chunk_end = i + 12 + length
        if chunk_end > len(data):
            raise CannotClean("truncated PNG chunk")
        if kind not in _PNG_DROPPED_CHUNKS:
            out += data[i:chunk_end]
        i = chunk_end
        if kind == b"IEND":
            return bytes(out)
    raise CannotClean("PNG without end chunk")


def strip_picture(name: str, data: bytes) -> bytes | None:
    """Return a picture part stripped of metadata by its name's suffix, or None when it is not a picture."""
    lower = name.lower()
    if lower.endswith((".jpg", ".jpeg", ".jpe", ".jfif")):
        return strip_jpeg(data)
    if lower.endswith(".png"):
        return strip_png(data)
    return None


# --- Images (Pillow; HEIC through pillow-heif) -------------------------------------------------------

# Pillow format names accepted for each image content type, and how each is written back.
IMAGE_FORMATS = {
    "image/jpeg": ("JPEG", "MPO"),
    "image/png": ("PNG",),
    "image/gif": ("GIF",),
    "image/webp": ("WEBP",),
    "image/heic": ("HEIF",),
    "image/heif": ("HEIF",),
}
# Image info kept on re-encoding: how the picture looks and moves, nothing about where it came from.
_KEPT_IMAGE_INFO = ("transparency", "duration", "loop", "background", "disposal", "dpi")


def _bare_copy(frame: Image.Image) -> Image.Image:
    """Return a copy of ``frame`` whose info holds only what rendering needs."""
    copy = frame.copy()
    copy.info = {key: frame.info[key] for key in _KEPT_IMAGE_INFO if key in frame.info}
    return copy


def _frames_within_budget(image: Image.Image, *, max_pixels: int) -> Iterator[Image.Image]:
    """Yield bare copies of the frames of ``image`` one at a time, within the pixel and frame budgets.

    Every frame is decoded onto the whole canvas, so each counts as width x height pixels. Raises CannotClean
    as soon as the frames so far exceed ``max_pixels`` or ``MAX_IMAGE_FRAMES``, before decoding the next one:
    the frame count is never asked for up front (for a GIF that means reading every frame).
    """
    canvas = image.width * image.height
    for index, frame in enumerate(ImageSequence.Iterator(image)):
        if index >= MAX_IMAGE_FRAMES or (index + 1) * canvas > max_pixels:
            raise CannotClean("animation too large to re-encode")
        yield _bare_copy(frame)


def clean_image(source: BinaryIO, target: BinaryIO, *, content_type: str, max_pixels: int) -> str:
    """Re-encode an image without EXIF, GPS, XMP, ICC profile or comments; return the new content type.

    The EXIF orientation is applied to the pixels first, so the picture still shows the right way up.
    Animated GIF, WebP and PNG keep their frames, streamed one by one into the writer; frames x pixels count
    against ``max_pixels``. HEIC/HEIF is written as JPEG.
    """
    source.seek(0)
    with Image.open(source, formats=IMAGE_FORMATS[content_type]) as image:
        if image.width * image.height > max_pixels:
            raise CannotClean("image too large to re-encode")
        # is_animated looks for a second frame only; n_frames would read them all.
        animated = image.format in {"GIF", "WEBP", "PNG"} and getattr(image, "is_animated", False)
        if animated:
            frames = _frames_within_budget(image, max_pixels=max_pixels)
            first = next(frames)
            # Pillow's GIF writer pulls the frames one at a time; its PNG and WebP writers go over the list more
            # than once, so those get a list (still within the budget, checked while it is built).
            rest: Iterator[Image.Image] | list[Image.Image] = frames if image.format == "GIF" else list(frames)
            first.save(
                target,
                format=image.format,
                save_all=True,
                append_images=rest,
                **({"quality": 90} if image.format == "WEBP" else {}),
            )
            return content_type
        image.load()
        # In place and without copies: a 24-megapixel photo already takes about 70 MiB decoded.
        ImageOps.exif_transpose(image, in_place=True)
        image.info = {key: image.info[key] for key in _KEPT_IMAGE_INFO if key in image.info}
        upright: Image.Image = image
        if image.format in {"JPEG", "MPO", "HEIF"}:
            if upright.mode not in {"L", "RGB", "CMYK"}:
                upright = upright.convert("RGB")
            upright.save(target, format="JPEG", quality=92, exif=b"", icc_profile=None)
            return "image/jpeg"
        if image.format == "WEBP":
            upright.save(target, format="WEBP", quality=90, exif=b"", icc_profile=None, xmp="")
            return content_type
        upright.save(target, format=image.format)
        return content_type


# --- PDF (pikepdf) ----------------------------------------------------------------------------------

# The one action a reporter's PDF keeps: a jump to a place inside the same document. Every other type (URI,
# Launch, GoToR and GoToE, SubmitForm, ImportData, JavaScript, Rendition, Named, Thread, Sound, Movie, Hide,
# SetOCGState, ...) reaches outside the file, runs code or changes the document, and is removed.
_KEPT_ACTION = "/GoTo"
# Keys whose value is an action: annotations and outline items (/A), the document (/OpenAction, which may also be
# a plain destination array), and a link's former URI action (/PA).
_ACTION_KEYS = ("/A", "/OpenAction", "/PA")
# An action chain (/Next) deeper than this is cut; real documents chain one or two actions.
_MAX_ACTION_CHAIN = 32
# Dictionary keys that hold metadata, scripts, additional (triggered) actions or embedded files.
_PDF_DROPPED_KEYS = ("/AA", "/JS", "/Metadata", "/PieceInfo", "/EF", "/LastModified")
# Annotations that embed files or media (which carry their own metadata) are removed from the pages.
_DROPPED_ANNOTATIONS = {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}


def _keep_action(action: object, depth: int = 0) -> bool:
    """Return whether ``action`` is an internal GoTo; prune its /Next chain to internal GoTo actions as well."""
    if depth > _MAX_ACTION_CHAIN or not isinstance(action, pikepdf.Dictionary):
        return False
    if action.get("/S") != _KEPT_ACTION:
        return False
    if "/Next" in action:
        chained = action.Next
        items = list(chained) if isinstance(chained, pikepdf.Array) else [chained]
        kept = [item for item in items if _keep_action(item, depth + 1)]
        if not kept:
            del action["/Next"]
        elif len(kept) != len(items):
            action.Next = pikepdf.Array(kept)
    return True


def _scrub_pdf_object(obj: object, depth: int = 0) -> None:
    """Remove scripts, actions other than internal GoTo, metadata streams and embedded files from ``obj``.

    Direct children are visited here; indirect ones are visited on their own by the caller, which walks every
    object of the file. An indirect action dictionary of another type is emptied wherever it is referenced from.
    """
    if depth > 64:
        return
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        for key in _PDF_DROPPED_KEYS:
            if key in obj:
                del obj[key]
        for key in _ACTION_KEYS:
            if key in obj and isinstance(obj[key], pikepdf.Dictionary) and not _keep_action(obj[key]):
                del obj[key]
        if obj.get("/Type") == "/Action" and not _keep_action(obj):
            for key in list(obj.keys()):
                del obj[key]
        children = [obj[key] for key in list(obj.keys())]
    elif isinstance(obj, pikepdf.Array):
        children = list(obj)
    else:
        return
    for child in children:
        if isinstance(child, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream) and not child.is_indirect:
            _scrub_pdf_object(child, depth + 1)


# qpdf keeps rewritten streams in memory until the file is saved: past this many bytes of rewritten
# pictures, the rest are left as they are and the file is flagged.
MAX_PDF_REWRITTEN_PICTURES = 64 * 1024 * 1024


def _strip_pdf_jpeg(obj: object, budget: list[int]) -> bool:
    """Strip metadata segments from a JPEG image stream; return False if one had to be left as it was.

    ``budget`` holds the bytes that may still be rewritten in memory; it is reduced by what is used.
    """
    if not (isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"):
        return True
    filters = obj.get("/Filter")
    names = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [str(filters)]
    if names != ["/DCTDecode"]:
        return True
    if "/Length" in obj and int(obj.Length) > budget[0]:
        return False
    raw = obj.read_raw_bytes()
    try:
        stripped = strip_jpeg(raw)
    except CannotClean:
        return False
    if stripped != raw:
        if len(stripped) > budget[0]:
            return False
        budget[0] -= len(stripped)
        parms = obj.get("/DecodeParms")
        kept_parms = parms if isinstance(parms, pikepdf.Dictionary | pikepdf.Array) else None
        obj.write(stripped, filter=pikepdf.Name.DCTDecode, decode_parms=kept_parms)
    return True


def clean_pdf(source: BinaryIO, target: BinaryIO) -> bool:
    """Write the PDF again without document info, XMP, scripts, actions other than internal jumps, or embedded files.

    Actions are removed wherever a reader would run them: document open and additional actions, links and other
    annotations, form fields, outline entries, and every action chained behind another with /Next.

    JPEG pictures inside keep their pixels but lose their EXIF (GPS, camera) and XMP segments.
    """
    source.seek(0)
    complete = True
    budget = [MAX_PDF_REWRITTEN_PICTURES]
    with pikepdf.open(source) as pdf:
        for key in ("/Info", "/ID"):
            if key in pdf.trailer:
                del pdf.trailer[key]
        root = pdf.Root
        for key in ("/AA", "/Metadata", "/PieceInfo", "/Threads", "/SpiderInfo"):
            if key in root:
                del root[key]
        if "/Names" in root:
            for key in ("/JavaScript", "/EmbeddedFiles", "/Renditions"):
                if key in root.Names:
                    del root.Names[key]
        if "/AcroForm" in root and "/XFA" in root.AcroForm:
            del root.AcroForm["/XFA"]
        for page in pdf.pages:
            if "/Annots" in page.obj:
                kept = [a for a in page.obj.Annots if a.get("/Subtype") not in _DROPPED_ANNOTATIONS]
                page.obj.Annots = pdf.make_indirect(pikepdf.Array(kept))
        for obj in pdf.objects:
            _scrub_pdf_object(obj)
            complete = _strip_pdf_jpeg(obj, budget) and complete
        # deterministic_id: a new file identifier computed from the content, not the reporter's original.
        pdf.save(target, deterministic_id=True, fix_metadata_version=False)
    return complete


# --- Office documents: OOXML (docx, xlsx, pptx) and ODF (odt, ods, odp) -----------------------------

_EMPTY_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
    b' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
    b' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
)
_EMPTY_APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>'
)
_EMPTY_CUSTOM = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>'
)
_EMPTY_ODF_META = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    b' xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
    b' xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.2"><office:meta/></office:document-meta>'
)
_REPLACED_PARTS = {
    "docProps/core.xml": _EMPTY_CORE,
    "docProps/app.xml": _EMPTY_APP,
    "docProps/custom.xml": _EMPTY_CUSTOM,
    "meta.xml": _EMPTY_ODF_META,
}


def _blank_attributes(*names: str) -> Callable[[bytes], bytes]:
    pattern = re.compile(rb"(\s(?:[\w.-]+:)?(?:" + b"|".join(n.encode() for n in names) + rb')=)("[^"]*"|\'[^\']*\')')
    return lambda data: pattern.sub(rb'\1""', data)


def _blank_elements(*names: str) -> Callable[[bytes], bytes]:
    pattern = re.compile(rb"(<(" + b"|".join(re.escape(n.encode()) for n in names) + rb")(?:\s[^>]*)?>)[^<]*(</\2>)")
    return lambda data: pattern.sub(rb"\1\3", data)


_FILE_TARGET = re.compile(rb'(\sTarget=")(?:file:|\\\\)[^"]*?([^"/\\]*)(")', re.IGNORECASE)
_ODF_PRINTER = re.compile(
    rb'(<config:config-item config:name="Printer(?:Name|Setup)"[^>]*>)[^<]*(</config:config-item>)'
)

# Rewrites for the parts that name people, user accounts, printers or local paths: (part matcher, rewrite).
_XML_REWRITES: tuple[tuple[re.Pattern[str], Callable[[bytes], bytes]], ...] = (
    (re.compile(r"^word/.*\.xml$"), _blank_attributes("author", "initials", "userId", "providerId")),
    (re.compile(r"^xl/comments\d*\.xml$"), _blank_elements("author")),
    (re.compile(r"^xl/persons/.*\.xml$"), _blank_attributes("displayName", "userId", "providerId")),
    (re.compile(r"^xl/workbook\.xml$"), _blank_attributes("url", "userName")),
    (re.compile(r"^xl/revisions/.*\.xml$"), _blank_attributes("userName")),
    (re.compile(r"^ppt/(commentAuthors|authors)\.xml$"), _blank_attributes("name", "initials", "userId", "providerId")),
    (re.compile(r"^ppt/comments/.*\.xml$"), _blank_attributes("author", "initials")),
    (re.compile(r"(^|/)(content|styles)\.xml$"), _blank_elements("dc:creator", "meta:creator-initials")),
    (re.compile(r"(^|/)settings\.xml$"), lambda data: _ODF_PRINTER.sub(rb"\1\2", data)),
    (re.compile(r"\.rels$"), lambda data: _FILE_TARGET.sub(rb"\1\2\3", data)),
)


def _rewrites_for(name: str) -> list[Callable[[bytes], bytes]]:
    return [rewrite for matcher, rewrite in _XML_REWRITES if matcher.search(name)]


def _is_picture(name: str) -> bool:
    return name.lower().endswith((".jpg", ".jpeg", ".jpe", ".jfif", ".png"))


def clean_office_zip(source: BinaryIO, target: BinaryIO) -> bool:
    """Rewrite an OOXML or ODF package without its document properties and the names it records.

    Replaces docProps/core.xml, app.xml and custom.xml (OOXML) and meta.xml (ODF) by empty ones, blanks
    the author attributes of tracked changes and comments, printer names and local file paths, strips
    EXIF/XMP from the JPEG and PNG pictures inside, and drops zip comments, timestamps and extra fields.
    Part order and compression are kept (ODF needs its uncompressed ``mimetype`` first).
    """
    complete = True
    # Every part's size and compression ratio is checked before anything is unpacked (zip bombs).
    with zip_limits.open_zip(source) as zin:
        entries = zin.infolist()
        with zipfile.ZipFile(target, "w") as zout:
            for entry in entries:
                fresh = zipfile.ZipInfo(entry.filename, date_time=(1980, 1, 1, 0, 0, 0))
                fresh.compress_type = entry.compress_type
                fresh.external_attr = 0o644 << 16
                if entry.is_dir():
                    zout.writestr(fresh, b"")
                elif entry.filename in _REPLACED_PARTS:
                    zout.writestr(fresh, _REPLACED_PARTS[entry.filename])
                elif _is_picture(entry.filename) and entry.file_size <= MAX_REWRITTEN_XML_PART:
                    data = zip_limits.read_member(zin, entry, limit=MAX_REWRITTEN_XML_PART)
                    try:
                        data = strip_picture(entry.filename, data) or data
                    except CannotClean:
                        complete = False
                    zout.writestr(fresh, data)
                elif (rewrites := _rewrites_for(entry.filename)) and entry.file_size <= MAX_REWRITTEN_XML_PART:
                    data = zip_limits.read_member(zin, entry, limit=MAX_REWRITTEN_XML_PART)
                    for rewrite in rewrites:
                        data = rewrite(data)
                    zout.writestr(fresh, data)
                else:
                    complete = complete and not rewrites and not _is_picture(entry.filename)
                    with zin.open(entry) as part, zout.open(fresh, "w", force_zip64=entry.file_size > 2**31) as out:
                        shutil.copyfileobj(part, out, COPY_CHUNK)
    return complete


# --- Audio -----------------------------------------------------------------------------------------

_OGG_TYPES = (
    mutagen.oggvorbis.OggVorbis,
    mutagen.oggopus.OggOpus,
    mutagen.oggflac.OggFLAC,
    mutagen.oggspeex.OggSpeex,
)


def _tags_left(audio: mutagen.FileType) -> bool:
    tags = audio.tags
    return tags is not None and len(tags.keys()) > 0


def _clean_with_mutagen(target: BinaryIO, kinds: tuple[type[mutagen.FileType], ...]) -> bool:
    for kind in kinds:
        target.seek(0)
        try:
            audio = kind(target)
        except mutagen.MutagenError:
            continue
        target.seek(0)
        audio.delete(target)
        target.seek(0)
        return not _tags_left(kind(target))
    raise CannotClean("not a known audio stream")


def clean_mp3(source: BinaryIO, target: BinaryIO) -> bool:
    """Copy an MP3 and delete its ID3v1, ID3v2 and APEv2 tags."""
    copy_stream(source, target)
    target.seek(0)
    mutagen.apev2.delete(target)
    return _clean_with_mutagen(target, (mutagen.mp3.MP3,))


def clean_ogg(source: BinaryIO, target: BinaryIO) -> bool:
    """Copy an Ogg Vorbis, Opus, FLAC or Speex stream and delete its comments."""
    copy_stream(source, target)
    return _clean_with_mutagen(target, _OGG_TYPES)


# WAV chunks that describe the sound; everything else (LIST/INFO, id3, bext, iXML, cue labels) goes.
_WAV_KEPT_CHUNKS = {b"fmt ", b"fact", b"data"}


def clean_wav(source: BinaryIO, target: BinaryIO) -> bool:
    """Copy a RIFF/WAVE file keeping only its format, fact and sample data chunks."""
    source.seek(0, 2)
    end = source.tell()
    source.seek(0)
    riff, _size, wave = struct.unpack("<4sI4s", source.read(12))
    if riff != b"RIFF" or wave != b"WAVE":
        raise CannotClean("not RIFF/WAVE")
    target.write(b"RIFF\0\0\0\0WAVE")
    written = 4
    offset = 12
    kept = set()
    while offset + 8 <= end:
        source.seek(offset)
        chunk, size = struct.unpack("<4sI", source.read(8))
        size = min(size, end - offset - 8)
        padded = size + (size & 1)
        if chunk in _WAV_KEPT_CHUNKS:
            kept.add(chunk)
            target.write(struct.pack("<4sI", chunk, size))
            remaining = size
            while remaining:
                piece = source.read(min(COPY_CHUNK, remaining))
                if not piece:
                    raise CannotClean("truncated chunk")
                target.write(piece)
                remaining -= len(piece)
            if size & 1:
                target.write(b"\0")
            written += 8 + padded
        offset += 8 + padded
    if not {b"fmt ", b"data"} <= kept:
        raise CannotClean("no format or data chunk")
    target.seek(4)
    target.write(struct.pack("<I", written))
    target.seek(0, 2)
    return True
