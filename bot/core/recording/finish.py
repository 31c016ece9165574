"""After the call: the files stored and linked, the transcript delivered, or the failure told."""

from __future__ import annotations

import asyncio
import logging
import shutil
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.core.model import ChatUser, Platform, Recording
from bot.core.ports.files import FilePublisher
from bot.core.ports.storage import RecordingRepo
from bot.core.recording.artifacts import ArtifactsFlow
from bot.core.recording.thread import RecordingChat
from bot.core.recording.video import VideoDelivery
from bot.core.replies import Reply
from bot.core.texts import recording as texts
from bot.core.transcripts.delivery import thread_target
from recorder import LIVE_STATES, Outcome, RecordingId, RecordingState, Segment

if TYPE_CHECKING:
    from bot.core.recording.flow import Transcription

logger = logging.getLogger(__name__)


class RecordingFinish:
    """What `RecordingFlow` does with a recorder's outcome, once the call is over."""

    def __init__(
        self,
        *,
        recordings: RecordingRepo,
        publisher: FilePublisher,
        chat: RecordingChat,
        transcription: Transcription | None,
        artifacts: ArtifactsFlow | None,
        video: VideoDelivery | None,
    ) -> None:
        self._recordings = recordings
        self._publisher = publisher
        self._chat = chat
        self._transcription = transcription
        self._artifacts = artifacts
        self._video = video

    async def deliver(self, recording: Recording, outcome: Outcome) -> None:
        assert outcome.result is not None
        video = self._video is not None and await self._video.prepare(outcome)
        files = await self._publisher.store(recording_id=recording.id, result=outcome.result)
        await self._recordings.add_files(recording_id=recording.id, files=files)
        done = await self._recordings.transition(
            recording_id=recording.id,
            expected=LIVE_STATES,
            new_state=RecordingState.READY,
            cause=outcome.cause,
            actor=outcome.stopped_by,
            partial=outcome.partial,
            reason=outcome.cause if outcome.partial else None,
            ended_at=datetime.now(UTC),
            duration=outcome.duration,
        )
        logger.info("recording ready: %d files, %.1fs", len(files), outcome.duration)
        links = [(f, self._publisher.link(file=f)) for f in files]
        reply = texts.results(
            links,
            duration=outcome.duration,
            partial=outcome.partial,
            cause=outcome.cause,
            video_follows=video,
        )
        await self._chat.post_thread(done or recording, reply)
        await self._chat.show(done or recording, RecordingState.READY, outcome.cause)
        if video and self._video is not None:  # it removes the work dir once composed
            self._video.start(done or recording, duration=outcome.duration)
            return
        # the outputs now live in the blob store; the capture is no longer needed
        await asyncio.to_thread(shutil.rmtree, recording.work_dir, ignore_errors=True)

    async def deliver_transcript(self, recording: Recording, outcome: Outcome) -> None:
        transcription = self._transcription
        if transcription is None:
            return
        await transcription.live.finish(
            recording.id, note="the call is over; the whole transcript follows"
        )
        segments: tuple[Segment, ...] = outcome.segments
        if segments:
            # the final names: a display name may have arrived after someone's first words
            await transcription.repo.delete(recording_id=recording.id)
            await transcription.repo.add_segments(recording_id=recording.id, segments=segments)
        else:  # recovered after a restart: what was stored during the call
            segments = tuple(await transcription.repo.segments(recording_id=recording.id))
        target = await thread_target(self._recordings, recording)
        await transcription.delivery.deliver(
            recording,
            segments=segments,
            duration=outcome.duration,
            target=target,
            error=outcome.transcript_error,
        )

    def follow_artifacts(self, recording_id: RecordingId, recording: Recording) -> None:
        """After the call, Meet's own recording, transcript and notes join the thread."""
        if self._artifacts is None:
            return
        record = recording.conference_record
        if record is None:
            return
        platform: Platform = "gchat" if recording.platform == "gchat" else "slack"
        user = ChatUser(
            platform=platform,
            team_id=recording.team_id,
            user_id=recording.started_by,
        )

        async def post(reply: Reply) -> None:
            current = await self._recordings.get(recording_id=recording_id)
            await self._chat.post_thread(current or recording, reply)

        self._artifacts.follow(user=user, conference_record=record, post=post)

    async def fail(self, recording: Recording, outcome: Outcome) -> None:
        what, _ = texts.explain(outcome.error, outcome.cause)
        failed = await self._recordings.transition(
            recording_id=recording.id,
            expected=LIVE_STATES,
            new_state=RecordingState.FAILED,
            cause=outcome.cause,
            reason=what,
            ended_at=datetime.now(UTC),
        )
        logger.warning("recording failed: %s", outcome.cause)
        await self._chat.post_thread(
            failed or recording, texts.failure(outcome.error, outcome.cause)
        )
        await self._chat.show(failed or recording, RecordingState.FAILED, what)
