"""Render a case's images and PDF pages to plain PNG pictures, so no active content reaches the officer's browser.

A PDF can carry scripts, forms, links and embedded files; an image format can carry exploits for a browser's
decoder. The console therefore never shows a reporter's file as it is: poppler's ``pdftoppm`` draws one PDF
page at a time and Pillow draws an image, and the officer's browser receives only the PNG we wrote.

The work runs in a child process (``python -m casework.cases.preview MODE``), as ``intake.video`` does for
FFmpeg: the decrypted file goes in through a pipe to its standard input and the picture comes back through a
pipe from its standard output, so the plaintext never gets a name on disk. The child limits its address space
and CPU time, may write no file at all (``RLIMIT_FSIZE`` 0), leaves no core dump, gets no secret in its
environment, and is killed after ``TIME_LIMIT_SECONDS``. Pictures are bounded too: the long side of a rendered
page or image is at most ``LONG_SIDE`` pixels, an image with more than ``max_pixels`` source pixels is not
decoded, and only the first ``MAX_PAGES`` pages of a PDF can be viewed.

This module imports no Django (the child does not set it up); the parent side is ``page_count`` and
``render_page``.
"""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
from pathlib import Path

PDF = "application/pdf"
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif"})
# Larger files are not decrypted into memory for viewing; they can still be downloaded.
MAX_SOURCE_BYTES = 64 * 1024 * 1024
# Only the first pages of a PDF can be viewed inside the console; the rest needs the download.
MAX_PAGES = 50
# The long side of every picture sent to the browser, in pixels (a page at about 190 dpi).
LONG_SIDE = 1600
TIME_LIMIT_SECONDS = 20
MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024
# A PNG of LONG_SIDE x LONG_SIDE RGBA pixels cannot be larger than this (deflate's worst case is small).
MAX_OUTPUT_BYTES = 4 * LONG_SIDE * LONG_SIDE + 1024 * 1024

_PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
_MODULE = "casework.cases.preview"
_OK, _FAILED, _OUT_OF_BOUNDS = 0, 1, 2


