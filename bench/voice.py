"""Benchmark voice disguise: time and memory for recordings of the reporter's own voice. Prints JSON.

Run: .venv/bin/python bench/voice.py [--minutes 10] [--format m4a]

A voice-like recording of the given length is made (tests/intake/voice_samples.py) and disguised in a fresh
process, so the peak RSS measured (VmHWM, reset before the work) is the disguise's own. The reference in the
same run is decoding the same recording alone: the ratio says what the disguise adds on this machine. The
real-time factor (seconds of work per second of audio) says how long a reporter waits.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

MEASURE = textwrap.dedent(
    """
    import json, os, sys, tempfile, time
    import django
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    django.setup()
    from intake import voice

    def peak_rss_kib():
        with open("/proc/self/status") as status:
            return int(next(line for line in status if line.startswith("VmHWM:")).split()[1])

    def reset_peak_rss():
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")

    mode, path = sys.argv[1], sys.argv[2]
    budget = voice.VoiceBudget(seconds=10**6)
    with open(path, "rb") as source, tempfile.TemporaryFile() as target:
        reset_peak_rss()
        baseline = peak_rss_kib()
        started = time.perf_counter()
        if mode == "decode":
            pieces = voice._decoded(source, budget=budget, deadline=time.monotonic() + 3600)
            samples = sum(piece.size for piece in pieces)
        else:
            voice.disguise_voice(source, target, budget=budget, time_limit=3600)
            samples = (target.seek(0, 2) - 44) // 2
        elapsed = time.perf_counter() - started
        print(json.dumps({"seconds": elapsed, "audio_seconds": samples / voice.SAMPLE_RATE,
                          "peak_rss_growth_mib": (peak_rss_kib() - baseline) / 1024}))
    """
)


def run(mode: str, path: str) -> dict[str, float]:
    """Measure ``mode`` (decode or disguise) of the recording at ``path`` in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, mode, path], cwd=ROOT, capture_output=True, text=True, check=True
    )
    measured: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


def main() -> None:
    """Make a recording, measure decoding and disguising it, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the recording (default 10)")
    parser.add_argument("--format", default="m4a", choices=["m4a", "mp3", "ogg", "wav"])
    args = parser.parse_args()

    import django

    django.setup()
    from tests.intake.voice_samples import encode, synthetic_voice

    data = encode(synthetic_voice(args.minutes * 60), args.format)
    with tempfile.NamedTemporaryFile(suffix=f".{args.format}") as recording:  # synthetic audio, not a reporter's
        recording.write(data)
        recording.flush()
        decode = run("decode", recording.name)
        disguise = run("disguise", recording.name)
    print(
        json.dumps(
            {
                "benchmark": "voice_disguise",
                "format": args.format,
                "recording_minutes": args.minutes,
                "recording_mib": round(len(data) / 2**20, 2),
                "decode_seconds": round(decode["seconds"], 2),
                "disguise_seconds": round(disguise["seconds"], 2),
                "disguise_vs_decode": round(disguise["seconds"] / decode["seconds"], 1),
                "real_time_factor": round(disguise["seconds"] / disguise["audio_seconds"], 4),
                "output_minutes": round(disguise["audio_seconds"] / 60, 2),
                "peak_rss_growth_mib": round(disguise["peak_rss_growth_mib"], 1),
                "decode_peak_rss_growth_mib": round(decode["peak_rss_growth_mib"], 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
