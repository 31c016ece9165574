"""Bolt listeners: turn Slack payloads into neutral commands, ack fast, run the core."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import commands as c
from bot.core.model import ChatUser
from bot.core.ports import EventDedupe
from bot.core.replies import Action, MeetingCard, Reply
from bot.core.service import Invocation, MeetingService
from bot.slack.render import LINK_ACTION_PREFIX, reply_blocks, reply_text
from bot.slack.reply import Respond, SlackReply
from bot.tasks import TaskSupervisor

logger = logging.getLogger(__name__)

# Answered inside the ack: they only touch the database, so they fit Slack's 3 s window and
# the person sees the answer at once.
INSTANT = (
    c.Help,
    c.Connect,
    c.ListMeetings,
    c.RecordMeeting,
    c.StopRecording,
    c.ShowTranscript,
    c.DeleteMeeting,
    c.ChangeSettings,
)
_BUTTONS = re.compile(r"^meet_(record|stop|end|status)$")


class AckingReply:
    """A SlackReply whose first ephemeral message becomes the ack's body."""

    def __init__(self, *, ack: Any, inner: SlackReply) -> None:
        self._ack = ack
        self._inner = inner
        self._acked = False

    async def ephemeral(self, *, reply: Reply) -> None:
        if self._acked:
            await self._inner.ephemeral(reply=reply)
            return
        self._acked = True
        await self._ack(text=reply_text(reply), blocks=reply_blocks(reply))

    async def finish(self) -> None:
        if not self._acked:
            self._acked = True
            await self._ack()

    async def post_card(self, *, card: MeetingCard) -> Any:
        return await self._inner.post_card(card=card)

    async def update_card(self, *, ref: Any, card: MeetingCard) -> None:
        await self._inner.update_card(ref=ref, card=card)

    async def in_thread(self, *, ref: Any, reply: Reply) -> None:
        await self._inner.in_thread(ref=ref, reply=reply)

    async def invoker_is_admin(self) -> bool:
        return await self._inner.invoker_is_admin()

    async def invoker_is_member(self, *, channel_id: str) -> bool:
        return await self._inner.invoker_is_member(channel_id=channel_id)


def _invocation(team_id: str, user_id: str, channel_id: str) -> Invocation:
    user = ChatUser("slack", team_id, user_id)  # direct-message channel ids start with D
    return Invocation(user=user, channel_id=channel_id, direct=channel_id.startswith("D"))


def register(
    app: AsyncApp, *, service: MeetingService, dedupe: EventDedupe, supervisor: TaskSupervisor
) -> None:
    """Attach the `/meet` command, `app_mention` and button listeners to ``app``."""

    @app.command(re.compile(r"^/meet"))
    async def on_command(
        ack: Any, body: dict[str, Any], client: AsyncWebClient, respond: Respond
    ) -> None:
        inv = _invocation(body["team_id"], body["user_id"], body["channel_id"])
        command = c.parse(body.get("text", ""))
        reply = SlackReply(
            client=client, channel_id=inv.channel_id, user_id=inv.user.user_id, respond=respond
        )
        if isinstance(command, INSTANT):
            acking = AckingReply(ack=ack, inner=reply)
            await service.handle(inv, command, acking)
            await acking.finish()
            return
        await ack()
        supervisor.spawn(service.handle(inv, command, reply), name=f"slack-command-{inv.user}")

    @app.event("app_mention")
    async def on_mention(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if not await dedupe.first_time(key=f"slack:{body.get('team_id')}:{body.get('event_id')}"):
            logger.info("duplicate event %s ignored", body.get("event_id"))
            return
        team = body.get("team_id") or event.get("team", "")
        inv = _invocation(team, event["user"], event["channel"])
        reply = SlackReply(
            client=client, channel_id=inv.channel_id, user_id=inv.user.user_id, respond=None
        )
        command = c.parse(event.get("text", ""))
        supervisor.spawn(service.handle(inv, command, reply), name="slack-mention")

    @app.action(_BUTTONS)
    async def on_button(
        ack: Any,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: Respond,
    ) -> None:
        await ack()
        team = (body.get("team") or {}).get("id") or body["user"].get("team_id", "")
        channel = (body.get("channel") or {}).get("id") or body["container"]["channel_id"]
        inv = _invocation(team, body["user"]["id"], channel)
        reply = SlackReply(
            client=client, channel_id=channel, user_id=inv.user.user_id, respond=respond
        )
        press = service.press(inv, Action(action["action_id"]), action.get("value", ""), reply)
        supervisor.spawn(press, name=f"slack-button-{action['action_id']}")

    @app.action(re.compile(rf"^(meet_join|{LINK_ACTION_PREFIX}\d+)$"))
    async def on_link_button(ack: Any) -> None:
        await ack()  # link buttons still send block_actions; unacked they show a warning
