"""Who may act on a meeting, from where: the one check every meeting command and button passes.

A command acts on the meetings of the channel it is typed in, for people in that channel; in
a direct message with the bot, also on the meetings that person created. Whatever fails the
check is answered exactly like a meeting that does not exist, so nobody can probe codes.
What each command then allows (``end``, ``delete``: the creator or an admin) is checked after.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.accounts.google_access import GoogleAccess
from bot.core.errors import MeetApiError, NotConnected, OAuthError
from bot.core.model import ChatUser, ConferenceRecordName, Meeting, MeetingId, Platform, Recording
from bot.core.ports.chat import ChatReply
from bot.core.ports.google import MeetSpaces
from bot.core.ports.storage import MeetingRepo, RecordingRepo
from bot.core.recording.flow import Target
from bot.core.texts import meetings as messages

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who asked, where.

    Attributes:
        user: the person.
        channel_id: the channel (Slack) or space (Chat) the command was typed or pressed in.
        direct: that channel is a direct message with the bot (only its person is in it).
    """

    user: ChatUser
    channel_id: str
    direct: bool = False


@dataclass(frozen=True, slots=True)
class Home:
    """Where a meeting, or a recording of a call meetbot did not create, belongs; and whose."""

    platform: str
    team_id: str
    channel_id: str
    owner: str

    @classmethod
    def of_meeting(cls, meeting: Meeting) -> Home:
        m = meeting
        return cls(m.platform, m.team_id, m.channel_id, m.created_by)

    @classmethod
    def of_recording(cls, recording: Recording) -> Home:
        r = recording
        return cls(r.platform, r.team_id, r.channel_id, r.started_by)


async def may_act(inv: Invocation, home: Home, reply: ChatReply) -> bool:
    """Whether a command typed (or a button pressed) at ``inv`` may touch what lives at ``home``.

    Args:
        inv: who asked, where.
        home: the meeting's (or recording's) channel and creator.
        reply: the platform, asked whether the invoker is a member of ``home``'s channel.

    Returns:
        True in the meeting's own channel for its members, or in a direct message with the
        bot for the meeting's creator; False otherwise (the caller says "no such meeting").
    """
    user = inv.user
    if (home.platform, home.team_id) != (user.platform, user.team_id):
        return False
    if inv.direct and home.owner == user.user_id:
        return True
    if home.channel_id != inv.channel_id:
        logger.info("refused: %s asked from another channel", user.user_id)
        return False
    if inv.direct:  # the DM itself: nobody but its person can type or press in it
        return True
    if await reply.invoker_is_member(channel_id=home.channel_id):
        return True
    logger.info("refused: %s is not a member of the meeting's channel", user.user_id)
    return False


async def in_the_call(
    *, google: GoogleAccess, meet: MeetSpaces, user: ChatUser, recording: Recording
) -> bool:
    """Whether ``user``'s linked Google account is in the call ``recording`` receives.

    Meet's participant list is read with the account of the person who started the recording
    (it can see the call); a person without a linked account, or a list that cannot be read,
    counts as not in the call.
    """
    record, identity = recording.conference_record, await google.identity(user)
    if record is None or identity is None:
        return False
    platform: Platform = "gchat" if recording.platform == "gchat" else "slack"
    starter = ChatUser(platform, recording.team_id, recording.started_by)
    name = ConferenceRecordName(record)
    try:
        people = await google.call(starter, lambda t: meet.list_participants(token=t, record=name))
    except (MeetApiError, NotConnected, OAuthError) as exc:
        logger.info("participants not readable (%s): not in the call", type(exc).__name__)
        return False
    me = f"users/{identity.subject}"
    return any(p.user == me and p.latest_end_time is None for p in people)


class MeetingAccess:
    """Finds what a command or button acts on, as `may_act` allows; else says "no meeting"."""

    def __init__(
        self,
        *,
        meetings: MeetingRepo,
        google: GoogleAccess,
        meet: MeetSpaces,
        recordings: RecordingRepo | None,
    ) -> None:
        self._meetings = meetings
        self._google = google
        self._meet = meet
        self._recordings = recordings

    async def meeting(self, inv: Invocation, ref: str | None, reply: ChatReply) -> Meeting | None:
        """The meeting ``ref`` names (else the channel's latest), if the invoker may act on it."""
        user = inv.user
        if ref:
            found = await self._meetings.find(platform=user.platform, team_id=user.team_id, ref=ref)
        else:
            found = await self._meetings.latest_in_channel(
                platform=user.platform, team_id=user.team_id, channel_id=inv.channel_id
            )
        if found is not None and not await may_act(inv, Home.of_meeting(found), reply):
            found = None
        if found is None:
            await reply.ephemeral(reply=messages.no_meeting(ref))
        return found

    async def pressed(
        self, inv: Invocation, meeting_id: MeetingId, reply: ChatReply
    ) -> tuple[Meeting | None, Target | None]:
        """A button's meeting if the invoker may act on it; else (None, its call as a bare
        space, which only **Stop** may still reach, for someone in the call)."""
        found = await self._meetings.get(meeting_id=meeting_id)
        if found is None:
            return None, None
        if await may_act(inv, Home.of_meeting(found), reply):
            return found, None
        return None, Target(space=found.space_name, meeting=None) if found.space_name else None

    async def record_target(
        self, inv: Invocation, ref: str | None, reply: ChatReply, *, stopping: bool
    ) -> Target | None:
        """Our meeting (by ref, or the channel's latest), else any Meet space by link or code.

        A meeting of another channel is refused like an unknown one: ``record`` says so;
        ``stop`` goes on as for a bare space, whose recording `may_stop` checks in turn.
        """
        user = inv.user
        if not ref:
            latest = await self.meeting(inv, None, reply)
            return meeting_target(latest) if latest else None
        found = await self._meetings.find(platform=user.platform, team_id=user.team_id, ref=ref)
        if found is not None and await may_act(inv, Home.of_meeting(found), reply):
            return meeting_target(found)
        if found is not None and not stopping:
            await reply.ephemeral(reply=messages.no_meeting(ref))
            return None
        space = found.space_name if found is not None else space_from_ref(ref)
        if space is None:
            await reply.ephemeral(reply=messages.no_meeting(ref))
        return Target(space=space, meeting=None) if space else None

    async def may_stop(self, inv: Invocation, target: Target, reply: ChatReply) -> bool:
        """A bare space's recording (no meeting of ours, or another channel's) is stopped from
        where it was started, or by someone in the call; a meeting's was checked with it."""
        if target.meeting is not None or self._recordings is None:
            return True
        active = await self._recordings.active_for_space(space_name=target.space)
        if active is None or await may_act(inv, Home.of_recording(active), reply):
            return True
        return await in_the_call(
            google=self._google, meet=self._meet, user=inv.user, recording=active
        )


def meeting_target(meeting: Meeting) -> Target | None:
    if meeting.space_name is None:
        return None
    return Target(space=meeting.space_name, meeting=meeting)


def space_from_ref(ref: str) -> str | None:
    """``spaces/x``, a meeting code or a Meet link → the name the Media API accepts."""
    ref = ref.strip().strip("<>").split("|")[0]
    for prefix in ("https://meet.google.com/", "http://meet.google.com/", "meet.google.com/"):
        if ref.startswith(prefix):
            ref = ref.removeprefix(prefix).split("?")[0]
    key = ref.removeprefix("spaces/")
    if not key or not all(ch.isalnum() or ch in "-_" for ch in key):
        return None
    return f"spaces/{key}"
