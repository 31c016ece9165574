"""``/meet transcript`` and ``/meet delete``: a meeting's latest recording, shown again or
deleted by the person who started it or a workspace admin."""

from __future__ import annotations

import logging

from bot.core.model import ChatUser, Meeting, Recording
from bot.core.ports.chat import ChatReply
from bot.core.replies import Reply
from bot.core.texts import transcripts as texts
from bot.core.transcripts.delivery import FINAL, TranscriptDelivery, thread_target
from recorder import RecordingState

logger = logging.getLogger(__name__)


class TranscriptCommands:
    """What `MeetingService` runs for ``transcript`` and ``delete`` once the meeting is known."""

    def __init__(self, *, delivery: TranscriptDelivery) -> None:
        self._delivery = delivery
        self._recordings = delivery.recordings

    async def show(self, *, meeting: Meeting, reply: ChatReply) -> None:
        """Post the latest recording's transcript in its thread again, or say why not."""
        recording = await self._recordings.latest_for_meeting(meeting_id=meeting.id)
        refusal = await self._refusal(recording, live=texts.still_recording())
        if refusal is None and recording is not None:
            refusal = await self._repost(recording)
        await reply.ephemeral(reply=refusal or texts.not_recorded())

    async def delete(self, *, user: ChatUser, meeting: Meeting, reply: ChatReply) -> None:
        """Delete the latest recording's files, transcript and links (its creator or an admin)."""
        recording = await self._recordings.latest_for_meeting(meeting_id=meeting.id)
        refusal = await self._refusal(recording, live=texts.stop_first())
        if refusal is not None or recording is None:
            await reply.ephemeral(reply=refusal or texts.nothing_to_delete())
            return
        if user.user_id != recording.started_by and not await reply.invoker_is_admin():
            logger.info(
                "delete refused: %s neither started the recording nor is an admin", user.user_id
            )
            await reply.ephemeral(reply=texts.delete_not_allowed(recording.started_by))
            return
        if await self._delivery.delete(recording, by=user.user_id):
            await reply.ephemeral(reply=texts.deleted_for_you())
            return
        # someone else deleted it meanwhile
        refusal = await self._refusal(recording, live=texts.stop_first())
        await reply.ephemeral(reply=refusal or texts.nothing_to_delete())

    async def _repost(self, recording: Recording) -> Reply:
        if recording.state is RecordingState.FAILED:
            return texts.recording_failed(recording.reason)
        if not await self._delivery.transcripts.segments(recording_id=recording.id):
            return texts.no_transcript()
        target = await thread_target(self._recordings, recording)
        if await self._delivery.repost(recording, target=target):
            return texts.transcript_posted()
        return texts.transcript_not_posted()

    async def _refusal(self, recording: Recording | None, *, live: Reply) -> Reply | None:
        """Why nothing can be done: no recording (None: the caller says it), still live, or
        already deleted."""
        if recording is None:
            return None
        if recording.state not in FINAL:
            return live
        deleted = await self._recordings.deleted_at(recording_id=recording.id)
        return texts.was_deleted(deleted) if deleted is not None else None
