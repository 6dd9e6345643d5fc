"""Disguise a reporter's own voice before it is sealed: pitch and formants shifted by amounts drawn per file.

A recording the reporter marks as their own voice is decoded (PyAV, FFmpeg's decoders), mixed down to one
channel at 16 kHz, and passed in segments through Praat's "Change gender" (praat-parselmouth): the pitch is
moved up or down by a random factor, the pitch range scaled, and the formants (the resonances that make a
voice recognisable) shifted by a second random factor in the same direction. The parameters are drawn from
the operating system's random source for every file and kept nowhere, so there is no fixed inverse: undoing it
means guessing three numbers per file. It does not hide the words, accent or way of speaking (say so on the form).

Only the disguised sound is written, as 16-bit mono WAV, into the caller's nameless temporary file; the decoded
original exists only in memory, one segment at a time. Everything is bounded: the total duration of the
recordings one submission may disguise (``PELUIT_MAX_VOICE_SECONDS``), the wall-clock time per file, and the
memory (segments of ``SEGMENT_SECONDS``). Undecodable input raises ``CannotDisguise`` with a message for the
reporter; nothing about the file is logged.
"""

from __future__ import annotations

import secrets
import time
import warnings
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import av
import numpy as np
import parselmouth
from django.conf import settings
from django.utils.translation import gettext as _
from parselmouth.praat import call

SAMPLE_RATE = 16_000
SEGMENT_SECONDS = 20
# Segments overlap by this much and are cross-faded, so the joins make no click.
OVERLAP_SECONDS = 0.25
# Praat's usual pitch search range for speech.
PITCH_FLOOR, PITCH_CEILING = 75.0, 600.0
# Praat's pitch analysis needs a few periods of the floor pitch; shorter pieces are padded with silence.
MIN_ANALYSIS_SAMPLES = SAMPLE_RATE // 5
# The new median pitch of a segment stays within a human range (the direction flips otherwise).
PITCH_TARGET_RANGE = (70.0, 420.0)
# Wall-clock limit for one file (decoding and disguising): hostile input must not hold a worker.
TIME_LIMIT_SECONDS = 120.0
DEFAULT_MAX_VOICE_SECONDS = 10 * 60

# Ranges the parameters are drawn from (a direction first, then a factor in that direction's range).
PITCH_UP, PITCH_DOWN = (1.22, 1.5), (0.66, 0.82)
FORMANT_UP, FORMANT_DOWN = (1.08, 1.2), (0.84, 0.93)
PITCH_RANGE = (0.75, 1.3)

_random = secrets.SystemRandom()


class CannotDisguise(Exception):
    """The recording cannot be disguised (unreadable, no sound, too long, too slow); ``message`` is translated.

    ``code`` says why, for API clients: ``voice_unreadable``, ``voice_too_long`` or ``voice_too_slow``.
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class DisguiseParameters:
    """One file's disguise: pitch factor, pitch-range factor and formant shift ratio. Never stored or logged."""

    pitch_factor: float
    pitch_range_factor: float
    formant_shift_ratio: float

    def __repr__(self) -> str:
        return "<DisguiseParameters>"  # keep them out of tracebacks and logs


def draw_parameters() -> DisguiseParameters:
    """Return fresh random parameters: pitch and formants moved the same way (up or down), by random amounts."""
    up = _random.random() < 0.5
    pitch = _random.uniform(*(PITCH_UP if up else PITCH_DOWN))
    formant = _random.uniform(*(FORMANT_UP if up else FORMANT_DOWN))
    return DisguiseParameters(
        pitch_factor=pitch, pitch_range_factor=_random.uniform(*PITCH_RANGE), formant_shift_ratio=formant
    )


class VoiceBudget:
    """How many seconds of recordings one submission may still disguise (``PELUIT_MAX_VOICE_SECONDS``)."""

    def __init__(self, seconds: float | None = None) -> None:
        limit = getattr(settings, "PELUIT_MAX_VOICE_SECONDS", DEFAULT_MAX_VOICE_SECONDS)
        self.limit = float(limit if seconds is None else seconds)
        self.samples_left = int(self.limit * SAMPLE_RATE)

    def take(self, samples: int) -> None:
        """Count ``samples`` decoded samples; raise CannotDisguise when the budget is spent."""
        self.samples_left -= samples
        if self.samples_left < 0:
            minutes = max(1, round(self.limit / 60))
            raise CannotDisguise(
                _("Recordings to disguise may last at most %(minutes)d minutes in total.") % {"minutes": minutes},
                code="voice_too_long",
            )


def _unreadable() -> CannotDisguise:
    return CannotDisguise(
        _(
            "This recording could not be read, so your voice could not be disguised. Nothing has been saved. "
            "Please send an MP3, M4A, OGG or WAV recording."
        ),
        code="voice_unreadable",
    )


def _too_slow() -> CannotDisguise:
    return CannotDisguise(
        _("Disguising this recording took too long. Please send a shorter recording."), code="voice_too_slow"
    )


