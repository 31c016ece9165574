"""Recorder cost: N concurrent emulated three-speaker calls recorded by one bot process.

It starts `meetbot emulators` and `meetbot serve` as separate processes (bench/stack.py), so
the figures are the bot's own: it creates N meetings, starts a call in each with three
speakers talking in turns and over each other, records them all with `/meet record`, measures
the bot process for ``--duration`` seconds of steady recording, ends the calls, waits for the
results in Slack, and compares the frames the emulator sent with those in the files:

    python bench/recorder.py [--calls 40] [--duration 60]

Prints one JSON object: CPU seconds per recorded minute and cores per call, resident memory
per concurrent call, Record → joined and call end → results latencies, and dropped frames.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import av
from stack import Api, cpu_seconds, prepare, rss_mb, stack, until

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recorder.capture.ogg import read_pages  # noqa: E402
from recorder.capture.opus import is_voiced  # noqa: E402

VOICES = (("Ann", 220.0), ("Ben", 330.0), ("Cy", 495.0))


def _voice(path: Path, *, freq: float, offset: float, seconds: float) -> str:
    """Talks 3 s out of every 6, starting ``offset`` s in: turns that overlap by about 1 s."""
    rate = 48_000
    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=rate, layout="mono")
        for start in range(0, int(seconds * rate), 960):
            t = start / rate
            on = ((t - offset) % 6.0) < 3.0 if t >= offset else False
            samples = (
                bytes(1920)
                if not on
                else b"".join(
                    int(9000 * math.sin(2 * math.pi * freq * (start + i) / rate)).to_bytes(
                        2, "little", signed=True
                    )
                    for i in range(960)
                )
            )
            frame = av.AudioFrame(format="s16", layout="mono", samples=960)
            frame.planes[0].update(samples)
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return str(path)


async def _meetings(api: Api, calls: int) -> list[str]:
    for i in range(calls):
        await api.command(f"new bench call {i}")
    spaces = await until(lambda: _spaces_if(api, calls), within=60 + calls, what="the meetings")
    return [s["meetingCode"] for s in spaces]


async def _spaces_if(api: Api, calls: int) -> list[dict[str, Any]] | None:
    spaces = (await api("GET", "meet/spaces"))["spaces"]
    return spaces if len(spaces) >= calls else None


async def _joined(api: Api, calls: int) -> list[dict[str, Any]] | None:
    sessions = (await api("GET", "meet/media"))["sessions"]
    live = [s for s in sessions if s["state"] == "joined"]
    return live if len(live) >= calls else None


async def _results(api: Api, calls: int) -> list[dict[str, Any]] | None:
    messages = (await api("GET", "slack/messages?channel=C0GENERAL"))["messages"]
    done = [
        m
        for m in messages
        if "Recording ready" in m["text"] or "recording failed" in m["text"].lower()
    ]
    return done if len(done) >= calls else None


def _captured_frames(blob_dir: Path) -> int:
    total = 0
    for path in blob_dir.glob("recordings/*/*.ogg"):
        for page in read_pages(path.read_bytes()):
            total += sum(1 for packet in page.packets if is_voiced(packet))
    return total


async def run(calls: int, duration: float, data_dir: Path) -> dict[str, Any]:
    voices = [
        {
            "name": name,
            "audio": _voice(
                data_dir / f"{name}.wav", freq=freq, offset=2.0 * k, seconds=duration + 30
            ),
            "speak_at": 1.0,
        }
        for k, (name, freq) in enumerate(VOICES)
    ]
    pids: list[int] = []
    extra = {
        "MEETBOT_RECORDER_ICE_SERVERS": "[]",
        "MEETBOT_RECORDER_POLL_INTERVAL": "0.2",
        "MEETBOT_RECORDER_MAX_CONCURRENT": str(max(50, calls)),
        "MEETBOT_LOG_LEVEL": "WARNING",
    }
    async with (
        stack(data_dir / "bot", extra_env=extra, pids=pids) as (_, emu_url),
        aiohttp.ClientSession() as http,
    ):
        api = Api(http, emu_url)
        await prepare(http, emu_url)
        codes = await _meetings(api, calls)
        bot = pids[0]
        rss_idle = rss_mb(bot)
        for code in codes:
            await api("POST", "meet/conferences", {"space": code, "participants": voices})
        asked = time.monotonic()
        for code in codes:
            await api.command(f"record {code}")
        await until(lambda: _joined(api, calls), within=120, what="every recorder to join")
        joined_after = time.monotonic() - asked
        cpu0, t0, peak = cpu_seconds(bot), time.monotonic(), 0.0
        while time.monotonic() - t0 < duration:
            await asyncio.sleep(1.0)
            peak = max(peak, rss_mb(bot))
        cpu = cpu_seconds(bot) - cpu0
        window = time.monotonic() - t0
        ended = time.monotonic()
        for code in codes:
            await api("POST", "meet/conferences/end", {"space": code})
        await until(lambda: _results(api, calls), within=120, what="every recording's results")
        results_after = time.monotonic() - ended
        sessions = (await api("GET", "meet/media"))["sessions"]
        sent = sum(sum(s["frames_by_participant"].values()) for s in sessions)
        captured = _captured_frames(data_dir / "bot" / "blobs")
    return {
        "calls": calls,
        "speakers_per_call": len(VOICES),
        "measured_s": round(window, 1),
        "bot_cpu_s": round(cpu, 2),
        "cpu_s_per_recorded_minute": round(cpu / (calls * window / 60), 4),
        "cores_per_call": round(cpu / window / calls, 5),
        "budget_cores_per_call": 0.02,
        "rss_idle_mb": round(rss_idle, 1),
        "rss_peak_mb": round(peak, 1),
        "rss_per_call_mb": round((peak - rss_idle) / calls, 2),
        "budget_mb_per_call": 40,
        "all_joined_after_record_s": round(joined_after, 2),
        "results_posted_after_end_s": round(results_after, 2),
        "frames_sent": sent,
        "frames_captured": captured,
        "frames_dropped": max(0, sent - captured),
        "drop_rate": round(max(0, sent - captured) / sent, 5) if sent else None,
        "joined_sessions": len(sessions),
        "median_packets_sent": statistics.median(s["packets_sent"] for s in sessions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--duration", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="meetbot-bench-rec-") as tmp:
        result = asyncio.run(run(args.calls, args.duration, Path(tmp)))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
