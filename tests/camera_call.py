"""A call with cameras on in the sandbox: three people, each heard alone, each with a picture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.model import Recording
from tests.fixtures_bot import SandboxBot, eventually
from tests.media import write_tone

# tone and speak_at; names whose test pictures have far-apart hues (orange, green, blue)
CAMERAS = {"Ann": (440.0, 2.5), "Gus": (660.0, 5.0), "Max": (990.0, 7.5)}
TALK = 2.0
"""Seconds each one talks, alone."""


async def call_with_cameras(bot: SandboxBot, space: str, tmp: Path) -> None:
    """Starts the call in ``space`` (name or meeting code), with `CAMERAS` talking in turn."""
    # small pictures encode fast; the composer scales them up like any small stream
    await bot.api("POST", "meet/media/faults", {"space": space, "video_size": "320x180"})
    people = [
        {
            "name": name,
            "audio": str(write_tone(tmp / f"{name}.wav", freq=freq, seconds=TALK)),
            "speak_at": at,
            "video": True,
        }
        for name, (freq, at) in CAMERAS.items()
    ]
    await bot.api("POST", "meet/conferences", {"space": space, "participants": people})


async def everyone_seen_and_heard(bot: SandboxBot) -> None:
    """Waits until the recorder has had everyone's whole talk and a second of their video."""

    async def done() -> bool:
        sessions = (await bot.api("GET", "meet/media"))["sessions"]
        if not sessions:
            return False
        heard = sessions[-1]["frames_by_participant"]
        seen = sessions[-1]["video_frames_by_participant"]
        full = int(TALK / 0.02) - 5
        return all(heard.get(n, 0) >= full and seen.get(n, 0) >= 15 for n in CAMERAS)

    await eventually(done, within=40, what="everyone to be seen and to finish speaking")


async def record_call_with_cameras(bot: SandboxBot, tmp: Path) -> tuple[Recording, dict[str, Any]]:
    """``/meet new``, the call with cameras, Record, and End once everyone was seen and heard;
    the recording and its meeting's card."""
    await bot.command("new standup")
    [card] = await bot.cards()
    [space] = (await bot.api("GET", "meet/spaces"))["spaces"]
    await call_with_cameras(bot, space["meetingCode"], tmp)
    await bot.click(card["ts"], "meet_record")
    await everyone_seen_and_heard(bot)
    await bot.api("POST", "meet/conferences/end", {"space": space["meetingCode"]})
    recording = await bot.runtime.repos.recordings.latest_for_meeting(
        meeting_id=card["blocks"][0]["block_id"].split(":", 1)[1]
    )
    assert recording is not None
    return recording, card