def _decoded(source: BinaryIO, *, budget: VoiceBudget, deadline: float) -> Iterator[np.ndarray[Any, Any]]:
    """Yield the recording as mono float32 pieces at ``SAMPLE_RATE``, counting them against ``budget``."""
    source.seek(0)
    try:
        container = av.open(source, mode="r")
    except Exception as exc:  # FFmpeg refuses hostile input with many kinds of errors
        raise _unreadable() from exc
    try:
        if not container.streams.audio:
            raise _unreadable()
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        for packet in container.demux(stream):
            if time.monotonic() > deadline:
                raise _too_slow()
            for frame in packet.decode():
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1)
                    budget.take(samples.size)
                    yield samples
        for out in resampler.resample(None):
            samples = out.to_ndarray().reshape(-1)
            budget.take(samples.size)
            yield samples
    except CannotDisguise:
        raise
    except Exception as exc:
        raise _unreadable() from exc
    finally:
        container.close()


def _segments(pieces: Iterator[np.ndarray[Any, Any]], size: int) -> Iterator[np.ndarray[Any, Any]]:
    """Regroup ``pieces`` into arrays of ``size`` samples (the last one shorter)."""
    pending: list[np.ndarray[Any, Any]] = []
    count = 0
    for piece in pieces:
        pending.append(piece)
        count += piece.size
        while count >= size:
            joined = np.concatenate(pending)
            yield joined[:size]
            rest = joined[size:]
            pending, count = ([rest] if rest.size else []), rest.size
    if count:
        yield np.concatenate(pending)


def _change_voice(samples: np.ndarray[Any, Any], parameters: DisguiseParameters) -> np.ndarray[Any, Any]:
    """Return ``samples`` with pitch and formants shifted (Praat "Change gender"); the length is unchanged."""
    padded = np.pad(samples.astype(np.float64), (0, max(0, MIN_ANALYSIS_SAMPLES - samples.size)))
    try:
        changed = _change_gender(padded, parameters)
    except parselmouth.PraatError as exc:
        raise _unreadable() from exc
    out = changed[: samples.size]
    return np.pad(out, (0, samples.size - out.size))  # keep the time line exact for the cross-fade


def _change_gender(samples: np.ndarray[Any, Any], parameters: DisguiseParameters) -> np.ndarray[Any, Any]:
    sound = parselmouth.Sound(samples, sampling_frequency=SAMPLE_RATE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no voiced segments" in a pause is expected
        pitch = sound.to_pitch(None, PITCH_FLOOR, PITCH_CEILING)
        median = call(pitch, "Get quantile", 0, 0, 0.5, "Hertz")
        new_median = 0.0  # no voiced speech in this segment: nothing to move
        if np.isfinite(median) and median > 0:
            new_median = median * parameters.pitch_factor
            low, high = PITCH_TARGET_RANGE
            if not low <= new_median <= high:
                new_median = median / parameters.pitch_factor
        changed = call(
            [sound, pitch],
            "Change gender",
            parameters.formant_shift_ratio,
            new_median,
            parameters.pitch_range_factor,
            1.0,  # duration unchanged
        )
    return np.asarray(changed.values[0], dtype=np.float64)


def _pcm16(samples: np.ndarray[Any, Any]) -> bytes:
    return bytes((np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes())


def disguise_voice(
    source: BinaryIO,
    target: BinaryIO,
    *,
    budget: VoiceBudget,
    parameters: DisguiseParameters | None = None,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> DisguiseParameters:
    """Write the disguised recording in ``source`` to ``target`` as 16-bit mono WAV; return the parameters used.

    The parameters are drawn at random unless given (tests); the caller must not store or log them. Raises
    ``CannotDisguise`` for a recording that cannot be decoded or has no sound, that would exceed ``budget``,
    or that takes longer than ``time_limit`` seconds.
    """
    parameters = parameters or draw_parameters()
    deadline = time.monotonic() + time_limit
    overlap = int(OVERLAP_SECONDS * SAMPLE_RATE)
    fade_in = np.linspace(0.0, 1.0, overlap, endpoint=False)
    written = 0
    with wave.open(target, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        context = np.zeros(0, dtype=np.float32)  # the previous segment's last input samples
        tail = np.zeros(0, dtype=np.float64)  # ...and their disguised output, not yet written
        for segment in _segments(_decoded(source, budget=budget, deadline=deadline), SEGMENT_SECONDS * SAMPLE_RATE):
            changed = _change_voice(np.concatenate([context, segment]), parameters)
            if time.monotonic() > deadline:
                raise _too_slow()
            head = changed[: tail.size]
            mixed = tail * (1.0 - fade_in[: tail.size]) + head * fade_in[: tail.size]
            keep = min(overlap, segment.size)
            body = changed[tail.size : changed.size - keep]
            out.writeframes(_pcm16(np.concatenate([mixed, body])))
            written += mixed.size + body.size
            context, tail = segment[segment.size - keep :], changed[changed.size - keep :]
        out.writeframes(_pcm16(tail))
        written += tail.size
    if written == 0:
        raise _unreadable()
    target.flush()
    return parameters
