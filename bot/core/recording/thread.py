"""A recording in chat: its status notice, its line on the meeting card, posts in its thread."""

from __future__ import annotations

import logging

from bot.core.errors import ChatPlatformError
from bot.core.meetings.cards import meeting_card
from bot.core.model import CardRef, MeetingId, Recording
from bot.core.ports.chat import ChatThreads
from bot.core.ports.storage import MeetingRepo, RecordingRepo
from bot.core.replies import Reply
from bot.core.texts import recording as texts
from bot.core.transcripts.delivery import post_in_thread, thread_target
from recorder import LIVE_STATES, RecordingId, RecordingState, Speaker

logger = logging.getLogger(__name__)


class RecordingChat:
    """What a recording shows in chat; ``present`` holds who is speaking in each live call."""

    def __init__(
        self,
        *,
        recordings: RecordingRepo,
        meetings: MeetingRepo,
        threads: dict[str, ChatThreads],
    ) -> None:
        self._recordings = recordings
        self._meetings = meetings
        self._threads = threads
        self.present: dict[RecordingId, tuple[Speaker, ...]] = {}

    async def show(self, recording: Recording, state: RecordingState, cause: str) -> None:
        present = self.present.get(recording.id, recording.speakers)
        notice = texts.status_notice(
            state, started_by=recording.started_by, present=present, cause=cause
        )
        message_id = await self._recordings.notice(recording_id=recording.id)
        threads = self._threads.get(recording.platform)
        if message_id is not None and threads is not None:
            ref = CardRef(channel_id=recording.channel_id, message_id=message_id)
            try:
                await threads.update(team_id=recording.team_id, ref=ref, reply=notice)
            except ChatPlatformError as exc:
                logger.warning("recording notice not updated: %s", exc.reason)
        await self.refresh_card(recording, state)

    async def refresh_card(self, recording: Recording, state: RecordingState) -> None:
        threads = self._threads.get(recording.platform)
        if recording.meeting_id is None or threads is None:
            return
        meeting = await self._meetings.get(meeting_id=MeetingId(recording.meeting_id))
        if meeting is None or meeting.card is None:
            return
        present = self.present.get(recording.id, recording.speakers)
        line = texts.card_line(state, present) if state in LIVE_STATES else None
        card = meeting_card(meeting, recording=line)
        try:
            await threads.update_card(team_id=recording.team_id, ref=meeting.card, card=card)
        except ChatPlatformError as exc:
            logger.warning("card not updated: %s", exc.reason)

    async def post_notice(self, recording: Recording, reply: Reply) -> None:
        threads = self._threads.get(recording.platform)
        if threads is None:
            return
        thread = await self._recordings.thread(recording_id=recording.id)
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
        await self._recordings.set_notice(recording_id=recording.id, message_id=ref.message_id)

    async def post_thread(self, recording: Recording, reply: Reply) -> None:
        if recording.platform not in self._threads:
            return
        target = await thread_target(self._recordings, recording)
        await post_in_thread(self._threads, target, reply, what="recording results")
