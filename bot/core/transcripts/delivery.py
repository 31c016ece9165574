"""A finished transcript in the thread: files stored and shared, a summary; and deletion."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.errors import ChatPlatformError
from bot.core.model import CardRef, FileKind, Recording, RecordingFile
from bot.core.ports.chat import ChatThreads, ThreadTarget, Upload
from bot.core.ports.files import FilePublisher, MeetingPageLinks
from bot.core.ports.storage import RecordingRepo, TranscriptRepo
from bot.core.replies import Reply
from bot.core.texts import transcripts as texts
from bot.logs import log_context
from recorder import RecordingState, Segment
from recorder import transcript_formats as formats

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 600
FINAL = frozenset({RecordingState.READY, RecordingState.FAILED})


@dataclass(frozen=True, slots=True)
class _Format:
    filename: str
    content_type: str
    title: str
    render: Callable[[Sequence[Segment], float], str]


def _json(segments: Sequence[Segment], duration: float) -> str:
    return formats.to_json(segments, duration=duration)


FORMATS = (
    _Format("transcript.txt", "text/plain; charset=utf-8", "Transcript (text)",
            lambda segments, _: formats.to_txt(segments)),
    _Format("transcript.vtt", "text/vtt; charset=utf-8", "Transcript (WebVTT)",
            lambda segments, _: formats.to_vtt(segments)),
    _Format("transcript.srt", "application/x-subrip; charset=utf-8", "Transcript (SRT)",
            lambda segments, _: formats.to_srt(segments)),
    _Format("transcript.json", "application/json", "Transcript (JSON)", _json),
)  # fmt: skip
"""The four files, in the order they are listed and uploaded."""


async def thread_target(recordings: RecordingRepo, recording: Recording) -> ThreadTarget:
    """The recording's thread: its meeting card's thread, else the one under its status notice
    (else the channel itself)."""
    thread = await recordings.thread(recording_id=recording.id)
    channel = thread[0] if thread else recording.channel_id
    parent = thread[1] if thread else await recordings.notice(recording_id=recording.id)
    return ThreadTarget(
        platform=recording.platform,
        team_id=recording.team_id,
        channel_id=channel,
        thread_id=parent,
    )


async def post_in_thread(
    threads: Mapping[str, ChatThreads], target: ThreadTarget, reply: Reply, *, what: str
) -> CardRef | None:
    """Post ``reply`` in ``target``; where it landed, or None (logged as ``what``) when the
    platform is not configured or refused it."""
    chat = threads.get(target.platform)
    if chat is None:
        return None
    try:
        return await chat.post(
            team_id=target.team_id,
            channel_id=target.channel_id,
            thread_id=target.thread_id,
            reply=reply,
        )
    except ChatPlatformError as exc:
        logger.warning("%s not posted: %s", what, exc.reason)
        return None


class TranscriptDelivery:
    """Turns a finished transcript into files and a summary in the thread; deletes them.

    Args:
        transcripts: the stored segments.
        recordings: the recordings and their files.
        publisher: the blob store and its signed links.
        threads: chat platforms by name (``slack``, ``gchat``).
        pages: signed links to meeting pages, when the web page is served.
        clock: the current aware UTC time (when deletions happen).
    """

    def __init__(
        self,
        *,
        transcripts: TranscriptRepo,
        recordings: RecordingRepo,
        publisher: FilePublisher,
        threads: dict[str, ChatThreads],
        pages: MeetingPageLinks | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.transcripts = transcripts
        self.recordings = recordings
        self._publisher = publisher
        self._threads = threads
        self._pages = pages
        self._clock = clock

    async def deliver(
        self,
        recording: Recording,
        *,
        segments: Sequence[Segment],
        duration: float,
        target: ThreadTarget,
        error: str | None = None,
    ) -> None:
        """Post the finished transcript in ``target``: the files (stored, uploaded where the
        platform allows, linked) and a summary; or why there is none (``error``, no speech).
        When transcription failed part-way (``error`` with segments), what was transcribed is
        posted with a note. Never raises for chat failures (they are logged)."""
        with log_context(recording_id=recording.id):
            if error is not None and not segments:
                logger.warning("no transcript: transcription failed")
                await self._post(target, texts.transcription_failed(error))
            elif not segments:
                logger.info("no transcript: nobody spoke")
                await self._post(target, texts.no_speech())
            else:
                broken = [texts.incomplete(error)] if error is not None else []
                stored = await self._stored(recording)  # delivered before: keep those files
                await self._share(recording, segments, duration, target, stored, notes=broken)

    async def repost(self, recording: Recording, *, target: ThreadTarget) -> bool:
        """Post the transcript again (``/meet transcript``), reusing its stored files.

        Returns:
            Whether the summary reached the thread (False also when there are no segments).
        """
        segments = await self.transcripts.segments(recording_id=recording.id)
        if not segments:
            return False
        stored = await self._stored(recording)
        duration = recording.duration or max(s.end for s in segments)
        with log_context(recording_id=recording.id):
            return await self._share(recording, segments, duration, target, stored)

    async def delete(self, recording: Recording, *, by: str) -> bool:
        """Delete the recording's files (and so their links), transcript and leftover capture,
        mark it deleted ``by`` a user id (or ``retention``) and say so in its thread.

        Returns:
            False when it is still live or was already deleted (nothing is said then).
        """
        if recording.state not in FINAL:
            return False
        with log_context(recording_id=recording.id):
            files = await self.recordings.delete_files(recording_id=recording.id)
            blobs = await self._publisher.delete(files=files)
            lines = await self.transcripts.delete(recording_id=recording.id)
            if recording.work_dir:  # a failed recording's capture is still there
                await asyncio.to_thread(shutil.rmtree, recording.work_dir, ignore_errors=True)
            marked = await self.recordings.mark_deleted(
                recording_id=recording.id, by=by, at=self._clock()
            )
            logger.info(
                "recording deleted by %s: %d files (%d blobs), %d segments",
                by,
                len(files),
                blobs,
                lines,
            )
            if marked:
                target = await thread_target(self.recordings, recording)
                await self._post(target, texts.deleted_note(by))
        return marked

    async def _stored(self, recording: Recording) -> list[RecordingFile]:
        files = await self.recordings.files(recording_id=recording.id)
        return [f for f in files if f.kind is FileKind.TRANSCRIPT]

    async def _share(
        self,
        recording: Recording,
        segments: Sequence[Segment],
        duration: float,
        target: ThreadTarget,
        stored: Sequence[RecordingFile],
        *,
        notes: Sequence[str] = (),
    ) -> bool:
        rendered = [(f, f.render(segments, duration).encode()) for f in FORMATS]
        problems = list(notes)
        files = list(stored)
        if not files:
            try:
                files = await self._store(recording, rendered, duration)
            except OSError:
                logger.exception("transcript files not stored")
                problems.append(texts.not_stored())
        refused = await self._upload(target, rendered)
        if refused is not None:
            problems.append(texts.upload_failed(refused, linked=bool(files)))
        reply = texts.summary(
            excerpt=formats.excerpt(segments, EXCERPT_CHARS),
            duration=duration,
            talk=formats.talk_time(segments),
            links=[(f, self._publisher.link(file=f)) for f in files],
            page=self._pages.link(recording_id=recording.id) if self._pages else None,
            problems=problems,
        )
        logger.info("transcript posted: %d segments, %d files", len(segments), len(files))
        return await self._post(target, reply)

    async def _store(
        self,
        recording: Recording,
        rendered: Sequence[tuple[_Format, bytes]],
        duration: float,
    ) -> list[RecordingFile]:
        files = [
            await self._publisher.store_bytes(
                recording_id=recording.id,
                kind=FileKind.TRANSCRIPT,
                filename=fmt.filename,
                content_type=fmt.content_type,
                data=data,
                duration=duration,
            )
            for fmt, data in rendered
        ]
        await self.recordings.add_files(recording_id=recording.id, files=files)
        return files

    async def _upload(
        self, target: ThreadTarget, rendered: Sequence[tuple[_Format, bytes]]
    ) -> str | None:
        """Share the files in the thread; the reason when that failed, else None."""
        threads = self._threads.get(target.platform)
        if threads is None:
            return None
        try:
            await threads.upload(
                team_id=target.team_id,
                channel_id=target.channel_id,
                thread_id=target.thread_id,
                files=tuple(
                    Upload(filename=fmt.filename, title=fmt.title, data=data)
                    for fmt, data in rendered
                ),
                comment=texts.files_comment(),
            )
        except ChatPlatformError as exc:
            logger.warning("transcript files not uploaded: %s", exc.reason)
            return exc.reason
        return None

    async def _post(self, target: ThreadTarget, reply: Reply) -> bool:
        posted = await post_in_thread(self._threads, target, reply, what="transcript message")
        return posted is not None
