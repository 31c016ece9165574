"""Video in Slack: a call with cameras on → Record → End → one MP4 in the thread, in sync."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np

from bot.core.model import FileKind, Recording, RecordingFile
from recorder.model import RecordingState
from recorder.video.deliver import PendingVideo, write_pending
from sandbox.meet_media.pictures import colour_of
from tests.camera_call import CAMERAS, record_call_with_cameras
from tests.fixtures_bot import SandboxBot, eventually, recording_under_card
from tests.media import decode

_PAGE_URL = re.compile(r"https?://[^\s|>\"\\]+/meetings/[^\s|>\"\\]+")
_FILE_URL = re.compile(r"https?://[^\s|>\"\\]+/files/[^\s|>\"\\]+")


async def test_a_video_that_cannot_be_composed_is_reported_in_place(
    connected_bot: SandboxBot, tmp_path: Path
) -> None:
    bot = connected_bot
    work = tmp_path / "work"
    video = work / "video"
    video.mkdir(parents=True)
    (video / "participants%2Fann.000.ivf").write_bytes(b"DKIF" + b"\0" * 8)  # header cut short
    recording, card = await recording_under_card(bot, work)
    delivery = bot.runtime.video
    assert delivery is not None

    delivery.start(recording, duration=5.0)
    await delivery.wait()

    thread = [m for m in await bot.messages() if m.get("thread_ts") == card["ts"]]
    [notice] = [m for m in thread if "video" in m["text"].lower()]
    assert "The video could not be made" in notice["text"]
    assert "Composing" not in notice["text"]  # the same message, edited in place
    assert await bot.runtime.repos.recordings.files(recording_id=recording.id) == []
    assert not await asyncio.to_thread(work.exists)


_WINDOW = 1 / 15  # one video frame


def _talk_windows(ogg: Path) -> tuple[float, float]:
    """When the speaker's tone plays in their (call-aligned) file."""
    samples = decode(ogg)
    loud = np.flatnonzero(np.abs(samples) > 0.05)
    return loud[0] / 48_000, loud[-1] / 48_000


def _main_tile_colour(frame: av.VideoFrame) -> np.ndarray:
    """Mean RGB of the middle of the large tile (left part of the 1280x720 layout)."""
    rgb = frame.to_ndarray(format="rgb24")
    return rgb[200:500, 200:800].reshape(-1, 3).mean(axis=0)


def _frames_at(path: Path, times: list[float]) -> dict[float, av.VideoFrame]:
    found: dict[float, av.VideoFrame] = {}
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            t = float(frame.pts * frame.time_base)
            for wanted in times:
                if wanted not in found and t >= wanted:
                    found[wanted] = frame
    return found


def _closest(colour: np.ndarray) -> str:
    return min(CAMERAS, key=lambda name: float(np.sum((colour - np.array(colour_of(name))) ** 2)))


async def _download(link: str, folder: Path) -> tuple[Path, str]:
    """The file behind a signed link, saved under its own name; and its content type."""
    async with aiohttp.ClientSession() as http, http.get(link) as response:
        assert response.status == 200
        name = response.headers["Content-Disposition"].split('filename="')[1].split('"')[0]
        await asyncio.to_thread((folder / name).write_bytes, await response.read())
        return folder / name, response.headers["Content-Type"]


