"""Benchmark the attachment cleaner: time and peak memory growth per kind of file.

Run: .venv/bin/python bench/attachments.py [--mib 200]

Each file is made by this process and cleaned by a fresh one, so the peak RSS measured (VmHWM, reset
before cleaning) is the cleaner's own. The files are temporary and deleted afterwards.
"""

from __future__ import annotations

import argparse
import io
import os
import struct
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path
from typing import BinaryIO

import pikepdf
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]

CLEAN = textwrap.dedent(
    """
    import os, sys, time
    import django
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import UploadedFile
    from intake.attachments import inspect_and_clean
    from tests.support.memory import peak_rss_kib, reset_peak_rss

    settings.PELUIT_MAX_ATTACHMENT_BYTES = 2**40
    with open(sys.argv[1], "rb") as source:
        size = os.fstat(source.fileno()).st_size
        upload = UploadedFile(file=source, name="bench", content_type="application/octet-stream", size=size)
        reset_peak_rss()
        baseline = peak_rss_kib()
        started = time.perf_counter()
        result = inspect_and_clean(upload)
        total = sum(len(piece) for piece in result.chunks)
        elapsed = time.perf_counter() - started
        peak = peak_rss_kib()
    print(f"{size / 2**20:8.1f} MiB in  {total / 2**20:8.1f} MiB out  {elapsed:6.2f} s  "
          f"peak RSS +{(peak - baseline) / 1024:6.1f} MiB  {result.content_type}  removed={result.metadata_removed}")
    """
)
BLOCK = b"\x01" * (1024 * 1024)


def _fill(out: BinaryIO, n: int, piece: bytes = BLOCK) -> None:
    while n > 0:
        out.write(piece[: min(len(piece), n)])
        n -= len(piece)


def make(kind: str, size: int, out: BinaryIO) -> None:
    """Write a file of ``kind`` of about ``size`` bytes into ``out``."""
    if kind == "text":
        _fill(out, size, b"Laporan panjang tentang pungutan liar.\n" * 26000)
    elif kind == "wav":
        out.write(b"RIFF" + struct.pack("<I", size - 8) + b"WAVEfmt ")
        out.write(struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", size - 44))
        _fill(out, size - 44)
    elif kind == "mp3":
        frame = bytes([0xFF, 0xFB, 0x90, 0x64]) + b"\x00" * 413
        _fill(out, size - size % 417, frame * 2500)
    elif kind == "mp4-video":
        out.write(struct.pack(">I4s", 24, b"ftyp") + b"isom\x00\x00\x02\x00isomiso2")
        out.write(struct.pack(">I4s", size - 24, b"mdat"))
        _fill(out, size - 32)
    elif kind == "docx":
        with zipfile.ZipFile(out, "w") as package:
            package.writestr(
                "[Content_Types].xml",
                '<Types><Override PartName="/word/document.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
            )
            package.writestr("word/document.xml", "<w:document/>")
            with package.open("word/media/video.bin", "w") as part:
                _fill(part, size, os.urandom(1024 * 1024))
    elif kind == "jpeg-24mp":
        Image.effect_noise((6000, 4000), 40).convert("RGB").save(out, "JPEG", quality=90)
    elif kind.startswith("pdf-200-"):
        pdf = pikepdf.new()
        photo = io.BytesIO()
        exif = Image.Exif()
        exif.get_ifd(0x8825).update({1: "S", 2: (6.0, 58.0, 12.3)})
        extra = {"exif": exif} if kind == "pdf-200-gps-photos" else {}
        Image.effect_noise((1600, 1200), 40).convert("RGB").save(photo, "JPEG", quality=85, **extra)
        for _ in range(200):
            page = pdf.add_blank_page()
            image = pikepdf.Stream(pdf, photo.getvalue())
            image.Type, image.Subtype, image.Filter = pikepdf.Name.XObject, pikepdf.Name.Image, pikepdf.Name.DCTDecode
            image.Width, image.Height, image.BitsPerComponent = 1600, 1200, 8
            image.ColorSpace = pikepdf.Name.DeviceRGB
            page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(image)))
        pdf.save(out)


KINDS = ("text", "wav", "mp3", "mp4-video", "docx", "jpeg-24mp", "pdf-200-photos", "pdf-200-gps-photos")


def main() -> None:
    """Make each file in this process, clean it in a fresh one, and print one line each."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mib", type=int, default=200, help="size of the streamed cases in MiB")
    args = parser.parse_args()
    size = args.mib * 1024 * 1024
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for kind in KINDS:
        with tempfile.NamedTemporaryFile(dir=ROOT / "var" / "tmp", suffix=".bench") as source:
            make(kind, size, source)
            source.flush()
            run = subprocess.run(
                [sys.executable, "-c", CLEAN, source.name], capture_output=True, text=True, cwd=ROOT, env=env
            )
        lines = run.stdout.strip().splitlines()
        print(f"{kind:18}", lines[-1] if run.returncode == 0 and lines else f"failed\n{run.stderr[-1500:]}")


if __name__ == "__main__":
    main()
