"""Bounds on reading zip packages (Office and OpenDocument files) that reporters send.

A zip states in its central directory how many parts it has and how large each is packed and unpacked.
``open_zip`` checks those figures against every bound *before* anything is decompressed: the number of parts,
each part's unpacked size, the total, and the compression ratio of large parts (a zip bomb packs a gigabyte
into a megabyte). Python's ``zipfile`` never returns more than a part's stated unpacked size, so the checked
figures also bound what a read can produce; ``read_member`` caps each read once more.

Only stored and deflated parts are accepted (all that Office and OpenDocument write): other methods, such as
bzip2, decompress an unbounded amount from one small read.
"""

from __future__ import annotations

import zipfile
from typing import BinaryIO

# An Office package has tens to a few thousand parts; each part costs memory in the directory listing.
MAX_ZIP_MEMBERS = 10_000
# The central directory itself (read whole by zipfile) stays small.
MAX_DIRECTORY_BYTES = 16 * 1024 * 1024
# What one part and all parts together may unpack to.
MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
# Text compresses about 5-20 times, repetitive spreadsheets up to about 100; bombs about 1000.
MAX_RATIO = 200
# Parts smaller than this may have any ratio: they cannot grow large.
RATIO_FREE_BYTES = 1024 * 1024

_ACCEPTED_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}


class UnsafeZip(Exception):
    """The package breaks a bound (or is not a readable zip); nothing of it was decompressed."""


def _check_directory(stream: BinaryIO) -> None:
    """Refuse a package whose end record announces too many parts or too large a directory."""
    stream.seek(0)
    # zipfile's own reader of the end record (zip64 included); it reads at most the last 64 KiB.
    end = zipfile._EndRecData(stream)  # type: ignore[attr-defined]
    if end is None:
        raise UnsafeZip("no end record")
    if end[zipfile._ECD_ENTRIES_TOTAL] > MAX_ZIP_MEMBERS:  # type: ignore[attr-defined]
        raise UnsafeZip("too many parts")
    if end[zipfile._ECD_SIZE] > MAX_DIRECTORY_BYTES:  # type: ignore[attr-defined]
        raise UnsafeZip("directory too large")


def check_members(infos: list[zipfile.ZipInfo], *, archive_bytes: int) -> None:
    """Raise UnsafeZip unless every part of the listing keeps within the bounds."""
    if len(infos) > MAX_ZIP_MEMBERS:
        raise UnsafeZip("too many parts")
    total = 0
    for info in infos:
        if info.compress_type not in _ACCEPTED_METHODS or info.flag_bits & 0x1:
            raise UnsafeZip("compression method or encryption not accepted")
        if info.file_size > MAX_MEMBER_BYTES or info.compress_size > archive_bytes:
            raise UnsafeZip("part too large")
        if info.file_size > RATIO_FREE_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UnsafeZip("part compressed too well")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise UnsafeZip("package unpacks too large")


def open_zip(stream: BinaryIO) -> zipfile.ZipFile:
    """Open the zip package in ``stream`` for reading once its directory keeps within every bound.

    Raises UnsafeZip for a package that breaks a bound or cannot be read as a zip.
    """
    stream.seek(0, 2)
    archive_bytes = stream.tell()
    _check_directory(stream)
    try:
        package = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise UnsafeZip("not a readable zip") from exc
    try:
        check_members(package.infolist(), archive_bytes=archive_bytes)
    except BaseException:
        package.close()
        raise
    return package


def read_member(package: zipfile.ZipFile, name: str | zipfile.ZipInfo, *, limit: int) -> bytes:
    """Return the unpacked part ``name``; raise UnsafeZip if it is larger than ``limit`` bytes."""
    info = name if isinstance(name, zipfile.ZipInfo) else package.getinfo(name)
    if info.file_size > limit:
        raise UnsafeZip("part larger than expected")
    with package.open(info) as part:
        data = part.read(limit + 1)
    if len(data) > limit:
        raise UnsafeZip("part larger than expected")
    return data