async def test_a_call_with_cameras_on_gives_an_mp4_with_everyone_in_sync(
    connected_bot: SandboxBot, tmp_path: Path
) -> None:
    bot = connected_bot
    recording, card = await record_call_with_cameras(bot, tmp_path)

    async def thread() -> list[dict[str, Any]]:
        return [m for m in await bot.messages() if m.get("thread_ts") == card["ts"]]

    async def video_ready() -> Any:
        return [m for m in await thread() if "Video ready" in m["text"]]

    [ready] = await eventually(video_ready, within=60, what="the video in the thread")
    results = next(m for m in await thread() if "Recording ready" in m["text"])
    assert "video follows" in results["text"]
    assert any(f["name"] == "recording.mp4" for m in await thread() for f in m.get("files", []))
    recording = await bot.runtime.repos.recordings.get(recording_id=recording.id)
    assert recording is not None
    assert recording.duration is not None
    [mp4_link] = sorted(set(_FILE_URL.findall(json.dumps(ready))))
    mp4, content_type = await _download(mp4_link, tmp_path)
    assert (mp4.name, content_type) == ("recording.mp4", "video/mp4")
    links = sorted(set(_FILE_URL.findall(json.dumps(results))))
    downloads = [await _download(link, tmp_path) for link in links]
    oggs = {path.stem: path for path, kind in downloads if kind == "audio/ogg"}
    assert sorted(oggs) == sorted(CAMERAS)

    with av.open(str(mp4)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.width, video.height) == ("h264", 1280, 720)
        assert audio.codec_context.name == "aac"
        video_seconds = float(video.duration * video.time_base)
        audio_seconds = float(audio.duration * audio.time_base)
    assert abs(video_seconds - recording.duration) <= 2 * _WINDOW
    assert abs(audio_seconds - recording.duration) <= 0.1

    [page] = sorted(set(_PAGE_URL.findall(json.dumps(ready))))
    async with aiohttp.ClientSession() as http, http.get(page) as response:
        assert response.status == 200
        assert "<video" in await response.text()  # the meeting page plays the MP4

    # in sync: while each one talks alone, the large tile shows their camera
    windows = {name: _talk_windows(path) for name, path in oggs.items()}
    moments = {name: (start + end) / 2 + 0.3 for name, (start, end) in windows.items()}
    frames = await asyncio.to_thread(_frames_at, mp4, list(moments.values()))
    for name, moment in moments.items():
        assert _closest(_main_tile_colour(frames[moment])) == name, (name, moment)


async def _owed_video(bot: SandboxBot, tmp: Path) -> tuple[Recording, dict[str, Any], Path]:
    """A recording whose results were posted and whose MP4 an earlier run still owed."""
    work = tmp / "work"
    (work / "video").mkdir(parents=True)
    recording, card = await recording_under_card(bot, work)
    moved = await bot.runtime.repos.recordings.transition(
        recording_id=recording.id,
        expected={RecordingState.STARTING},
        new_state=RecordingState.READY,
        cause="the call ended",
        duration=5.0,
    )
    assert moved is not None
    write_pending(work, PendingVideo(recording_id=recording.id, duration=5.0, notice=None))
    return recording, card, work


async def test_at_start_owed_videos_of_deleted_recordings_are_dropped(
    connected_bot: SandboxBot, tmp_path: Path
) -> None:
    bot = connected_bot
    recording, _, work = await _owed_video(bot, tmp_path)
    await bot.runtime.repos.recordings.mark_deleted(
        recording_id=recording.id, by="U0ALICE", at=datetime.now(UTC)
    )
    odd = tmp_path / "odd"
    (odd / "video").mkdir(parents=True)
    (odd / "video" / "pending.json").write_text("{not json")
    delivery = bot.runtime.video
    assert delivery is not None

    assert await delivery.resume(tmp_path) == 1  # the odd one is not taken for owed
    await delivery.wait()
    assert not await asyncio.to_thread(work.exists)  # nothing is owed: it was deleted
    assert await asyncio.to_thread(odd.exists)  # an unreadable mark is left for a person


async def test_at_start_a_video_stored_before_the_restart_is_linked_in_place(
    connected_bot: SandboxBot, tmp_path: Path
) -> None:
    bot = connected_bot
    recording, card, work = await _owed_video(bot, tmp_path)
    mp4 = RecordingFile(
        kind=FileKind.MIXED,
        blob_key=f"recordings/{recording.id}/recording.mp4",
        filename="recording.mp4",
        content_type="video/mp4",
        size=2_000_000,
        duration=5.0,
    )
    await bot.runtime.repos.recordings.add_files(recording_id=recording.id, files=(mp4,))
    delivery = bot.runtime.video
    assert delivery is not None

    assert await delivery.resume(tmp_path) == 1
    await delivery.wait()  # nothing is composed again: the stored one is linked
    thread = [m for m in await bot.messages() if m.get("thread_ts") == card["ts"]]
    [ready] = [m for m in thread if "Video ready" in m["text"]]
    assert "recording.mp4" in ready["text"]
    assert "(2.0 MB, 0:05)" in ready["text"]
    assert not await asyncio.to_thread(work.exists)
