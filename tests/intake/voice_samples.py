"""Voice-like recordings made at test time (a glottal pulse train through vowel formants) and measurements.

The source is a sawtooth at a speaking pitch with intonation and pauses, shaped by three formant resonances
(Praat's one-formant filter), so pitch and formant trackers see what they see in speech. Encoded with PyAV
into the formats reporters send (M4A/AAC, MP3, Ogg Opus, WAV).
"""

from __future__ import annotations

import io
from typing import Any

import av
import numpy as np
import parselmouth
from parselmouth.praat import call

# (container format, codec, file suffix, sample rate)
FORMATS = {
    "m4a": ("ipod", "aac", ".m4a", 44_100),
    "mp3": ("mp3", "libmp3lame", ".mp3", 44_100),
    "ogg": ("ogg", "libopus", ".ogg", 48_000),
    "wav": ("wav", "pcm_s16le", ".wav", 44_100),
}
VOWEL_FORMANTS = ((700.0, 90.0), (1220.0, 110.0), (2600.0, 160.0))


def synthetic_voice(seconds: float, *, pitch: float = 120.0, rate: int = 44_100) -> np.ndarray[Any, Any]:
    """Return a mono float voice-like signal: a pitch contour around ``pitch`` Hz, vowel formants, pauses."""
    t = np.arange(int(seconds * rate)) / rate
    f0 = pitch * (1.0 + 0.12 * np.sin(2 * np.pi * 0.7 * t))
    phase = np.cumsum(f0) / rate
    source = 2.0 * (phase % 1.0) - 1.0
    source[(t % 2.5) > 2.1] = 0.0  # a pause between "phrases"
    sound = parselmouth.Sound(source * 0.2, sampling_frequency=rate)
    for frequency, bandwidth in VOWEL_FORMANTS:
        sound = call(sound, "Filter (one formant)...", frequency, bandwidth)
    values = np.asarray(sound.values[0])
    return values / max(1e-9, float(np.abs(values).max())) * 0.5


def encode(samples: np.ndarray[Any, Any], kind: str) -> bytes:
    """Return ``samples`` encoded as ``kind`` (a key of FORMATS), resampled to that format's rate."""
    container_format, codec, _suffix, rate = FORMATS[kind]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        sample_format = stream.codec_context.format.name
        resampler = av.AudioResampler(format=sample_format, layout="mono", rate=rate)
        source = av.AudioFrame.from_ndarray(samples.astype(np.float32)[None, :], format="flt", layout="mono")
        source.rate = 44_100
        frames = resampler.resample(source) + resampler.resample(None)
        frame_size = stream.codec_context.frame_size or 1024
        fifo = av.AudioFifo()
        for frame in frames:
            frame.pts = None
            fifo.write(frame)
        while fifo.samples:
            chunk = fifo.read(min(frame_size, fifo.samples))
            for packet in stream.encode(chunk):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def sound_of(data: bytes) -> parselmouth.Sound:
    """Return the first audio stream of ``data`` as a mono Praat sound (decoded with PyAV)."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=16_000)
        frames = [out for frame in container.decode(stream) for out in resampler.resample(frame)]
        pieces = [out.to_ndarray().reshape(-1) for out in frames]
        pieces += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    return parselmouth.Sound(np.concatenate(pieces).astype(np.float64), sampling_frequency=16_000)


def median_pitch(sound: parselmouth.Sound) -> float:
    """Return the median pitch (Hz) of the voiced parts of ``sound``."""
    return float(call(sound.to_pitch(None, 60.0, 600.0), "Get quantile", 0, 0, 0.5, "Hertz"))


def mean_formant(sound: parselmouth.Sound, number: int) -> float:
    """Return the mean of formant ``number`` (Hz) over ``sound`` (Burg method, Praat's defaults)."""
    return float(call(sound.to_formant_burg(), "Get mean", number, 0, 0, "hertz"))
