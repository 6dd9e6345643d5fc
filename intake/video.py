"""Remux videos (MP4, MOV, 3GP) without re-encoding, so that no container or stream metadata survives.

Phone videos record where they were filmed (``©xyz``, ``loci``, ``com.apple.quicktime.location.ISO6709``), the
device (make, model, software), when (creation times), chapter names and handler names. Writing the container
again with FFmpeg (through PyAV) keeps only the video and audio packets:

- no global, stream or chapter metadata is copied, and FFmpeg's own "encoder" tag is left out (bitexact);
- data and timed-metadata tracks (GPS tracks, chapter text, timecode) and cover pictures are dropped;
- H.264 and HEVC SEI messages, where some cameras put position, serial number or settings, are removed with the
  ``filter_units`` bitstream filter. Pictures and sound are copied bit for bit.

FFmpeg parses a hostile file in C, so the work runs in a child process (``python -m intake.video``) that reads
the source from its standard input and writes the new file to its standard output; the parent hands it the two
nameless temporary files, so nothing gets a name on disk. The child limits its own address space, CPU time and
output size, and bounds the input: number of streams, duration and packets; the parent kills it after
``TIME_LIMIT_SECONDS``. A crash, a broken bound or an error means the file cannot be cleaned.

This module imports no Django (the child does not set it up); the parent side is ``remux``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO

# Output container per content type (as libmagic names it); M4V is MP4 under another name.
CONTAINERS = {
    "video/mp4": "mp4",
    "video/x-m4v": "mp4",
    "video/quicktime": "mov",
    "video/3gpp": "3gp",
    "video/3gpp2": "3g2",
    "audio/mp4": "ipod",
}
MAX_STREAMS = 16
MAX_DURATION_SECONDS = 4 * 3600
# About 110 packets a second for 60 fps video with AAC sound: 2 million is five hours.
MAX_PACKETS = 2_000_000
TIME_LIMIT_SECONDS = 120
# The child's address space: PyAV and FFmpeg take about 150 MiB before reading anything.
MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024
# SEI types removed by filter_units: H.264 SEI (6); HEVC prefix and suffix SEI (39, 40).
_SEI_FILTERS = {"h264": "filter_units=remove_types=6", "hevc": "filter_units=remove_types=39|40"}

_PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Exit codes of the child.
_OK, _FAILED, _OUT_OF_BOUNDS = 0, 1, 2


class CannotRemux(Exception):
    """The video could not be rewritten (damaged, out of bounds, or a kind FFmpeg cannot copy)."""


def remux(source: BinaryIO, target: BinaryIO, *, content_type: str) -> None:
    """Write the video in ``source`` into ``target`` again, without metadata; raise CannotRemux on failure.

    ``source`` and ``target`` are real (nameless) files: the child process reads and writes their descriptors.
    """
    container = CONTAINERS.get(content_type)
    if container is None:
        raise CannotRemux("no container for this type")
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(0)
    target.seek(0)
    target.truncate()
    command = [sys.executable, "-m", "intake.video", container, str(size)]
    # No secrets (database URL, pepper, keys) for a process that parses hostile input; only what finds Python.
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    if "PYTHONPATH" in os.environ:
        environment["PYTHONPATH"] = os.environ["PYTHONPATH"]
    try:
        child = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
            command,
            stdin=source,
            stdout=target,
            stderr=subprocess.DEVNULL,  # FFmpeg describes the file it reads: never kept
            cwd=_PROJECT_ROOT,
            env=environment,
            timeout=TIME_LIMIT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CannotRemux("took too long") from exc
    if child.returncode == _OUT_OF_BOUNDS:
        raise CannotRemux("out of bounds")
    if child.returncode != _OK:
        raise CannotRemux("failed")
    target.seek(0, os.SEEK_END)
    if target.tell() == 0:
        raise CannotRemux("nothing written")


# --- The child process -------------------------------------------------------------------------------------


class _OutOfBounds(Exception):
    pass


def _limit_resources(source_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (TIME_LIMIT_SECONDS, TIME_LIMIT_SECONDS))
    # Remuxing never makes a file much larger; SEI removal only shrinks it.
    written = 2 * source_bytes + 16 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (written, written))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core dump of the plaintext


def _take_standard_streams() -> tuple[BinaryIO, BinaryIO]:
    """Return the source and target files, and point fds 0 and 1 at /dev/null so no stray print reaches them."""
    source = os.fdopen(os.dup(0), "rb")
    target = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    return source, target


def _copy_packets(source: BinaryIO, target: BinaryIO, container: str) -> None:
    import av
    from av.bitstream import BitStreamFilterContext

    started = time.monotonic()
    with av.open(source, "r") as original:
        if len(original.streams) > MAX_STREAMS:
            raise _OutOfBounds("streams")
        if original.duration is not None and original.duration > MAX_DURATION_SECONDS * av.time_base:
            raise _OutOfBounds("duration")
        kept = [
            stream
            for stream in original.streams
            if stream.type in ("video", "audio") and not stream.disposition & av.stream.Disposition.attached_pic
        ]
        if not kept:
            raise ValueError("no picture or sound")
        with av.open(target, "w", format=container, container_options={"fflags": "+bitexact"}) as rewritten:
            copies = {}
            filters = {}
            for stream in kept:
                copy = rewritten.add_stream_from_template(stream)
                copy.metadata.clear()
                copies[stream.index] = copy
                sei = _SEI_FILTERS.get(stream.codec_context.name)
                if sei is not None:
                    filters[stream.index] = BitStreamFilterContext(sei, stream, copy)
            packets = 0
            for packet in original.demux(kept):
                if packet.dts is None:  # the empty packet that ends each stream
                    continue
                packets += 1
                if packets > MAX_PACKETS or time.monotonic() - started > TIME_LIMIT_SECONDS:
                    raise _OutOfBounds("packets or time")
                index = packet.stream.index
                sei_filter = filters.get(index)
                for piece in sei_filter.filter(packet) if sei_filter is not None else [packet]:
                    piece.stream = copies[index]
                    rewritten.mux(piece)
            for index, sei_filter in filters.items():
                for piece in sei_filter.filter(None):
                    piece.stream = copies[index]
                    rewritten.mux(piece)
    target.flush()


def _main(arguments: list[str]) -> int:
    container, source_bytes = arguments[0], int(arguments[1])
    _limit_resources(source_bytes)
    source, target = _take_standard_streams()
    try:
        _copy_packets(source, target, container)
    except _OutOfBounds:
        return _OUT_OF_BOUNDS
    except Exception:  # any FFmpeg or PyAV error: the parent only needs to know it failed
        return _FAILED
    return _OK


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
