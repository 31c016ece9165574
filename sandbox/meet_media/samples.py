"""Built-in sample voices (``"audio": "sample:alice"``) so a demo call needs no audio files.

``alice``, ``bob`` and ``carol`` are recorded: a short standup read by espeak-ng, one Opus file
per voice on one conversation clock (`voices/script.json` has the lines and their times; the
files are made by `voices/make_voices.py`). Start them at the same moment and they take turns,
with one overlap. Any other name is a synthetic speaker: syllables of a few harmonics at the
voice's own pitch, grouped in words and phrases with pauses, about 20 seconds long, generated
once per machine into the temporary directory, deterministically.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import wave
from array import array
from pathlib import Path

PREFIX = "sample:"
RATE = 16_000
SECONDS = 20.0
VOICES = {"alice": 210.0, "bob": 120.0, "carol": 250.0, "dave": 105.0, "erin": 190.0}
RECORDED_DIR = Path(__file__).parent / "voices"
RECORDED = ("alice", "bob", "carol")


def is_sample(audio: str) -> bool:
    return audio.startswith(PREFIX)


def sample_path(audio: str) -> str:
    """The audio file for ``sample:<voice>`` (recorded, or synthetic with a pitch from the name)."""
    name = audio.removeprefix(PREFIX).strip().lower() or "alice"
    if name in RECORDED:
        return str(RECORDED_DIR / f"{name}.ogg")
    path = Path(tempfile.gettempdir()) / "meetbot-sandbox-voices" / f"{name}.wav"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pitch = VOICES.get(name, 100.0 + sum(name.encode()) % 160)
        partial = path.with_suffix(".tmp")
        _write(partial, _speech(pitch, seed=name))
        partial.replace(path)
    return str(path)


def script() -> list[dict[str, object]]:
    """The recorded voices' lines: ``speaker``, ``start``, ``end`` (seconds) and ``text``."""
    data = json.loads((RECORDED_DIR / "script.json").read_text())
    lines: list[dict[str, object]] = data["lines"]
    return lines


def _speech(pitch: float, *, seed: str) -> array[int]:
    rng = random.Random(seed)
    out = array("h", bytes(int(SECONDS * RATE) * 2))
    t = 0.3
    while t < SECONDS - 1.0:
        for _ in range(rng.randint(3, 8)):  # a phrase of words
            for _ in range(rng.randint(1, 3)):  # a word of syllables
                length = rng.uniform(0.12, 0.28)
                _syllable(out, start=t, length=length, pitch=pitch * rng.uniform(0.85, 1.2))
                t += length + 0.02
            t += rng.uniform(0.08, 0.2)
        t += rng.uniform(0.8, 2.0)
    return out


def _syllable(out: array[int], *, start: float, length: float, pitch: float) -> None:
    first, count = int(start * RATE), int(length * RATE)
    for i in range(min(count, len(out) - first)):
        envelope = math.sin(math.pi * i / count)
        phase = 2 * math.pi * pitch * i / RATE
        value = sum(math.sin(h * phase) / h for h in (1, 2, 3, 4))
        out[first + i] = int(6000 * envelope * value)


def _write(path: Path, samples: array[int]) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.tobytes())
