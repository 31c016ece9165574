"""Shutdown closes every resource of the composition root even when one close fails."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.app.lifecycle import GOOGLE_HTTP, RESOURCES
from bot.app.runtime import RUNTIME
from bot.app.sandbox_mode import start_sandbox
from bot.core.recording.artifacts import ArtifactsFlow
from tests.fixtures_bot import eventually, running_sandbox_bot, sandbox_test_settings
from tests.media import write_tone


async def test_one_failing_close_leaves_the_others_closed(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    async def broken(self: ArtifactsFlow) -> None:
        raise RuntimeError("the artifacts port would not close")

    monkeypatch.setattr(ArtifactsFlow, "aclose", broken)  # a rare fault, forced at a port
    settings = sandbox_test_settings(database_url=database_url, data_dir=tmp_path / "data")
    server = await start_sandbox(settings)
    app = server.app
    runtime, resources, google_http = app[RUNTIME], app[RESOURCES], app[GOOGLE_HTTP]

    with caplog.at_level(logging.ERROR, logger="bot.app.lifecycle"):
        await server.close()

    assert resources.failed == ["Meet artifacts"]
    assert resources.closed[-4:] == [
        "task supervisor",
        "Slack HTTP session",
        "Google HTTP session",
        "database engine",
    ]
    assert {"recorder", "live transcripts"} <= set(resources.closed)
    assert google_http.closed
    for pool in (runtime.recorder.pools.audio, runtime.recorder.pools.finalize):
        with pytest.raises(RuntimeError, match="shutdown"):
            pool.submit(print)
    assert "closing Meet artifacts failed" in caplog.text


async def test_shutdown_leaves_no_task_pending(database_url: str, tmp_path: Path) -> None:
    """A recording and its command in flight, the retention sweep running: closing the
    server cancels and awaits every task the bot started."""
    settings = sandbox_test_settings(database_url=database_url, data_dir=tmp_path / "data")
    storage = settings.storage.model_copy(update={"retention_days": 30.0})
    async with running_sandbox_bot(settings.model_copy(update={"storage": storage})) as bot:
        assert (await bot.consent("U0ALICE"))["status"] == 200
        await bot.command("new standup")
        [card] = await bot.cards()
        [space] = (await bot.api("GET", "meet/spaces"))["spaces"]
        tone = str(write_tone(tmp_path / "ann.wav", freq=440.0, seconds=30.0))
        people = [{"name": "Ann", "audio": tone, "speak_at": 0.2}]
        await bot.api(
            "POST", "meet/conferences", {"space": space["meetingCode"], "participants": people}
        )
        await bot.click(card["ts"], "meet_record")

        async def recording() -> bool:
            return bool(bot.runtime.recorder.active)

        await eventually(recording, within=10, what="the recording to start")
        names = {task.get_name() for task in asyncio.all_tasks()}
        assert "retention-sweep" in names
        assert any(name.startswith("recording-") for name in names)
    assert asyncio.all_tasks() == {asyncio.current_task()}
