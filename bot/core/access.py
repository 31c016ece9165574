"""Who may act on a meeting, from where: the one check every meeting command and button passes.

A command acts on the meetings of the channel it is typed in, for people in that channel; in
a direct message with the bot, also on the meetings that person created. Whatever fails the
check is answered exactly like a meeting that does not exist, so nobody can probe codes.
What each command then allows (``end``, ``delete``: the creator or an admin) is checked after.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.model import ChatUser, Meeting
from bot.core.ports import ChatReply
from recorder.model import Recording

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
