"""A recording's video after the call: compose the MP4 in the background, then share it.

The audio results and the transcript are posted first (within seconds, whatever the call's
length); composing takes a fraction of the call's length, so the thread shows "Composing the
video…", edited in place into the link (and the file, when small enough) or the reason.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from bot.core.errors import ChatPlatformError
from bot.core.model import CardRef, Recording, RecordingFile
from bot.core.ports.chat import ChatThreads, ThreadTarget, Upload
from bot.core.ports.files import FilePublisher, MeetingPageLinks
from bot.core.ports.recorder import VideoComposer
from bot.core.ports.storage import RecordingRepo
from bot.core.replies import Reply
from bot.core.texts import video as texts
from bot.core.transcripts.delivery import post_in_thread, thread_target
from bot.logs import log_context
from recorder import (
    MP4_TYPE,
    ComposeError,
    ComposeStopped,
    Outcome,
    PendingVideo,
    RecordingId,
    RecordingState,
    VideoRequest,
    has_video,
    keep_audio,
    read_pending,
    write_pending,
)

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
        self._own(self._run(recording, duration, None), name=f"video-{recording.id}")

    def _own(self, work: Coroutine[Any, Any, None], *, name: str) -> None:
        # owner: VideoDelivery; `aclose` cancels and awaits it before closing the composer
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def resume(self, work_root: Path) -> int:
        """At start-up: finish what an earlier run left owed (it stopped or died while
        composing), each in an owned task: its thread's "composing" message is the one edited.
        Returns how many work dirs were found."""
        found = await asyncio.to_thread(_pending_under, work_root)
        for work_dir, pending in found:
            self._own(self._resume(work_dir, pending), name=f"video-resume-{work_dir.name}")
        return len(found)

    async def wait(self) -> None:
        """Until every video started so far is delivered (tests, benchmarks)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop composing: the work dirs stay, marked, and the next start resumes them."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._composer.aclose()

    async def _resume(self, work_dir: Path, pending: PendingVideo) -> None:
        """Compose again what ``pending`` owes; link it if it was stored before the restart;
        drop the work dir if its recording is gone."""
        with log_context(recording_id=pending.recording_id):
            notice = CardRef(*pending.notice) if pending.notice else None
            try:
                recording = await self._owed(pending)
                stored = await self._stored_mp4(recording) if recording else None
            except Exception:  # task boundary: the work dir stays for the next start
                logger.exception("the video left by an earlier run could not be resumed")
                return
            if recording is None:
                logger.info("no video owed: the recording is gone, deleted or not ready")
            elif stored is not None:
                logger.info("the video was stored before the restart: linking it")
                target = await thread_target(self._recordings, recording)
                await self._show(target, notice, self._ready(recording, stored, uploaded=False))
            else:
                logger.info("composing again the video left by an earlier run")
                await self._run(recording, pending.duration, notice)
                return
            await asyncio.to_thread(shutil.rmtree, work_dir, ignore_errors=True)

    async def _owed(self, pending: PendingVideo) -> Recording | None:
        """The ready, undeleted recording ``pending`` owes an MP4 to, if there is one."""
        recording = await self._recordings.get(recording_id=RecordingId(pending.recording_id))
        if recording is None or recording.state is not RecordingState.READY:
            return None
        if await self._recordings.deleted_at(recording_id=recording.id) is not None:
            return None
        return recording

    async def _stored_mp4(self, recording: Recording) -> RecordingFile | None:
        files = await self._recordings.files(recording_id=recording.id)
        return next((f for f in files if f.content_type == MP4_TYPE), None)

    async def _run(self, recording: Recording, duration: float, notice: CardRef | None) -> None:
        """Compose, deliver, and say so in the thread: in ``notice`` (an earlier run's message,
        edited) or in a new message."""
        with log_context(recording_id=recording.id, space=recording.space_name):
            target = await thread_target(self._recordings, recording)
            work_dir = Path(recording.work_dir)
            ref = await self._announce(target, notice, duration)
            pending = PendingVideo(
                recording_id=str(recording.id),
                duration=duration,
                notice=(ref.channel_id, ref.message_id) if ref else None,
            )
            await asyncio.to_thread(write_pending, work_dir, pending)
            try:
                reply = await self._deliver(recording, target, duration)
            except ComposeStopped:
                logger.info("composing stopped; the next start resumes it")
                return
            except ComposeError as exc:
                logger.warning("no video: %s", exc)
                reply = texts.failed(str(exc))
            except Exception as exc:  # task boundary: the thread must hear why
                logger.exception("composing the video failed")
                reply = texts.failed(f"an unexpected error ({type(exc).__name__})")
            await self._show(target, ref, reply)
            await asyncio.to_thread(shutil.rmtree, work_dir, ignore_errors=True)

    async def _announce(
        self, target: ThreadTarget, notice: CardRef | None, duration: float
    ) -> CardRef | None:
        """Say the video is being composed: a new message, or the earlier run's, edited."""
        if notice is None:
            return await self._post(target, texts.composing(duration))
        return await self._show(target, notice, texts.composing(duration, resumed=True))

    async def _deliver(self, recording: Recording, target: ThreadTarget, duration: float) -> Reply:
        output = await self._composer.compose(work_dir=Path(recording.work_dir), duration=duration)
        # read before the blob store takes the file; large videos are only linked
        small = output.size <= self._upload_limit
        data = await asyncio.to_thread(output.path.read_bytes) if small else None
        file = await self._publisher.store_output(recording_id=recording.id, output=output)
        await self._recordings.add_files(recording_id=recording.id, files=(file,))
        uploaded, problem = await self._upload(target, file.filename, data)
        return self._ready(recording, file, uploaded=uploaded, upload_problem=problem)

    def _ready(
        self,
        recording: Recording,
        file: RecordingFile,
        *,
        uploaded: bool,
        upload_problem: str | None = None,
    ) -> Reply:
        page = self._pages.link(recording_id=recording.id) if self._pages else None
        return texts.ready(
            filename=file.filename,
            url=self._publisher.link(file=file),
            size=file.size,
            duration=file.duration,
            page_url=page,
            uploaded=uploaded,
            upload_problem=upload_problem,
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

    async def _show(
        self, target: ThreadTarget, ref: CardRef | None, reply: Reply
    ) -> CardRef | None:
        """Edit the "composing" message into ``reply``; post it instead when that message is
        missing or cannot be edited. Returns the message that now says it."""
        threads = self._threads.get(target.platform)
        if threads is None:
            return None
        if ref is not None:
            try:
                await threads.update(team_id=target.team_id, ref=ref, reply=reply)
                return ref
            except ChatPlatformError as exc:
                logger.warning("video notice not updated (%s); posting it", exc.reason)
        return await self._post(target, reply)


def _pending_under(work_root: Path) -> list[tuple[Path, PendingVideo]]:
    """The work dirs under ``work_root`` that owe an MP4 (blocking)."""
    if not work_root.is_dir():
        return []
    found = []
    for work_dir in sorted(work_root.iterdir()):
        pending = read_pending(work_dir) if work_dir.is_dir() else None
        if pending is not None:
            found.append((work_dir, pending))
    return found
