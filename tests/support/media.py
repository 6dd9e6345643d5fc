"""Video and audio files made at test time with PyAV (FFmpeg), tagged the way phones tag them, and read back.

Every clip carries a place (``location`` as ``©xyz``/``loci``, ``com.apple.quicktime.location.ISO6709``), a
device (make and model), a creation time, a title, handler names on its streams and a chapter, each with a
recognisable canary value, so a test can prove they are gone after cleaning.
"""

from __future__ import annotations

import io
from fractions import Fraction
from typing import Any

import av

LOCATION = "-06.9932+110.4203/"  # Semarang
APPLE_LOCATION = "-06.9932+110.4203+012.000/"
MAKE = "CanaryPhone"
MODEL = "CanaryPhone 15 Pro"
CREATED = "2026-03-02T07:08:09.000000Z"
TITLE = "CanaryTitle Kantor Kelurahan"
HANDLER = "CanaryVideoHandler"
CHAPTER = "CanaryChapter Loket"
# Strings that must never reach an officer from a cleaned file (the binary ``loci`` position aside: see
# ``video_metadata``). FFmpeg's "Lavf" and x264's "x264 - core" name software, not the reporter, but are
# removed too and checked.
TEXT_CANARIES = (b"-06.9932", b"CanaryPhone", b"Canary", b"ISO6709", b"2026-03-02")
ATOM_CANARIES = (b"\xa9xyz", b"loci", b"\xa9mak", b"\xa9mod", b"\xa9day", b"\xa9nam", b"chpl", b"mdta")

FRAMES = 20
RATE = 10


def _video_frame(index: int, width: int, height: int) -> av.VideoFrame:
    frame = av.VideoFrame(width, height, "yuv420p")
    for number, plane in enumerate(frame.planes):
        plane.update(bytes([(index * 12) % 256 if number == 0 else 128]) * plane.buffer_size)
    frame.pts = index
    return frame


def _silence(index: int, sample_rate: int) -> av.AudioFrame:
    frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
    frame.planes[0].update(bytes(frame.planes[0].buffer_size))
    frame.sample_rate = sample_rate
    frame.pts = index * 1024
    return frame


def tagged_clip(container: str = "mov", *, tagged: bool = True, audio: bool = True, extra_audio: int = 0) -> bytes:
    """Return a two-second H.264 (+ AAC) clip in ``container`` (mov, mp4, 3gp) written by PyAV.

    ``tagged``: with a place, device, time, title, handler names and a chapter. ``extra_audio`` adds that many
    more (silent) audio streams.
    """
    out = io.BytesIO()
    options = {"movflags": "use_metadata_tags"} if container == "mov" and tagged else {}
    with av.open(out, "w", format=container, options=options) as clip:
        if tagged:
            clip.metadata.update(
                {
                    "location": LOCATION,
                    "com.apple.quicktime.location.ISO6709": APPLE_LOCATION,
                    "make": MAKE,
                    "model": MODEL,
                    "com.apple.quicktime.make": MAKE,
                    "com.apple.quicktime.model": MODEL,
                    "creation_time": CREATED,
                    "title": TITLE,
                }
            )
        video = clip.add_stream("libx264", rate=RATE)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        sounds = []
        for _ in range((1 if audio else 0) + extra_audio):
            sound = clip.add_stream("aac", rate=8000)
            sounds.append(sound)
        if tagged:
            video.metadata["handler_name"] = HANDLER
            for sound in sounds:
                sound.metadata["handler_name"] = HANDLER.replace("Video", "Sound")
            chapter: Any = {"id": 1, "start": 0, "end": FRAMES // 2, "time_base": Fraction(1, RATE)}
            clip.set_chapters([{**chapter, "metadata": {"title": CHAPTER}}])
        for index in range(FRAMES):
            for packet in video.encode(_video_frame(index, 64, 48)):
                clip.mux(packet)
        for packet in video.encode():
            clip.mux(packet)
        for sound in sounds:
            for index in range(16):
                for packet in sound.encode(_silence(index, 8000)):
                    clip.mux(packet)
            for packet in sound.encode():
                clip.mux(packet)
    return out.getvalue()


def tagged_m4a() -> bytes:
    """Return an AAC sound file (M4A) whose ``udta`` holds a place and whose tags name a device."""
    out = io.BytesIO()
    with av.open(out, "w", format="ipod") as memo:
        memo.metadata.update({"location": LOCATION, "title": TITLE, "artist": MODEL})
        sound = memo.add_stream("aac", rate=8000)
        for index in range(16):
            for packet in sound.encode(_silence(index, 8000)):
                memo.mux(packet)
        for packet in sound.encode():
            memo.mux(packet)
    return out.getvalue()


def video_metadata(data: bytes) -> dict[str, Any]:
    """Return what FFmpeg reads of a file: container, stream and chapter metadata, stream types, frames."""
    with av.open(io.BytesIO(data)) as clip:
        frames = sum(1 for _ in clip.decode(video=0)) if clip.streams.video else 0
        return {
            "container": dict(clip.metadata),
            "streams": [(stream.type, dict(stream.metadata)) for stream in clip.streams],
            "chapters": clip.chapters(),
            "video_frames": frames,
        }


# Container keys FFmpeg reports for any MP4/MOV/3GP file (the brand it is written under), not metadata.
BRAND_KEYS = {"major_brand", "minor_version", "compatible_brands"}
# Stream keys FFmpeg reports for any track: default handler names, FFmpeg's vendor code, "und" language.
DEFAULT_STREAM_METADATA = {
    "handler_name": {"VideoHandler", "SoundHandler"},
    "vendor_id": {"FFMP", "[0][0][0][0]"},
    "language": {"und"},
}


def assert_no_video_metadata(data: bytes) -> None:
    """Fail unless ``data`` holds no place, device, time, title, handler or chapter of its own."""
    found = video_metadata(data)
    assert set(found["container"]) <= BRAND_KEYS, found["container"]
    for kind, tags in found["streams"]:
        assert kind in {"video", "audio"}, found["streams"]
        for key, value in tags.items():
            assert value in DEFAULT_STREAM_METADATA.get(key, set()), (key, value)
    assert found["chapters"] == []
    for canary in TEXT_CANARIES + ATOM_CANARIES:
        assert canary not in data, canary
