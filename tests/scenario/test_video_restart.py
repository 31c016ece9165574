"""The bot stops while composing a call's MP4: its next start composes it again, in place."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import server
from bot.app.runtime import SETTINGS
from bot.app.sandbox_mode import start_sandbox
from bot.app.server import RunningServer
from bot.settings import Settings
from recorder.video.deliver import PENDING_NAME
from recorder.workdir import VIDEO_DIR
from sandbox.app import SANDBOX_KEY, Sandbox, add_sandbox_routes
from tests.camera_call import record_call_with_cameras
from tests.fixtures_bot import SandboxBot, eventually, sandbox_test_settings


async def _start_again(sandbox: Sandbox, settings: Settings, port: int, url: str) -> RunningServer:
    """The bot started again on the same port, database and data dir, beside the same
    stand-ins (Slack keeps its messages, as Slack does)."""
    return await server.start(
        settings,
        sock=server.bind("127.0.0.1", port),
        base_url=url,
        extend=lambda app: add_sandbox_routes(app, sandbox),
    )


async def _thread(bot: SandboxBot, ts: str) -> list[dict[str, Any]]:
    return [m for m in await bot.messages() if m.get("thread_ts") == ts]


async def test_a_video_stopped_by_a_restart_is_composed_at_the_next_start(
    database_url: str, tmp_path: Path
) -> None:
    settings = sandbox_test_settings(database_url=database_url, data_dir=tmp_path / "data")
    # the first run composes slowly, so it surely stops mid-way; the next one at the default
    slow = settings.video.model_copy(update={"preset": "veryslow"})
    first = await start_sandbox(settings.model_copy(update={"video": slow}))
    sandbox = first.app[SANDBOX_KEY]
    bot_settings = first.app[SETTINGS].model_copy(update={"video": settings.video})
    async with aiohttp.ClientSession() as http:
        bot = SandboxBot(server=first, http=http)

        try:
            await bot.consent("U0ALICE")
            recording, card = await record_call_with_cameras(bot, tmp_path)
            card_ts = card["ts"]
            work = Path(recording.work_dir)

            async def composing() -> bool:
                return await asyncio.to_thread((work / VIDEO_DIR / PENDING_NAME).exists)

            await eventually(composing, within=20, what="the video to be composing")
            [notice] = [m for m in await _thread(bot, card_ts) if "Composing" in m["text"]]
        finally:
            await first.close()  # stops composing at its next frame

        # nothing half-made was kept; what composing needs was
        assert not await asyncio.to_thread((work / "video-out" / "recording.mp4").exists)
        assert await asyncio.to_thread((work / VIDEO_DIR / PENDING_NAME).exists)

        second = await _start_again(sandbox, bot_settings, first.port, first.base_url)
        try:
            again = SandboxBot(server=second, http=http)

            async def video_ready() -> Any:
                return [m for m in await _thread(again, card_ts) if "Video ready" in m["text"]]

            [ready] = await eventually(video_ready, within=60, what="the resumed video")
            assert ready["ts"] == notice["ts"]  # the first run's message, edited in place
            files = await again.runtime.repos.recordings.files(recording_id=recording.id)
            assert [f.filename for f in files if f.content_type == "video/mp4"] == ["recording.mp4"]

            async def work_dir_removed() -> bool:
                return not await asyncio.to_thread(work.exists)

            await eventually(work_dir_removed, within=5, what="the work dir to be removed")
        finally:
            await second.close()
