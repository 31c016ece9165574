"""Call end → results in the thread, for a short and a long call recorded at the same time.

It starts `meetbot emulators` and `meetbot serve` as separate processes (bench/stack.py),
creates two meetings, starts a three-speaker call in each (the sandbox's recorded voices,
looped to the call's length), records both with `/meet record`, and ends them after
``--short`` and ``--long`` minutes. For each it measures the time from the end of the call to
the recording's files, and to the transcript, appearing in the meeting's Slack thread:

    python bench/results.py [--short 1] [--long 20]

The calls run in real time, so this takes as long as the long call. Prints one JSON object.
The budget (DESIGN.md §9) is under 10 s whatever the call's length.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np
from stack import Api, prepare, stack, until

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox.meet_media.samples import sample_path  # noqa: E402

RATE = 48_000
VOICES = ("Alice", "Bob", "Carol")


def _looped(name: str, dest: Path, minutes: float) -> str:
    """``name``'s recorded voice repeated for ``minutes``, as Ogg Opus."""
    with av.open(sample_path(f"sample:{name.lower()}")) as src:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in src.decode(audio=0)])
    total = int(minutes * 60 * RATE)
    track = np.resize(pcm, total).astype(np.float32)
    with av.open(str(dest), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=RATE, layout="mono")
        stream.bit_rate = 32_000
        for start in range(0, total, 960):
            frame = av.AudioFrame.from_ndarray(
                track[start : start + 960].reshape(1, -1), format="flt", layout="mono"
            )
            frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return str(dest)


class Call:
    """One recorded call in its own channel."""

    def __init__(self, api: Api, *, channel: str, minutes: float, voices: list[Any]) -> None:
        self.api, self.channel, self.minutes, self.voices = api, channel, minutes, voices
        self.code = ""
        self.ended = 0.0
        self.files_after: float | None = None
        self.transcript_after: float | None = None
        self.transcript_lines = 0

    async def start(self) -> None:
        await self.api.command(f"new results bench {self.minutes} min", self.channel)
        before = {s["name"] for s in (await self.api("GET", "meet/spaces"))["spaces"]}

        async def card() -> str | None:
            spaces = (await self.api("GET", "meet/spaces"))["spaces"]
            fresh = [s for s in spaces if s["name"] not in before] or spaces
            return str(fresh[-1]["meetingCode"]) if fresh else None

        self.code = await until(card, within=30, what="the meeting")
        body = {"space": self.code, "participants": self.voices}
        await self.api("POST", "meet/conferences", body)
        await self.api.command(f"record {self.code}", self.channel)

    async def joined(self) -> bool:
        sessions = (await self.api("GET", "meet/media"))["sessions"]
        return any(s["state"] == "joined" and s.get("space") for s in sessions)

    async def end_and_wait(self) -> None:
        self.ended = time.monotonic()
        await self.api("POST", "meet/conferences/end", {"space": self.code})
        await until(
            self._watch, within=300, what=f"the {self.minutes}-minute call's results", step=0.05
        )

    async def _watch(self) -> bool:
        messages = await self.api.messages(self.channel)
        now = time.monotonic() - self.ended
        if self.files_after is None and any("Recording ready" in m["text"] for m in messages):
            self.files_after = now
        transcript = [m for m in messages if _is_transcript(m)]
        if self.transcript_after is None and transcript:
            self.transcript_after = now
            self.transcript_lines = sum(m["text"].count("\n") for m in transcript)
        return self.files_after is not None and self.transcript_after is not None

    def figures(self) -> dict[str, Any]:
        return {
            "call_minutes": self.minutes,
            "end_to_files_s": _round(self.files_after),
            "end_to_transcript_s": _round(self.transcript_after),
        }


def _is_transcript(message: dict[str, Any]) -> bool:
    names = [f.get("name", "") for f in message.get("files") or []]
    return any(n.endswith(".vtt") for n in names) or "*Transcript" in message["text"]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def run(short: float, long: float, data_dir: Path) -> dict[str, Any]:
    voices = {
        minutes: [
            {
                "name": name,
                "audio": _looped(name, data_dir / f"{name}-{minutes}.ogg", minutes + 1),
                "speak_at": 1.0,
            }
            for name in VOICES
        ]
        for minutes in (short, long)
    }
    extra = {
        "MEETBOT_RECORDER_ICE_SERVERS": "[]",
        "MEETBOT_RECORDER_POLL_INTERVAL": "0.2",
        "MEETBOT_LOG_LEVEL": "WARNING",
    }
    async with (
        stack(data_dir / "bot", extra_env=extra) as (_, emu_url),
        aiohttp.ClientSession() as http,
    ):
        api = Api(http, emu_url)
        await prepare(http, emu_url)
        long_call = Call(api, channel="C0GENERAL", minutes=long, voices=voices[long])
        short_call = Call(api, channel="C0RANDOM", minutes=short, voices=voices[short])
        await long_call.start()
        started = time.monotonic()
        await until(long_call.joined, within=60, what="the long call's recorder to join")
        # the short call runs alongside the end of the long one: both end under the same load
        await asyncio.sleep(max(0.0, (long - short) * 60 - 30))
        await short_call.start()
        await asyncio.sleep(short * 60)
        await short_call.end_and_wait()
        await asyncio.sleep(max(0.0, long * 60 - (time.monotonic() - started)))
        await long_call.end_and_wait()
    figures = [short_call.figures(), long_call.figures()]
    worst = [f["end_to_transcript_s"] for f in figures if f["end_to_transcript_s"] is not None]
    return {
        "calls": figures,
        "budget_s": 10.0,
        "growth_s": round(worst[-1] - worst[0], 2) if len(worst) == 2 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", type=float, default=1.0, help="minutes")
    parser.add_argument("--long", type=float, default=20.0, help="minutes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="meetbot-bench-results-") as tmp:
        result = asyncio.run(run(args.short, args.long, Path(tmp)))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
