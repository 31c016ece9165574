"""A recording's video after the call: compose the MP4 in the background, then share it.

The audio results and the transcript are posted first (within seconds, whatever the call's
length); composing takes a fraction of the call's length, so the thread shows "Composing the
video…", edited in place into the link (and the file, when small enough) or the reason.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

from bot.core import video_texts as texts
from bot.core.errors import ChatPlatformError
from bot.core.model import CardRef
from bot.core.ports_delivery import (
    ChatThreads,
    FilePublisher,
    MeetingPageLinks,
    ThreadTarget,
    Upload,
    VideoComposer,
)
from bot.core.ports_recording import RecordingRepo
from bot.core.replies import Reply
from bot.core.transcripts import post_in_thread, thread_target
from bot.logs import log_context
from recorder.model import Recording
from recorder.ports import Outcome, VideoRequest
from recorder.video.compose import ComposeError
from recorder.video.deliver import has_video, keep_audio

logger = logging.getLogger(__name__)


class VideoDelivery:
    """Asks for video when recording, and delivers the composed MP4 to the thread.

    Args:
        composer: makes the MP4 (bounded, in worker threads).
        publisher: the blob store and its signed links.
        recordings: the recordings and their files.
        threads: chat platforms by name.
        request: what every recording with video asks Meet for.
        upload_limit: MP4s up to this many bytes are also shared as a file in the thread.
        pages: signed links to meeting pages, when served.
    """

    def __init__(
        self,
        *,
        composer: VideoComposer,
        publisher: FilePublisher,
        recordings: RecordingRepo,
        threads: dict[str, ChatThreads],
        request: VideoRequest,
        upload_limit: int,
        pages: MeetingPageLinks | None = None,
    ) -> None:
        self._composer = composer
        self._publisher = publisher
        self._recordings = recordings
        self._threads = threads
        self.request = request
        self._upload_limit = upload_limit
        self._pages = pages
        self._tasks: set[asyncio.Task[None]] = set()

    async def prepare(self, outcome: Outcome) -> bool:
        """Before the audio files move to the blob store: keep what composing needs.

        Returns:
            Whether a video will follow (`start` must then be called).
        """
        result = outcome.result
        if outcome.video_dir is None or result is None or result.mixed is None:
            return False
        work_dir = outcome.video_dir.parent
        try:
            if not await asyncio.to_thread(has_video, work_dir):
                return False
            await asyncio.to_thread(keep_audio, work_dir, result.mixed.path)
        except OSError:
            logger.exception("the video's inputs could not be kept")
            return False
        return True

    def start(self, recording: Recording, *, duration: float) -> None:
        """Compose and deliver in an owned task; the work dir is removed when it is done."""
        task = asyncio.create_task(self._run(recording, duration), name=f"video-{recording.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self) -> None:
        """Until every video started so far is delivered (tests, benchmarks)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel composing (the work dirs stay; their audio results were delivered)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, recording: Recording, duration: float) -> None:
        with log_context(recording_id=recording.id, space=recording.space_name):
            target = await thread_target(self._recordings, recording)
            ref = await self._post(target, texts.composing(duration))
            try:
                reply = await self._deliver(recording, target, duration)
            except ComposeError as exc:
                logger.warning("no video: %s", exc)
                reply = texts.failed(str(exc))
            except Exception as exc:  # task boundary: the thread must hear why
                logger.exception("composing the video failed")
                reply = texts.failed(f"an unexpected error ({type(exc).__name__})")
            await self._show(target, ref, reply)
            work_dir = Path(recording.work_dir)
            await asyncio.to_thread(shutil.rmtree, work_dir, ignore_errors=True)

    async def _deliver(self, recording: Recording, target: ThreadTarget, duration: float) -> Reply:
        output = await self._composer.compose(work_dir=Path(recording.work_dir), duration=duration)
        # read before the blob store takes the file; large videos are only linked
        small = output.size <= self._upload_limit
        data = await asyncio.to_thread(output.path.read_bytes) if small else None
        file = await self._publisher.store_output(recording_id=recording.id, output=output)
        await self._recordings.add_files(recording_id=recording.id, files=(file,))
        uploaded, problem = await self._upload(target, file.filename, data)
        page = self._pages.link(recording_id=recording.id) if self._pages else None
        return texts.ready(
            filename=file.filename,
            url=self._publisher.link(file=file),
            size=file.size,
            duration=file.duration,
            page_url=page,
            uploaded=uploaded,
            upload_problem=problem,
        )

    async def _upload(
        self, target: ThreadTarget, filename: str, data: bytes | None
    ) -> tuple[bool, str | None]:
        threads = self._threads.get(target.platform)
        if threads is None or data is None:
            return False, None
        try:
            shared = await threads.upload(
                team_id=target.team_id,
                channel_id=target.channel_id,
                thread_id=target.thread_id,
                files=(Upload(filename=filename, title="Video of the call", data=data),),
                comment=texts.upload_comment(),
            )
        except ChatPlatformError as exc:
            logger.warning("video not uploaded: %s", exc.reason)
            return False, exc.reason
        return shared, None

    async def _post(self, target: ThreadTarget, reply: Reply) -> CardRef | None:
        return await post_in_thread(self._threads, target, reply, what="video notice")

    async def _show(self, target: ThreadTarget, ref: CardRef | None, reply: Reply) -> None:
        """Edit the "composing" message into ``reply`` (post it if that message is missing)."""
        threads = self._threads.get(target.platform)
        if threads is None:
            return
        if ref is None:
            await self._post(target, reply)
            return
        try:
            await threads.update(team_id=target.team_id, ref=ref, reply=reply)
        except ChatPlatformError as exc:
            logger.warning("video notice not updated: %s", exc.reason)
