"""Recording from chat: start and stop on request, follow the recorder, deliver the files."""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.core.cards import meeting_card
from bot.core.errors import ChatPlatformError
from bot.core.google_access import GoogleAccess
from bot.core.model import CardRef, ChatUser, Meeting, MeetingId, Platform, Recording
from bot.core.ports.chat import ChatThreads
from bot.core.ports.files import FilePublisher
from bot.core.ports.google import MeetSpaces
from bot.core.ports.recorder import RecorderPort
from bot.core.ports.storage import MeetingRepo, NewRecordingRow, RecordingRepo, TranscriptRepo
from bot.core.recording.access import SpaceProbe, UserTokens
from bot.core.recording.artifacts import ArtifactsFlow
from bot.core.recording.video import VideoDelivery
from bot.core.replies import Reply
from bot.core.texts import recording as texts
from bot.core.texts.video import audio_only_scope
from bot.core.transcripts.delivery import TranscriptDelivery, post_in_thread, thread_target
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
        self._meetings = meetings
        self._recorder = recorder
        self._publisher = publisher
        self._threads = threads
        self._google = google
        self._meet = meet
        self._work_root = work_root
        self._transcription = transcription
        self._artifacts = artifacts
        self._video = video
        self._present: dict[RecordingId, tuple[Speaker, ...]] = {}

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
            await self._post_notice(recording, texts.requested(user.user_id))
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
            await self._refresh_card(recording, RecordingState.STARTING)
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
            await self._show(moved, state, cause)

    async def on_speakers(self, recording_id: RecordingId, present: tuple[Speaker, ...]) -> None:
        self._present[recording_id] = present
        await self.recordings.set_speakers(recording_id=recording_id, speakers=present)
        recording = await self.recordings.get(recording_id=recording_id)
        if recording is not None and recording.state is RecordingState.RECORDING:
            await self._show(recording, recording.state, "")

    async def on_segments(self, recording_id: RecordingId, segments: tuple[Segment, ...]) -> None:
        """Store new transcript segments as they come, and show them live if asked."""
        if self._transcription is None or not segments:
            return
        await self._transcription.repo.add_segments(recording_id=recording_id, segments=segments)
        self._transcription.live.add(recording_id, segments)

    async def on_finished(self, recording_id: RecordingId, outcome: Outcome) -> None:
        self._present.pop(recording_id, None)
        recording = await self.recordings.get(recording_id=recording_id)
        if recording is None:
            return
        with log_context(recording_id=recording_id, space=recording.space_name):
            if outcome.ok and outcome.result is not None:
                await self._deliver(recording, outcome)
                await self._deliver_transcript(recording, outcome)
            else:
                await self._fail(recording, outcome)
                if self._transcription is not None:
                    note = "the recording stopped; nothing more will be transcribed"
                    await self._transcription.live.finish(recording.id, note=note)
            self._follow_artifacts(recording_id, recording)

    async def recover(self) -> None:
        """After a restart: finish what earlier processes left half-recorded, as partial."""
        for recording in await self.recordings.unfinished():
            with log_context(recording_id=recording.id, space=recording.space_name):
                logger.warning("recovering recording left %s by a previous run", recording.state)
                outcome = await self._recorder.recover(Path(recording.work_dir))
                await self.on_finished(recording.id, outcome)

    async def _deliver(self, recording: Recording, outcome: Outcome) -> None:
        assert outcome.result is not None
        video = self._video is not None and await self._video.prepare(outcome)
        files = await self._publisher.store(recording_id=recording.id, result=outcome.result)
        await self.recordings.add_files(recording_id=recording.id, files=files)
        done = await self.recordings.transition(
            recording_id=recording.id,
            expected=LIVE,
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
        await self._post_thread(done or recording, reply)
        await self._show(done or recording, RecordingState.READY, outcome.cause)
        if video and self._video is not None:  # it removes the work dir once composed
            self._video.start(done or recording, duration=outcome.duration)
            return
        # the outputs now live in the blob store; the capture is no longer needed
        await asyncio.to_thread(shutil.rmtree, recording.work_dir, ignore_errors=True)

    async def _deliver_transcript(self, recording: Recording, outcome: Outcome) -> None:
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
        target = await thread_target(self.recordings, recording)
        await transcription.delivery.deliver(
            recording,
            segments=segments,
            duration=outcome.duration,
            target=target,
            error=outcome.transcript_error,
        )

    def _follow_artifacts(self, recording_id: RecordingId, recording: Recording) -> None:
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
            current = await self.recordings.get(recording_id=recording_id)
            await self._post_thread(current or recording, reply)

        self._artifacts.follow(user=user, conference_record=record, post=post)

    async def _fail(self, recording: Recording, outcome: Outcome) -> None:
        what, _ = texts.explain(outcome.error, outcome.cause)
        failed = await self.recordings.transition(
            recording_id=recording.id,
            expected=LIVE,
            new_state=RecordingState.FAILED,
            cause=outcome.cause,
            reason=what,
            ended_at=datetime.now(UTC),
        )
        logger.warning("recording failed: %s", outcome.cause)
        await self._post_thread(failed or recording, texts.failure(outcome.error, outcome.cause))
        await self._show(failed or recording, RecordingState.FAILED, what)

    # --- chat -----------------------------------------------------------------------------

    async def _show(self, recording: Recording, state: RecordingState, cause: str) -> None:
        present = self._present.get(recording.id, recording.speakers)
        notice = texts.status_notice(
            state, started_by=recording.started_by, present=present, cause=cause
        )
        message_id = await self.recordings.notice(recording_id=recording.id)
        threads = self._threads.get(recording.platform)
        if message_id is not None and threads is not None:
            ref = CardRef(channel_id=recording.channel_id, message_id=message_id)
            try:
                await threads.update(team_id=recording.team_id, ref=ref, reply=notice)
            except ChatPlatformError as exc:
                logger.warning("recording notice not updated: %s", exc.reason)
        await self._refresh_card(recording, state)

    async def _refresh_card(self, recording: Recording, state: RecordingState) -> None:
        threads = self._threads.get(recording.platform)
        if recording.meeting_id is None or threads is None:
            return
        meeting = await self._meetings.get(meeting_id=MeetingId(recording.meeting_id))
        if meeting is None or meeting.card is None:
            return
        present = self._present.get(recording.id, recording.speakers)
        line = texts.card_line(state, present) if state in LIVE else None
        card = meeting_card(meeting, recording=line)
        try:
            await threads.update_card(team_id=recording.team_id, ref=meeting.card, card=card)
        except ChatPlatformError as exc:
            logger.warning("card not updated: %s", exc.reason)

    async def _post_notice(self, recording: Recording, reply: Reply) -> None:
        threads = self._threads.get(recording.platform)
        if threads is None:
            return
        thread = await self.recordings.thread(recording_id=recording.id)
        try:
            ref = await threads.post(
                team_id=recording.team_id,
                channel_id=thread[0] if thread else recording.channel_id,
                thread_id=thread[1] if thread else None,
                reply=reply,
            )
        except ChatPlatformError as exc:
            logger.warning("recording notice not posted: %s", exc.reason)
            return
        await self.recordings.set_notice(recording_id=recording.id, message_id=ref.message_id)

    async def _post_thread(self, recording: Recording, reply: Reply) -> None:
        if recording.platform not in self._threads:
            return
        target = await thread_target(self.recordings, recording)
        await post_in_thread(self._threads, target, reply, what="recording results")


class RecordingEvents:
    """`recorder.RecordingEvents` that forwards to the flow; never raises."""

    def __init__(self, flow: RecordingFlow) -> None:
        self._flow = flow

    async def state_changed(
        self,
        *,
        recording_id: RecordingId,
        state: RecordingState,
        cause: str,
        conference_record: str | None = None,
    ) -> None:
        await _safely(self._flow.on_state(recording_id, state, cause, conference_record))

    async def speakers_changed(
        self, *, recording_id: RecordingId, present: tuple[Speaker, ...]
    ) -> None:
        await _safely(self._flow.on_speakers(recording_id, present))

    async def transcribed(
        self, *, recording_id: RecordingId, segments: tuple[Segment, ...]
    ) -> None:
        await _safely(self._flow.on_segments(recording_id, segments))

    async def finished(self, *, recording_id: RecordingId, outcome: Outcome) -> None:
        await _safely(self._flow.on_finished(recording_id, outcome))


async def _safely(work: object) -> None:
    try:
        await work  # type: ignore[misc]
    except Exception:  # event boundary: the recorder must never die of a chat or DB error
        logger.exception("recording event not handled")
