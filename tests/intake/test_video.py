"""Video (MP4, MOV, 3GP) is remuxed without re-encoding and loses every place, device, time and name (issue 10).

The clips are written at test time by PyAV (FFmpeg) with the tags phones write, and read back with PyAV and
by searching their bytes.
"""

from __future__ import annotations

import io
import subprocess
import tempfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from intake import video
from intake.attachments import RejectedAttachment, inspect_and_clean
from tests.support import media

CONTENT_TYPES = {"mov": "video/quicktime", "mp4": "video/mp4", "3gp": "video/3gpp"}


def clean(name: str, data: bytes, **kwargs: bool) -> tuple[str, bool, bytes]:
    result = inspect_and_clean(SimpleUploadedFile(name, data), **kwargs)
    return result.content_type, result.metadata_removed, b"".join(result.chunks)


@pytest.mark.parametrize("container", ["mov", "mp4", "3gp"])
def test_a_phone_video_loses_place_device_time_names_and_chapters(container: str) -> None:
    original = media.tagged_clip(container)
    before = media.video_metadata(original)
    assert before["container"]["location"] == media.LOCATION, "the test clip carries a place"
    assert before["chapters"] and before["streams"][0][1]["handler_name"] == media.HANDLER
    assert "creation_time" in before["container"]

    content_type, removed, cleaned = clean(f"VID_0001.{container}", original)

    assert content_type == CONTENT_TYPES[container] and removed is True
    media.assert_no_video_metadata(cleaned)
    after = media.video_metadata(cleaned)
    assert after["video_frames"] == before["video_frames"] == media.FRAMES, "every picture is still there"
    assert [kind for kind, _tags in after["streams"]] == ["video", "audio"], "sound kept, data tracks dropped"


def test_the_apple_location_and_device_keys_of_a_mov_are_gone() -> None:
    original = media.tagged_clip("mov")
    tags = media.video_metadata(original)["container"]
    assert tags["com.apple.quicktime.location.ISO6709"] == media.APPLE_LOCATION
    assert tags["com.apple.quicktime.model"] == media.MODEL

    _content_type, _removed, cleaned = clean("IMG_0001.MOV", original)

    assert not any(key.startswith("com.apple") for key in media.video_metadata(cleaned)["container"])
    assert b"com.apple" not in cleaned and media.MODEL.encode() not in cleaned


def test_pictures_are_copied_not_re_encoded_and_encoder_notes_are_removed() -> None:
    original = media.tagged_clip("mp4", tagged=False)
    assert b"x264 - core" in original, "x264 notes its settings in an SEI message"

    _content_type, removed, cleaned = clean("rekaman.mp4", original)

    assert removed is True
    assert b"x264" not in cleaned and b"Lavf" not in cleaned
    import av

    def video_packets(data: bytes) -> list[bytes]:
        with av.open(io.BytesIO(data)) as clip:
            return [bytes(packet) for packet in clip.demux(video=0) if packet.size]

    # The coded pictures are the same bytes, less the SEI message in the first one.
    before, after = video_packets(original), video_packets(cleaned)
    assert len(before) == len(after) == media.FRAMES
    assert before[1:] == after[1:] and len(after[0]) < len(before[0])


def test_a_video_without_tags_is_accepted_as_cleaned() -> None:
    _content_type, removed, cleaned = clean("polos.3gp", media.tagged_clip("3gp", tagged=False))
    assert removed is True
    media.assert_no_video_metadata(cleaned)


def test_a_truncated_video_is_refused_unless_sent_as_is() -> None:
    damaged = media.tagged_clip("mp4")[:1500]  # the index (moov) comes last: it is cut off
    with pytest.raises(RejectedAttachment) as caught:
        clean("rusak.mp4", damaged)
    assert caught.value.code == "uncleanable" and caught.value.file_name == "rusak.mp4"
    _content_type, removed, kept = clean("rusak.mp4", damaged, send_uncleaned=True)
    assert removed is False and kept == damaged


def test_too_many_streams_are_refused() -> None:
    crowded = media.tagged_clip("mov", tagged=False, extra_audio=video.MAX_STREAMS)
    with pytest.raises(RejectedAttachment) as caught:
        clean("ramai.mov", crowded)
    assert caught.value.code == "uncleanable"


def _copy_in_this_process(data: bytes) -> None:
    with tempfile.TemporaryFile() as source, tempfile.TemporaryFile() as target:
        source.write(data)
        source.seek(0)
        video._copy_packets(source, target, "mov")


def test_the_packet_and_duration_bounds_stop_the_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    clip = media.tagged_clip("mov", tagged=False)
    _copy_in_this_process(clip)  # within the bounds
    monkeypatch.setattr(video, "MAX_PACKETS", 5)
    with pytest.raises(video._OutOfBounds):
        _copy_in_this_process(clip)
    monkeypatch.setattr(video, "MAX_PACKETS", 1000)
    monkeypatch.setattr(video, "MAX_DURATION_SECONDS", 1)  # the clip lasts two seconds
    with pytest.raises(video._OutOfBounds):
        _copy_in_this_process(clip)


def test_the_child_is_killed_when_it_takes_too_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video, "TIME_LIMIT_SECONDS", 0.001)
    with tempfile.TemporaryFile() as source, tempfile.TemporaryFile() as target:
        source.write(media.tagged_clip("mp4"))
        with pytest.raises(video.CannotRemux):
            video.remux(source, target, content_type="video/mp4")


def test_an_unknown_type_is_not_remuxed() -> None:
    with tempfile.TemporaryFile() as source, tempfile.TemporaryFile() as target, pytest.raises(video.CannotRemux):
        video.remux(source, target, content_type="video/x-matroska")


def test_the_child_gets_no_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def record(command: list[str], **kwargs: object) -> object:
        seen.update(kwargs)
        raise subprocess.TimeoutExpired(command, 0)

    monkeypatch.setenv("PELUIT_PEPPER", "secret-pepper")
    monkeypatch.setattr(video.subprocess, "run", record)
    with tempfile.TemporaryFile() as source, tempfile.TemporaryFile() as target, pytest.raises(video.CannotRemux):
        video.remux(source, target, content_type="video/mp4")
    environment = seen["env"]
    assert isinstance(environment, dict) and "PELUIT_PEPPER" not in environment
    assert set(environment) <= {"PATH", "LC_ALL", "PYTHONPATH"}
