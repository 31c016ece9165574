"""The whole story in Slack: /meet new → a call with three speakers → Record → End → files."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import aiohttp

from recorder.model import RecordingState
from tests.fixtures_bot import SandboxBot, eventually
from tests.media import decode, tone_level, write_tone

_FILE_URL = re.compile(r"https?://[^\s|>\"\\]+/files/[^\s|>\"\\]+")
TONES = {"Ann": 440.0, "Ben": 660.0, "Cy": 990.0}


async def _new_meeting(bot: SandboxBot) -> tuple[dict[str, Any], str]:
    await bot.command("new standup")
    [card] = await bot.cards()
    [space] = (await bot.api("GET", "meet/spaces"))["spaces"]
    return card, space["meetingCode"]


async def _start_call(bot: SandboxBot, code: str, tmp: Path, *, seconds: float = 2.5) -> None:
    people = [
        {
            "name": name,
            "audio": str(write_tone(tmp / f"{name}.wav", freq=f, seconds=seconds)),
            "speak_at": 0.5 + 0.4 * i,
        }
        for i, (name, f) in enumerate(TONES.items())
    ]
    await bot.api("POST", "meet/conferences", {"space": code, "participants": people})


async def _spoken(bot: SandboxBot, code: str, frames: int) -> None:
    async def done() -> bool:
        sessions = (await bot.api("GET", "meet/media"))["sessions"]
        counts = sessions[-1]["frames_by_participant"] if sessions else {}
        return len(counts) == 3 and all(n >= frames for n in counts.values())

    await eventually(done, within=20, what="everyone to finish speaking")


async def _thread(bot: SandboxBot, card: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in await bot.messages() if m.get("thread_ts") == card["ts"]]


def _links(message: dict[str, Any]) -> list[str]:
    return sorted(set(_FILE_URL.findall(json.dumps(message))))


async def test_record_three_speakers_then_end_delivers_playable_files(
    connected_bot: SandboxBot, tmp_path: Path
) -> None:
    bot = connected_bot
    card, code = await _new_meeting(bot)
    await _start_call(bot, code, tmp_path)
    await bot.click(card["ts"], "meet_record")

    async def recording_notice() -> Any:
        return [m for m in await _thread(bot, card) if "*Recording*, started by" in m["text"]]

    [notice] = await eventually(recording_notice, within=10, what="the recording notice")
    assert "<@U0ALICE>" in notice["text"]
    assert "/meet stop" in notice["text"]
    live_card = next(m for m in await bot.messages() if m["ts"] == card["ts"])
    assert "meet_stop" in json.dumps(live_card["blocks"])

    await _spoken(bot, code, frames=50)
    await bot.api("POST", "meet/conferences/end", {"space": code})

    async def results() -> Any:
        return [m for m in await _thread(bot, card) if "Recording ready" in m["text"]]

    [message] = await eventually(results, within=20, what="the results in the thread")
    assert "3 speakers" in message["text"]
    recording = await bot.runtime.repos.recordings.latest_for_meeting(
        meeting_id=card["blocks"][0]["block_id"].split(":", 1)[1]
    )
    assert recording is not None
    assert recording.state is RecordingState.READY
    links = _links(message)
    assert len(links) == 4
    downloads = {}
    async with aiohttp.ClientSession() as http:
        for link in links:
            async with http.get(link) as response:
                assert response.status == 200
                name = response.headers["Content-Disposition"].split('filename="')[1].split('"')[0]
                path = tmp_path / name
                path.write_bytes(await response.read())
                downloads[name] = (path, response.headers["Content-Type"])
    assert sorted(downloads) == ["Ann.ogg", "Ben.ogg", "Cy.ogg", "recording.m4a"]
    assert downloads["recording.m4a"][1] == "audio/mp4"

    async def capture_removed() -> bool:  # the capture is gone once delivered
        return not await asyncio.to_thread(Path(recording.work_dir).exists)

    await eventually(capture_removed, within=5, what="the capture to be removed")
    assert downloads["Ann.ogg"][1] == "audio/ogg"
    mixed = decode(downloads["recording.m4a"][0])
    assert abs(len(mixed) / 48_000 - (recording.duration or 0)) < 0.15
    for name, freq in TONES.items():
        samples = decode(downloads[f"{name}.ogg"][0])
        assert abs(len(samples) - len(mixed)) < 48_000 * 0.1
        assert tone_level(samples, freq) > 0.1
        assert tone_level(mixed, freq) > 0.05


async def test_stop_button_finishes_the_recording(
    connected_bot: SandboxBot, tmp_path: Path
) -> None:
    bot = connected_bot
    card, code = await _new_meeting(bot)
    await _start_call(bot, code, tmp_path, seconds=3)
    await bot.command("record")
    await _spoken(bot, code, frames=30)
    await bot.click(card["ts"], "meet_stop", user="U0BOB")

    async def results() -> Any:
        return [m for m in await _thread(bot, card) if "Recording ready" in m["text"]]

    await eventually(results, within=20, what="the results after Stop")

    async def finished_notice() -> Any:
        return [m for m in await _thread(bot, card) if "Recording finished" in m["text"]]

    [notice] = await eventually(finished_notice, within=5, what="the notice edited in place")
    assert "stopped by U0BOB" in notice["text"]


async def test_a_refused_recording_is_reported_with_the_reason(
    connected_bot: SandboxBot, tmp_path: Path
) -> None:
    bot = connected_bot
    card, code = await _new_meeting(bot)
    [space] = (await bot.api("GET", "meet/spaces"))["spaces"]
    await bot.api(
        "POST",
        "meet/media/faults",
        {"space": space["name"], "refuse": "DISABLED_DUE_TO_ENCRYPTION"},
    )
    await _start_call(bot, code, tmp_path)
    await bot.click(card["ts"], "meet_record")

    async def failure() -> Any:
        return [m for m in await _thread(bot, card) if "The recording failed" in m["text"]]

    [message] = await eventually(failure, within=10, what="the failure in the thread")
    assert "client-side encryption" in message["text"]


async def test_one_recorder_per_call(connected_bot: SandboxBot, tmp_path: Path) -> None:
    bot = connected_bot
    card, code = await _new_meeting(bot)
    await bot.click(card["ts"], "meet_record")
    await bot.settle()
    await bot.command("record")
    await bot.settle()
    assert "already being recorded" in (await bot.ephemerals())[-1]
    await bot.command("stop")
    await bot.settle()

    assert "nothing was recorded" in (await bot.ephemerals())[-1]

    async def cancelled() -> Any:
        return [m for m in await _thread(bot, card) if "Recording cancelled by" in m["text"]]

    [message] = await eventually(cancelled, within=10, what="the cancelled recording's report")
    assert "<@U0ALICE> before the call started" in message["text"]
