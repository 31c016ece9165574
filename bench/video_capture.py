"""Video capture cost: the bot's CPU per recorded minute of a call with three cameras.

The bot and the emulators run as separate processes (`stack`). One call with three
participants, cameras on (VP8, VP9 and AV1 at 640x360, 15 fps, as the emulator sends), is
recorded for ``minutes``; then the same call is recorded ``--audio-only`` for the same time,
so the difference is what receiving and storing video costs. Transcription and Meet's
artifacts are off, to measure capture alone. After each call: how long until the results
and, with video, until the MP4 is in the thread.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
from stack import Api, cpu_seconds, prepare, rss_mb, stack, until

from tests.media import write_tone

CAMERAS = (("Ann", 220.0), ("Ben", 330.0), ("Cy", 495.0))
TURN = 6.0  # seconds each one talks in turn


async def run(minutes: float, data_dir: Path) -> dict[str, Any]:
    """Record the call with video, then audio only; return both figures."""
    seconds = minutes * 60
    extra = {
        "MEETBOT_RECORDER_ICE_SERVERS": "[]",
        "MEETBOT_RECORDER_POLL_INTERVAL": "0.2",
        "MEETBOT_TRANSCRIPTION_ENABLED": "false",
        "MEETBOT_ARTIFACTS_ENABLED": "false",
        "MEETBOT_LOG_LEVEL": "WARNING",
    }
    pids: list[int] = []
    async with (
        stack(data_dir / "bot", extra_env=extra, pids=pids) as (_, emu_url),
        aiohttp.ClientSession() as http,
    ):
        api = Api(http, emu_url)
        await prepare(http, emu_url)
        people = _people(data_dir, seconds + 30)
        video = await _record(api, pids[0], people, seconds, flags="")
        audio = await _record(api, pids[0], people, seconds, flags="--audio-only")
    extra_cpu = video["cpu_s_per_recorded_minute"] - audio["cpu_s_per_recorded_minute"]
    return {
        "video": video,
        "audio_only": audio,
        "video_capture_cpu_s_per_recorded_minute": round(extra_cpu, 2),
        "video_capture_cores": round(extra_cpu / 60, 4),
    }


def _people(data_dir: Path, seconds: float) -> list[dict[str, Any]]:
    """Three cameras; each voice talks for `TURN` seconds in turn, the whole call long."""
    people = []
    for k, (name, freq) in enumerate(CAMERAS):
        path = data_dir / f"{name}.wav"
        write_tone(path, freq=freq, seconds=TURN)
        people.append({"name": name, "audio": str(path), "speak_at": 1.0 + k * TURN, "video": True})
    return people


async def _record(
    api: Api, bot: int, people: list[dict[str, Any]], seconds: float, *, flags: str
) -> dict[str, Any]:
    before = len((await api("GET", "meet/spaces"))["spaces"])
    await api.command("new bench")

    async def created() -> list[dict[str, Any]]:
        spaces: list[dict[str, Any]] = (await api("GET", "meet/spaces"))["spaces"]
        return spaces[before:]

    [space] = await until(created, within=30, what="the meeting's space")
    code = space["meetingCode"]
    await api("POST", "meet/conferences", {"space": code, "participants": people})
    await api.command(f"record {code} {flags}".strip())
    await until(lambda: _flowing(api, bool(flags)), within=120, what="the recorder to receive")
    cpu0, t0, rss0, peak = cpu_seconds(bot), time.monotonic(), rss_mb(bot), 0.0
    while time.monotonic() - t0 < seconds:
        await asyncio.sleep(1.0)
        peak = max(peak, rss_mb(bot))
    cpu, window = cpu_seconds(bot) - cpu0, time.monotonic() - t0
    session = (await api("GET", "meet/media"))["sessions"][-1]
    ended = time.monotonic()
    await api("POST", "meet/conferences/end", {"space": code})
    await until(lambda: _said(api, "Recording ready"), within=120, what="the results")
    results_after = time.monotonic() - ended
    figures: dict[str, Any] = {
        "measured_s": round(window, 1),
        "bot_cpu_s": round(cpu, 2),
        "cpu_s_per_recorded_minute": round(cpu / (window / 60), 2),
        "cores": round(cpu / window, 4),
        "rss_growth_mb": round(peak - rss0, 1),
        "video_frames_sent": sum(session.get("video_frames_by_participant", {}).values()),
        "results_after_end_s": round(results_after, 2),
    }
    if not flags:
        await until(lambda: _said(api, "Video ready"), within=600, what="the video")
        figures["video_ready_after_end_s"] = round(time.monotonic() - ended, 2)
    await api.command("end")
    return figures


async def _flowing(api: Api, audio_only: bool) -> bool:
    sessions = (await api("GET", "meet/media"))["sessions"]
    if not sessions or sessions[-1]["state"] != "joined":
        return False
    if audio_only:
        return True
    seen = sessions[-1].get("video_frames_by_participant", {})
    return len(seen) == len(CAMERAS) and all(n > 0 for n in seen.values())


async def _said(api: Api, text: str) -> bool:
    """Whether the latest meeting's thread has a message containing ``text``."""
    messages = await api.messages()
    cards = [m for m in messages if m.get("blocks") and m.get("thread_ts") is None]
    latest = cards[-1]["ts"] if cards else None
    return any(text in m.get("text", "") and m.get("thread_ts") == latest for m in messages)
