"""`meetbot record <link>` for operators: records as a linked account, prints a summary."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.app.runtime import SETTINGS
from bot.record_cli import record
from bot.settings import SettingsError
from tests.fixtures_bot import SandboxBot, eventually
from tests.media import decode, tone_level, write_tone


async def test_records_a_call_into_a_directory(
    connected_bot: SandboxBot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = connected_bot
    settings = bot.server.app[SETTINGS]
    await bot.command("new standup")
    await bot.settle()
    [space] = (await bot.api("GET", "meet/spaces"))["spaces"]
    # long enough that a recorder joining late (a busy machine) still hears 35 frames of it
    tone = str(write_tone(tmp_path / "ann.wav", freq=440.0, seconds=3.0))
    people = [{"name": "Ann", "audio": tone, "speak_at": 0.8}]
    await bot.api(
        "POST", "meet/conferences", {"space": space["meetingCode"], "participants": people}
    )
    run = asyncio.ensure_future(
        record(
            settings, ref=space["meetingUri"], user=None, out_dir=tmp_path / "out", max_seconds=None
        )
    )

    async def spoken() -> bool:
        sessions = (await bot.api("GET", "meet/media"))["sessions"]
        return bool(sessions) and sessions[-1]["frames_by_participant"].get("Ann", 0) >= 35

    await eventually(spoken, within=15, what="Ann to speak")
    await bot.api("POST", "meet/conferences/end", {"space": space["meetingCode"]})
    assert await asyncio.wait_for(run, 15) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] is True
    assert sorted(Path(f["path"]).name for f in summary["files"]) == ["Ann.ogg", "recording.m4a"]
    assert tone_level(decode(tmp_path / "out" / "Ann.ogg"), 440.0) > 0.1


async def test_refuses_what_is_not_a_meeting(connected_bot: SandboxBot, tmp_path: Path) -> None:
    settings = connected_bot.server.app[SETTINGS]
    with pytest.raises(SettingsError, match="not a Meet link"):
        await record(settings, ref="what?", user=None, out_dir=tmp_path, max_seconds=1)
