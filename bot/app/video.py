"""The MP4 composer the bot uses: `recorder.video.deliver` in worker threads, a few at once."""

from __future__ import annotations

import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.core.ports.chat import ChatThreads
from bot.core.ports.files import FilePublisher, MeetingPageLinks
from bot.core.ports.storage import RecordingRepo
from bot.core.recording.video import VideoDelivery
from bot.settings import VideoSettings
from recorder.capture.finalize import OutputFile
from recorder.ports import VideoRequest
from recorder.video.compose import ComposeOptions
from recorder.video.deliver import compose_call
from recorder.video.layout import canvas_size
from recorder.workers import run_in, shutdown


class ThreadComposer:
    """`bot.core.ports.recorder.VideoComposer`: at most ``workers`` MP4s composed at once.

    Composing is CPU work in PyAV and numpy, which release the GIL, so threads suffice. The
    threads are the composer's own: `aclose` tells them to stop at their next frame and waits.
    """

    def __init__(self, *, options: ComposeOptions, workers: int) -> None:
        self._options = options
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="compose")

    async def compose(self, *, work_dir: Path, duration: float) -> OutputFile:
        work = functools.partial(
            compose_call,
            work_dir=work_dir,
            duration=duration,
            options=self._options,
            stop=self._stop,
        )
        return await run_in(self._pool, work)

    async def aclose(self) -> None:
        """Stop composing (at the next frame) and wait for the threads to end."""
        self._stop.set()
        await shutdown(self._pool)


def compose_options(settings: VideoSettings) -> ComposeOptions:
    return ComposeOptions(
        width=settings.width,
        height=settings.height,
        frame_rate=settings.frame_rate,
        crf=settings.crf,
        preset=settings.preset,
    )


def video_request(settings: VideoSettings) -> VideoRequest:
    """What each recording asks Meet for: canvases no larger than the MP4's main tile."""
    width, height = canvas_size(compose_options(settings))
    return VideoRequest(
        streams=settings.streams,
        canvas_width=width,
        canvas_height=height,
        frame_rate=settings.frame_rate,
    )


def build_video(
    settings: VideoSettings,
    *,
    publisher: FilePublisher,
    recordings: RecordingRepo,
    threads: dict[str, ChatThreads],
    pages: MeetingPageLinks | None,
) -> VideoDelivery | None:
    """The video delivery from settings; None when video is off."""
    if not settings.enabled:
        return None
    return VideoDelivery(
        composer=ThreadComposer(
            options=compose_options(settings), workers=settings.compose_workers
        ),
        publisher=publisher,
        recordings=recordings,
        threads=threads,
        request=video_request(settings),
        upload_limit=settings.upload_max_mb * 1_000_000,
        pages=pages,
    )
