"""Benchmark the attachment cleaner: time and peak memory growth per kind of file; prints JSON.

Run: .venv/bin/python bench/attachments.py [--mib 200] [--kinds text,docx-bomb,...]

Each file is made by this process and cleaned by a fresh one, so the peak RSS measured (VmHWM, reset
before cleaning) is the cleaner's own. The files are temporary and deleted afterwards. Each time is also given
as a ratio to the plain-text file of the same run (``ratio_to_text``), which is mostly copying: a figure that
holds on a shared, busy machine. The hostile kinds (a 1 GiB zip bomb in a docx, a GIF of 60,000 frames) must
be refused quickly with a small RSS.
"""

from __future__ import annotations

import argparse
import io
import json
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
    import json, os, sys, time
    import django
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import UploadedFile
    from intake.attachments import inspect_and_clean
    from tests.support.memory import peak_rss_kib, reset_peak_rss

    from intake.attachments import RejectedAttachment
    settings.PELUIT_MAX_ATTACHMENT_BYTES = 2**40
    with open(sys.argv[1], "rb") as source:
        size = os.fstat(source.fileno()).st_size
        upload = UploadedFile(file=source, name="bench", content_type="application/octet-stream", size=size)
        reset_peak_rss()
        baseline = peak_rss_kib()
        started = time.perf_counter()
        try:
            result = inspect_and_clean(upload)
            total = sum(len(piece) for piece in result.chunks)
            outcome = f"cleaned {result.content_type}"
        except RejectedAttachment as exc:
            total, outcome = 0, f"refused ({exc.code})"
        elapsed = time.perf_counter() - started
        peak = peak_rss_kib()
    print(json.dumps({"in_mib": round(size / 2**20, 1), "out_mib": round(total / 2**20, 1),
                      "seconds": round(elapsed, 2), "peak_rss_growth_mib": round((peak - baseline) / 1024, 1),
                      "outcome": outcome}))
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
        _video(out, size)
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

    elif kind == "docx-bomb":  # about 1 MiB that unpacks to 1 GiB
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
            with package.open("[Content_Types].xml", "w") as part:
                part.write(
                    b'<Types><Override PartName="/word/document.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
                )
                _fill(part, 1024 * 1024 * 1024, b" " * (1024 * 1024))
            package.writestr("word/document.xml", "<w:document/>")
    elif kind == "gif-60000-frames":
        out.write(_gif_of_tiny_frames(60_000))


def _video(out: BinaryIO, size: int) -> None:
    """Write an MP4 of about ``size`` bytes (Motion JPEG noise, quick to encode) with a location tag."""
    import av

    noise = [Image.effect_noise((1280, 720), 60).convert("RGB") for _ in range(4)]
    with av.open(out, "w", format="mp4") as clip:
        clip.metadata["location"] = "-06.9932+110.4203/"
        stream = clip.add_stream("mjpeg", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuvj420p"
        index = 0
        while out.tell() < size:
            frame = av.VideoFrame.from_image(noise[index % len(noise)])
            frame.pts = index
            for packet in stream.encode(frame):
                clip.mux(packet)
            index += 1
        for packet in stream.encode():
            clip.mux(packet)


def _gif_of_tiny_frames(frames: int) -> bytes:
    """Return a GIF of ``frames`` 1x1 frames, written by hand (Pillow would take minutes)."""
    header = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = b"\x21\xf9\x04\x04\x04\x00\x00\x00\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
    black, white = frame + b"\x02\x02\x44\x01\x00", frame + b"\x02\x02\x4c\x01\x00"
    return header + b"".join(black if n % 2 == 0 else white for n in range(frames)) + b"\x3b"


KINDS = (
    "text",
    "wav",
    "mp3",
    "mp4-video",
    "docx",
    "jpeg-24mp",
    "pdf-200-photos",
    "pdf-200-gps-photos",
    "docx-bomb",
    "gif-60000-frames",
)


def main() -> None:
    """Make each file in this process, clean it in a fresh one, and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mib", type=int, default=200, help="size of the streamed cases in MiB")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated subset of: " + ", ".join(KINDS))
    args = parser.parse_args()
    size = args.mib * 1024 * 1024
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    results: dict[str, dict[str, object]] = {}
    # Not in the upload folder: the web application sweeps named files there (intake/uploads.py).
    with tempfile.TemporaryDirectory(prefix="peluit-bench-") as workdir:
        for kind in args.kinds.split(","):
            with tempfile.NamedTemporaryFile(dir=workdir, suffix=".bench") as source:
                make(kind, size, source)
                source.flush()
                run = subprocess.run(
                    [sys.executable, "-c", CLEAN, source.name], capture_output=True, text=True, cwd=ROOT, env=env
                )
            lines = run.stdout.strip().splitlines()
            results[kind] = json.loads(lines[-1]) if run.returncode == 0 and lines else {"error": run.stderr[-500:]}
            print(kind, results[kind], file=sys.stderr)
    text_seconds = results.get("text", {}).get("seconds")
    for figures in results.values():
        if isinstance(text_seconds, float) and text_seconds > 0 and isinstance(figures.get("seconds"), float):
            figures["ratio_to_text"] = round(float(figures["seconds"]) / text_seconds, 2)  # type: ignore[arg-type]
    machine = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "mib": args.mib}
    print(json.dumps({"benchmark": "attachments", "machine": machine, "results": results}, indent=2))


if __name__ == "__main__":
    main()
