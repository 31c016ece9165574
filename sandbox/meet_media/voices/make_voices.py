"""Regenerate the sandbox's recorded sample voices (needs espeak-ng; run by hand, not at run time).

    python -m sandbox.meet_media.voices.make_voices

Writes ``<voice>.ogg`` (Opus, 48 kHz mono) for each voice of `SCRIPT`, all the same length and
aligned to one conversation clock: each voice is silent while the others talk, so a demo call
sounds like a meeting. Two lines overlap on purpose (crosstalk). ``script.json`` holds every
line with its start and end, for tests and for the Meet emulator's own transcript.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import wave
from array import array
from fractions import Fraction
from pathlib import Path

import av

HERE = Path(__file__).parent
RATE = 48_000
VOICES = {  # espeak-ng voice and pitch; chosen for what Whisper tiny.en understands best
    "alice": ("en-us", "65"),
    "bob": ("en-us+m2", "30"),
    "carol": ("en-us+m1", "55"),
}
# (speaker, text, gap): the line starts `gap` seconds after the previous line ended (< 0 overlaps)
SCRIPT: tuple[tuple[str, str, float], ...] = (
    ("alice", "Good morning everyone. Let us start the standup.", 0.5),
    ("bob", "Yesterday I finished the login page and fixed two bugs in the billing report.", 0.6),
    ("carol", "I reviewed the pull requests and updated the release notes.", 0.6),
    ("alice", "Great. Does anyone have a blocker today?", 0.6),
    ("bob", "I am waiting for the new test server.", 0.5),
    ("carol", "I can set it up this afternoon.", -1.0),
    ("alice", "Thank you both. We will ship the new release on Friday.", 0.8),
)


def main() -> None:
    lines: list[dict[str, object]] = []
    clips: dict[str, list[tuple[int, array[int]]]] = {name: [] for name in VOICES}
    at = 0.5
    for speaker, text, gap in SCRIPT:
        voice, pitch = VOICES[speaker]
        pcm = _speak(text, voice, pitch)
        start = max(0.0, at + gap) if lines else at
        clips[speaker].append((int(start * RATE), pcm))
        end = start + len(pcm) / RATE
        lines.append(
            {"speaker": speaker, "start": round(start, 3), "end": round(end, 3), "text": text}
        )
        at = end
    total = int((at + 1.0) * RATE)
    for name, parts in clips.items():
        track = array("h", bytes(2 * total))
        for offset, pcm in parts:
            track[offset : offset + len(pcm)] = pcm
        _write_opus(HERE / f"{name}.ogg", track)
    (HERE / "script.json").write_text(
        json.dumps({"seconds": total / RATE, "lines": lines}, indent=1) + "\n"
    )


def _speak(text: str, voice: str, pitch: str) -> array[int]:
    with tempfile.TemporaryDirectory() as tmp:
        wav_path = Path(tmp) / "line.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-p", pitch, "-s", "145", "-w", str(wav_path), text],
            check=True,
        )
        with wave.open(str(wav_path)) as wav:
            rate = wav.getframerate()
            data = array("h", wav.readframes(wav.getnframes()))
    return _resample(data, rate)


def _resample(data: array[int], rate: int) -> array[int]:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    frame = av.AudioFrame(format="s16", layout="mono", samples=len(data))
    frame.planes[0].update(data.tobytes())
    frame.sample_rate = rate
    out = array("h")
    for piece in [*resampler.resample(frame), *resampler.resample(None)]:
        out.frombytes(bytes(piece.planes[0])[: piece.samples * 2])
    return out


def _write_opus(path: Path, track: array[int]) -> None:
    with av.open(str(path), "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=RATE, layout="mono")
        stream.bit_rate = 32_000
        step = 960
        for i in range(0, len(track), step):
            chunk = track[i : i + step]
            frame = av.AudioFrame(format="s16", layout="mono", samples=len(chunk))
            frame.planes[0].update(chunk.tobytes())
            frame.sample_rate = RATE
            frame.pts = i
            frame.time_base = Fraction(1, RATE)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


if __name__ == "__main__":
    main()