class CannotPreview(Exception):
    """The file cannot be shown inside the console; ``reason`` says why (it can still be downloaded).

    ``reason`` is one of ``type`` (not an image or PDF), ``too_large``, ``page`` (no such page, or beyond
    ``MAX_PAGES``), ``timeout`` and ``failed`` (damaged, encrypted, out of bounds).
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def previewable(content_type: str) -> bool:
    """Return True when files of ``content_type`` can be rendered for viewing."""
    return content_type == PDF or content_type in IMAGE_TYPES


def _run_child(mode: str, argument: str, source: bytes) -> bytes:
    if len(source) > MAX_SOURCE_BYTES:
        raise CannotPreview("too_large")
    # No secrets (database URL, pepper, keys) for a process that parses hostile input; only what finds Python.
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
    if "PYTHONPATH" in os.environ:
        environment["PYTHONPATH"] = os.environ["PYTHONPATH"]
    try:
        child = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
            [sys.executable, "-m", _MODULE, mode, argument],
            input=source,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # poppler and Pillow may describe the file: never kept
            cwd=_PROJECT_ROOT,
            env=environment,
            timeout=TIME_LIMIT_SECONDS + 5,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CannotPreview("timeout") from exc
    if child.returncode == _OUT_OF_BOUNDS:
        raise CannotPreview("failed")
    if child.returncode != _OK or not child.stdout or len(child.stdout) > MAX_OUTPUT_BYTES:
        raise CannotPreview("failed")
    return child.stdout


def page_count(source: bytes, *, content_type: str) -> int:
    """Return how many pages the file has (1 for an image); raise ``CannotPreview`` if it cannot be read."""
    if content_type in IMAGE_TYPES:
        return 1
    if content_type != PDF:
        raise CannotPreview("type")
    info = _run_child("pdf-info", "0", source).decode("utf-8", "replace")
    for line in info.splitlines():
        name, _sep, value = line.partition(":")
        if name.strip() == "Pages" and value.strip().isdigit():
            pages = int(value.strip())
            if pages > 0:
                return pages
    raise CannotPreview("failed")


def render_page(source: bytes, *, content_type: str, page: int = 1, max_pixels: int = 120_000_000) -> bytes:
    """Return page ``page`` (from 1) of a PDF, or the image (``page`` 1), drawn as a PNG picture.

    The long side is at most ``LONG_SIDE`` pixels. Raises ``CannotPreview`` for another kind of file, a page
    beyond ``MAX_PAGES`` or the document, an image over ``max_pixels`` source pixels, a damaged file, or when
    the child runs out of time or memory.
    """
    if not 1 <= page <= MAX_PAGES:
        raise CannotPreview("page")
    if content_type in IMAGE_TYPES:
        if page != 1:
            raise CannotPreview("page")
        picture = _run_child("image", str(int(max_pixels)), source)
    elif content_type == PDF:
        picture = _run_child("pdf-page", str(page), source)
    else:
        raise CannotPreview("type")
    if not picture.startswith(b"\x89PNG\r\n\x1a\n"):
        raise CannotPreview("failed")
    return picture


# --- The child process -------------------------------------------------------------------------------------


def _limit_resources() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (TIME_LIMIT_SECONDS, TIME_LIMIT_SECONDS))
    # Nothing is written to a file, ever: pictures leave through the pipe. (Python ignores SIGXFSZ and the
    # setting survives exec, so a write fails with EFBIG instead of leaving half a plaintext copy.)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core dump of the plaintext


def _exec_poppler(mode: str, argument: str) -> None:
    """Replace this process with poppler reading standard input ("-") and writing to standard output."""
    if mode == "pdf-info":
        command = ["pdfinfo", "-"]
    else:
        page = str(int(argument))
        command = ["pdftoppm", "-q", "-png", "-f", page, "-l", page, "-scale-to", str(LONG_SIDE), "-"]
    os.execvp(command[0], command)  # noqa: S606 - fixed poppler tools, no shell


def _render_image(max_pixels: int) -> int:
    from PIL import Image, ImageOps

    try:
        from pillow_heif import register_heif_opener

        register_heif_opener()
    except ImportError:  # pragma: no cover - pillow-heif is a dependency; without it HEIC is just not shown
        pass
    source = sys.stdin.buffer.read(MAX_SOURCE_BYTES + 1)
    if len(source) > MAX_SOURCE_BYTES:
        return _OUT_OF_BOUNDS
    Image.MAX_IMAGE_PIXELS = max_pixels
    with Image.open(io.BytesIO(source)) as image:
        width, height = image.size
        if width < 1 or height < 1 or width * height > max_pixels:
            return _OUT_OF_BOUNDS
        image.seek(0)  # the first frame of an animation
        image.draft("RGB", (LONG_SIDE, LONG_SIDE))  # JPEG: decode at a reduced scale when it can
        picture = ImageOps.exif_transpose(image)
        picture.thumbnail((LONG_SIDE, LONG_SIDE))
        if picture.mode not in ("RGB", "RGBA", "L", "LA"):
            picture = picture.convert("RGBA" if "A" in picture.getbands() or "transparency" in picture.info else "RGB")
        out = io.BytesIO()
        picture.save(out, format="PNG")
    sys.stdout.buffer.write(out.getvalue())
    sys.stdout.buffer.flush()
    return _OK


def main(arguments: list[str]) -> int:
    """The child: ``pdf-info 0``, ``pdf-page N`` or ``image MAX_PIXELS``; plaintext on stdin, result on stdout."""
    if len(arguments) != 2 or arguments[0] not in ("pdf-info", "pdf-page", "image"):
        return _FAILED
    mode, argument = arguments
    _limit_resources()
    if mode == "image":
        try:
            return _render_image(int(argument))
        except Exception:  # any decoder failure means "cannot be shown"
            return _FAILED
    _exec_poppler(mode, argument)
    return _FAILED  # pragma: no cover - execvp does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
