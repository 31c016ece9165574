"""Recording from chat: start and stop on request, follow the recorder's events."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.core.accounts.google_access import GoogleAccess
from bot.core.model import ChatUser, Meeting, Recording
from bot.core.ports.chat import ChatThreads
from bot.core.ports.files import FilePublisher
from bot.core.ports.google import MeetSpaces
from bot.core.ports.recorder import RecorderPort
from bot.core.ports.storage import MeetingRepo, NewRecordingRow, RecordingRepo, TranscriptRepo
from bot.core.recording.access import SpaceProbe, UserTokens
from bot.core.recording.artifacts import ArtifactsFlow
from bot.core.recording.events import RecordingEvents
from bot.core.recording.finish import RecordingFinish
from bot.core.recording.thread import RecordingChat
from bot.core.recording.video import VideoDelivery
from bot.core.replies import Reply
from bot.core.texts import recording as texts
from bot.core.texts.video import audio_only_scope
from bot.core.transcripts.delivery import TranscriptDelivery, thread_target
from bot.core.transcripts.live import LiveTranscripts
from bot.logs import log_context
from recorder import (
    LIVE_STATES,
    Outcome,
    RecorderBusy,
    RecordingId,
    RecordingJob,
    RecordingState,
    Segment,
    Speaker,
)

logger = logging.getLogger(__name__)

LIVE = LIVE_STATES  # a recording still under way: the recorder's lifecycle says which


@dataclass(frozen=True, slots=True)
class Transcription:
    """What the flow does with transcripts; None of it when transcription is off.

    Attributes:
        repo: where segments are stored as they are produced.
        delivery: posts the finished transcript (files, excerpt, talk time, page link).
        live: the live transcript messages.
        live_by_default: every recording gets a live message, not only ``record --live``.
    """

    repo: TranscriptRepo
    delivery: TranscriptDelivery
    live: LiveTranscripts
    live_by_default: bool = False


@dataclass(frozen=True, slots=True)
class Target:
    """What to record: our meeting (with its card), or any space by name or code."""

    space: str
    meeting: Meeting | None


class RecordingFlow:
    """The core's side of recording; `MeetingService` hands it record and stop requests."""

    def __init__(
        self,
        *,
        recordings: RecordingRepo,
        meetings: MeetingRepo,
        recorder: RecorderPort,
        publisher: FilePublisher,
        threads: dict[str, ChatThreads],
        google: GoogleAccess,
        meet: MeetSpaces,
        work_root: Path,
        transcription: Transcription | None = None,
        artifacts: ArtifactsFlow | None = None,
        video: VideoDelivery | None = None,
    ) -> None:
        self.recordings = recordings
        self._recorder = recorder
        self._google = google
        self._meet = meet
        self._work_root = work_root
        self._transcription = transcription
        self._video = video
        self._chat = RecordingChat(recordings=recordings, meetings=meetings, threads=threads)
        self._finish = RecordingFinish(
            recordings=recordings,
            publisher=publisher,
            chat=self._chat,
            transcription=transcription,
            artifacts=artifacts,
            video=video,
        )

    async def start(
        self,
        *,
        user: ChatUser,
        channel_id: str,
        target: Target,
        live: bool = False,
        audio_only: bool = False,
        video_allowed: bool = True,
    ) -> Reply | None:
        """Start recording; returns a reply for the asker (None when the thread says it all).

        Video is recorded when it is on in the settings, unless ``audio_only`` or the user's
        Google grant covers audio only (``video_allowed`` False: the asker is told why).
        """
        card = target.meeting.card if target.meeting else None
        row = NewRecordingRow(
            meeting_id=target.meeting.id if target.meeting else None,
            space_name=target.space,
            platform=user.platform,
            team_id=user.team_id,
            channel_id=channel_id,
            started_by=user.user_id,
            work_dir=str(self._work_root / uuid.uuid4().hex),
            thread_channel=card.channel_id if card else None,
            thread_message_id=card.message_id if card else None,
        )
        recording = await self.recordings.create(row=row, cause=f"record asked by {user.user_id}")
        if recording is None:
            active = await self.recordings.active_for_space(space_name=target.space)
            return texts.already_recording(active.started_by if active else user.user_id)
        with log_context(recording_id=recording.id, space=target.space):
            logger.info("recording requested")
            await self._chat.post_notice(recording, texts.requested(user.user_id))
            wants_video = self._video is not None and not audio_only
            transcription = self._transcription
            watched = transcription is not None and (live or transcription.live_by_default)
            if transcription is not None and watched:
                target_thread = await thread_target(self.recordings, recording)
                transcription.live.watch(recording.id, target_thread)
            job = RecordingJob(
                recording_id=recording.id,
                space=target.space,
                work_dir=Path(recording.work_dir),
                tokens=UserTokens(google=self._google, user=user),
                probe=SpaceProbe(google=self._google, meet=self._meet, user=user),
                events=RecordingEvents(self),
                transcribe=transcription is not None,
                live_transcript=watched,
                video=self._video.request
                if self._video and wants_video and video_allowed
                else None,
            )
            try:
                self._recorder.start(job)
            except RecorderBusy:
                await self.recordings.transition(
                    recording_id=recording.id,
                    expected=LIVE,
                    new_state=RecordingState.FAILED,
                    cause="recorder busy",
                    reason="too many recordings at once",
                )
                return texts.busy()
            await self._chat.refresh_card(recording, RecordingState.STARTING)
        if wants_video and not video_allowed:
            return Reply(text=audio_only_scope())
        return None

    async def stop(self, *, user: ChatUser, space: str) -> Reply:
        active = await self.recordings.active_for_space(space_name=space)
        if active is None or not self._recorder.stop(active.id, by=user.user_id):
            return texts.not_recording()
        if active.state in (RecordingState.STARTING, RecordingState.WAITING):
            return texts.cancelling(user.user_id)
        return texts.stopping(user.user_id)

    async def live_for(self, meeting: Meeting) -> Recording | None:
        if meeting.space_name is None:
            return None
        return await self.recordings.active_for_space(space_name=meeting.space_name)

    # --- follow the recorder ------------------------------------------------------------

    async def on_state(
        self, recording_id: RecordingId, state: RecordingState, cause: str, record: str | None
    ) -> None:
        now = datetime.now(UTC)
        moved = await self.recordings.transition(
            recording_id=recording_id,
            expected=LIVE,
            new_state=state,
            cause=cause,
            conference_record=record,
            joined_at=now if state is RecordingState.RECORDING else None,
        )
        if moved is not None:
            await self._chat.show(moved, state, cause)

    async def on_speakers(self, recording_id: RecordingId, present: tuple[Speaker, ...]) -> None:
        self._chat.present[recording_id] = present
        await self.recordings.set_speakers(recording_id=recording_id, speakers=present)
        recording = await self.recordings.get(recording_id=recording_id)
        if recording is not None and recording.state is RecordingState.RECORDING:
            await self._chat.show(recording, recording.state, "")

    async def on_segments(self, recording_id: RecordingId, segments: tuple[Segment, ...]) -> None:
        """Store new transcript segments as they come, and show them live if asked."""
        if self._transcription is None or not segments:
            return
        await self._transcription.repo.add_segments(recording_id=recording_id, segments=segments)
        self._transcription.live.add(recording_id, segments)

    async def on_finished(self, recording_id: RecordingId, outcome: Outcome) -> None:
        self._chat.present.pop(recording_id, None)
        recording = await self.recordings.get(recording_id=recording_id)
        if recording is None:
            return
        with log_context(recording_id=recording_id, space=recording.space_name):
            if outcome.ok and outcome.result is not None:
                await self._finish.deliver(recording, outcome)
                await self._finish.deliver_transcript(recording, outcome)
            else:
                await self._finish.fail(recording, outcome)
                if self._transcription is not None:
                    note = "the recording stopped; nothing more will be transcribed"
                    await self._transcription.live.finish(recording.id, note=note)
            self._finish.follow_artifacts(recording_id, recording)

    async def recover(self) -> None:
        """After a restart: finish what earlier processes left half-recorded, as partial."""
        for recording in await self.recordings.unfinished():
            with log_context(recording_id=recording.id, space=recording.space_name):
                logger.warning("recovering recording left %s by a previous run", recording.state)
                outcome = await self._recorder.recover(Path(recording.work_dir))
                await self.on_finished(recording.id, outcome)
