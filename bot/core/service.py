"""MeetingService: runs each neutral command and card button, and says what happened."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from bot.core import commands as c
from bot.core.access import Invocation, MeetingAccess, meeting_target, space_from_ref
from bot.core.accounts.connect import ConnectFlow
from bot.core.accounts.google_access import GoogleAccess
from bot.core.errors import (
    ChatPlatformError,
    MeetApiError,
    MeetPreconditionFailed,
    NotConnected,
    OAuthError,
    StorageUnavailable,
)
from bot.core.meetings import lifecycle
from bot.core.meetings.cards import meeting_card
from bot.core.meetings.lifecycle import TERMINAL
from bot.core.model import ChatUser, Meeting, MeetingId, MeetingState, NewMeetingRow
from bot.core.ports.chat import ChatReply
from bot.core.ports.google import MeetSpaces
from bot.core.ports.storage import MeetingRepo
from bot.core.recording.access import MEDIA_SCOPES, VIDEO_SCOPES
from bot.core.recording.flow import RecordingFlow, Target
from bot.core.replies import Action
from bot.core.texts import meetings as messages
from bot.core.texts import recording as rtexts
from bot.core.transcripts.commands import TranscriptCommands
from bot.core.transcripts.delivery import TranscriptDelivery
from bot.logs import log_context

logger = logging.getLogger(__name__)

DEFAULT_TITLE = "Quick meeting"


__all__ = ["Invocation", "MeetingService", "space_from_ref"]


class MeetingService:
    """The core: platform adapters call `handle` and `press`; replies go out via `ChatReply`."""

    def __init__(
        self,
        *,
        meetings: MeetingRepo,
        meet: MeetSpaces,
        google: GoogleAccess,
        connect: ConnectFlow,
        recording: RecordingFlow | None = None,
        transcripts: TranscriptDelivery | None = None,
    ) -> None:
        self._meetings = meetings
        self._meet = meet
        self._google = google
        self._connect = connect
        self._recording = recording
        self._access = MeetingAccess(
            meetings=meetings,
            google=google,
            meet=meet,
            recordings=recording.recordings if recording else None,
        )
        self._transcripts = TranscriptCommands(delivery=transcripts) if transcripts else None

    async def handle(self, inv: Invocation, command: c.Command, reply: ChatReply) -> None:
        """Run a command; every outcome, good or bad, is told to the user."""
        with log_context(platform=inv.user.platform, user=inv.user.user_id):
            await self._guarded(inv, reply, self._dispatch(inv, command, reply))

    async def press(
        self, inv: Invocation, action: Action, meeting_id: str, reply: ChatReply
    ) -> None:
        """Run a card button."""
        with log_context(platform=inv.user.platform, user=inv.user.user_id, meeting_id=meeting_id):
            await self._guarded(inv, reply, self._press(inv, action, meeting_id, reply))

    async def _guarded(self, inv: Invocation, reply: ChatReply, work: Awaitable[None]) -> None:
        try:
            await work
        except NotConnected:
            url = await self._connect.start(user=inv.user, channel_id=inv.channel_id)
            await reply.ephemeral(reply=messages.needs_connect(url, ttl_minutes=self._ttl))
        except StorageUnavailable:
            logger.warning("database unavailable; command answered with an error")
            await reply.ephemeral(reply=messages.storage_unavailable())
        except OAuthError as exc:
            logger.warning("google oauth unavailable: %s", exc.error)
            await reply.ephemeral(reply=messages.google_signin_unavailable())
        except Exception:
            logger.exception("command failed")
            await reply.ephemeral(reply=messages.internal_error())

    @property
    def _ttl(self) -> int:
        return self._connect.ttl_minutes

    async def _dispatch(self, inv: Invocation, cmd: c.Command, reply: ChatReply) -> None:
        match cmd:
            case c.NewMeeting():
                await self._new(inv, cmd, reply)
            case c.EndMeeting(target=target):
                await self._end(inv, await self._access.meeting(inv, target, reply), reply)
            case c.MeetingStatus(target=target):
                await self._status(await self._access.meeting(inv, target, reply), reply)
            case c.ListMeetings():
                await self._list(inv, reply)
            case c.Connect():
                await self._connect_link(inv, reply)
            case c.Disconnect():
                email = await self._connect.disconnect(user=inv.user)
                await reply.ephemeral(reply=messages.disconnected(email))
            case c.RecordMeeting(target=target, live=live, audio_only=audio_only):
                where = await self._access.record_target(inv, target, reply, stopping=False)
                await self._record(inv, where, reply, live=live, audio_only=audio_only)
            case c.StopRecording(target=target):
                where = await self._access.record_target(inv, target, reply, stopping=True)
                await self._stop(inv, where, reply)
            case c.ShowTranscript(target=target):
                await self._transcript(inv, target, reply)
            case c.DeleteMeeting(target=target):
                await self._delete(inv, target, reply)
            case c.ChangeSettings():
                await reply.ephemeral(reply=messages.not_available("settings"))
            case c.Help(problem=problem):
                await reply.ephemeral(reply=messages.help_reply(problem))

    async def _press(
        self, inv: Invocation, action: Action, meeting_id: str, reply: ChatReply
    ) -> None:
        if action is Action.JOIN:
            return  # a link button: the browser opens Meet; nothing to do but the ack
        meeting, stray = await self._access.pressed(inv, MeetingId(meeting_id), reply)
        if stray is not None and action is Action.STOP:
            await self._stop(inv, stray, reply)  # not this channel's, but the call's people may
        elif meeting is None:
            await reply.ephemeral(reply=messages.no_meeting(meeting_id))
        elif action is Action.END:
            await self._end(inv, meeting, reply)
        elif action is Action.STATUS:
            await self._status(meeting, reply)
        elif action is Action.RECORD:
            await self._record(inv, meeting_target(meeting), reply)
        elif action is Action.STOP:
            await self._stop(inv, meeting_target(meeting), reply)

    async def _record(
        self,
        inv: Invocation,
        target: Target | None,
        reply: ChatReply,
        *,
        live: bool = False,
        audio_only: bool = False,
    ) -> None:
        if target is None:
            return
        if target.meeting is not None and target.meeting.state in TERMINAL:
            await reply.ephemeral(reply=messages.already_ended(target.meeting))
            return
        if self._recording is None:
            await reply.ephemeral(reply=messages.recording_unavailable())
            return
        scopes = await self._google.scopes(inv.user)
        if MEDIA_SCOPES.isdisjoint(scopes):
            url = await self._connect.start(user=inv.user, channel_id=inv.channel_id)
            await reply.ephemeral(reply=rtexts.needs_media_scope(url))
            return
        answer = await self._recording.start(
            user=inv.user,
            channel_id=inv.channel_id,
            target=target,
            live=live,
            audio_only=audio_only,
            video_allowed=not VIDEO_SCOPES.isdisjoint(scopes),
        )
        if answer is not None:
            await reply.ephemeral(reply=answer)

    async def _stop(self, inv: Invocation, target: Target | None, reply: ChatReply) -> None:
        if target is None:
            return
        if self._recording is None or not await self._access.may_stop(inv, target, reply):
            await reply.ephemeral(reply=rtexts.not_recording())
            return
        await reply.ephemeral(reply=await self._recording.stop(user=inv.user, space=target.space))

    async def _transcript(self, inv: Invocation, ref: str | None, reply: ChatReply) -> None:
        if self._transcripts is None:
            await reply.ephemeral(reply=messages.not_available("transcript"))
            return
        meeting = await self._access.meeting(inv, ref, reply)
        if meeting is not None:
            await self._transcripts.show(meeting=meeting, reply=reply)

    async def _delete(self, inv: Invocation, ref: str | None, reply: ChatReply) -> None:
        if self._transcripts is None:
            await reply.ephemeral(reply=messages.not_available("delete"))
            return
        meeting = await self._access.meeting(inv, ref, reply)
        if meeting is not None:
            await self._transcripts.delete(user=inv.user, meeting=meeting, reply=reply)

    async def _connect_link(self, inv: Invocation, reply: ChatReply) -> None:
        current = await self._connect.current_email(inv.user)
        url = await self._connect.start(user=inv.user, channel_id=inv.channel_id)
        await reply.ephemeral(
            reply=messages.connect_reply(url, ttl_minutes=self._ttl, current_email=current)
        )

    async def _new(self, inv: Invocation, cmd: c.NewMeeting, reply: ChatReply) -> None:
        user = inv.user
        row = NewMeetingRow(
            platform=user.platform,
            team_id=user.team_id,
            channel_id=inv.channel_id,
            created_by=user.user_id,
            title=cmd.title or DEFAULT_TITLE,
        )
        await self._google.require(user)  # not connected → the connect link, before any row
        meeting = await self._meetings.create(row=row, cause=f"/meet new by {user.user_id}")
        with log_context(meeting_id=meeting.id):
            try:
                space = await self._google.call(
                    user, lambda t: self._meet.create_space(token=t, access_type=cmd.access)
                )
            except MeetApiError as exc:
                await self._move(meeting, MeetingState.FAILED, f"create_space: {exc}", user)
                await reply.ephemeral(reply=messages.meet_error(exc, doing="create the meeting"))
                return
            meeting = await self._meetings.set_space(meeting_id=meeting.id, space=space)
            meeting = await self._move(meeting, MeetingState.SPACE_CREATED, "space created", user)
            await self._post_card(meeting, reply)

    async def _post_card(self, meeting: Meeting, reply: ChatReply) -> None:
        try:
            ref = await reply.post_card(card=meeting_card(meeting))
        except ChatPlatformError as exc:
            logger.warning("card not posted: %s", exc.reason)
            await reply.ephemeral(reply=messages.card_not_posted(meeting, exc.reason))
            return
        await self._meetings.set_card(meeting_id=meeting.id, card=ref)

    async def _end(self, inv: Invocation, meeting: Meeting | None, reply: ChatReply) -> None:
        if meeting is None:
            return
        if meeting.state in TERMINAL or meeting.space_name is None:
            await reply.ephemeral(reply=messages.already_ended(meeting))
            return
        if inv.user.user_id != meeting.created_by and not await reply.invoker_is_admin():
            await reply.ephemeral(reply=messages.not_allowed("end"))
            return
        owner = ChatUser(meeting.platform, meeting.team_id, meeting.created_by)
        space = meeting.space_name
        had_call = True
        try:
            await self._google.call(
                owner, lambda t: self._meet.end_active_conference(token=t, name=space)
            )
        except MeetPreconditionFailed:
            had_call = False
        except MeetApiError as exc:
            await reply.ephemeral(reply=messages.meet_error(exc, doing="end the meeting"))
            return
        lifecycle.check(meeting.state, MeetingState.ENDED)
        ended = await self._meetings.transition(
            meeting_id=meeting.id,
            expected=meeting.state,
            new_state=MeetingState.ENDED,
            cause=f"ended by {inv.user.user_id}" + ("" if had_call else " (no call in progress)"),
            actor=inv.user.user_id,
        )
        if ended is None:
            await reply.ephemeral(reply=messages.already_ended(meeting))
            return
        note = messages.ended_note(inv.user.user_id, had_call=had_call)
        await self._refresh_card(ended, reply, notes=(note,))

    async def _refresh_card(
        self, meeting: Meeting, reply: ChatReply, *, notes: tuple[str, ...] = ()
    ) -> None:
        if meeting.card is None:
            return
        try:
            await reply.update_card(ref=meeting.card, card=meeting_card(meeting, notes=notes))
        except ChatPlatformError as exc:
            logger.warning("card not updated: %s", exc.reason)

    async def _status(self, meeting: Meeting | None, reply: ChatReply) -> None:
        if meeting is None:
            return
        if meeting.space_name is None or meeting.state in TERMINAL:
            text = messages.status_reply(meeting, in_call=None, started=None)
            await reply.ephemeral(reply=text)
            return
        owner = ChatUser(meeting.platform, meeting.team_id, meeting.created_by)
        name = meeting.space_name
        try:
            space = await self._google.call(
                owner, lambda t: self._meet.get_space(token=t, name=name)
            )
            in_call, started = None, None
            if space.active_conference:
                record = space.active_conference
                people = await self._google.call(
                    owner, lambda t: self._meet.list_participants(token=t, record=record)
                )
                in_call = [p for p in people if p.latest_end_time is None]
                starts = [p.earliest_start_time for p in people if p.earliest_start_time]
                started = min(starts) if starts else None
        except MeetApiError as exc:
            await reply.ephemeral(reply=messages.meet_error(exc, doing="read the meeting's status"))
            return
        await reply.ephemeral(
            reply=messages.status_reply(meeting, in_call=in_call, started=started)
        )

    async def _list(self, inv: Invocation, reply: ChatReply) -> None:
        rows = await self._meetings.list_in_channel(
            platform=inv.user.platform,
            team_id=inv.user.team_id,
            channel_id=inv.channel_id,
            limit=10,
        )
        await reply.ephemeral(reply=messages.list_reply(rows))

    async def _move(
        self, meeting: Meeting, new: MeetingState, cause: str, user: ChatUser
    ) -> Meeting:
        lifecycle.check(meeting.state, new)
        moved = await self._meetings.transition(
            meeting_id=meeting.id,
            expected=meeting.state,
            new_state=new,
            cause=cause,
            actor=user.user_id,
        )
        if moved is None:
            raise RuntimeError(f"meeting {meeting.id} changed state concurrently")
        return moved
