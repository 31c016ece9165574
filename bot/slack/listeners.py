"""Bolt listeners: turn Slack payloads into neutral commands, run the core, ack in a window."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.ack_window import ACK_WINDOW_SECONDS, AnswerWindow, run_within_window
from bot.core import commands as c
from bot.core.model import ChatUser
from bot.core.ports.storage import EventDedupe
from bot.core.replies import Action, MeetingCard, Reply
from bot.core.service import Invocation, MeetingService
from bot.slack.render import LINK_ACTION_PREFIX, reply_blocks, reply_text
from bot.slack.reply import Respond, SlackReply
from bot.tasks import TaskSupervisor

logger = logging.getLogger(__name__)

_BUTTONS = re.compile(r"^meet_(record|stop|end|status)$")

AckBody = dict[str, Any]


class AckingReply:
    """A SlackReply whose first ephemeral message, offered within the window, is the ack."""

    def __init__(self, *, window: AnswerWindow[AckBody], inner: SlackReply) -> None:
        self._window = window
        self._inner = inner

    async def ephemeral(self, *, reply: Reply) -> None:
        if self._window.offer({"text": reply_text(reply), "blocks": reply_blocks(reply)}):
            return
        await self._inner.ephemeral(reply=reply)

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


def _where(context: AsyncBoltContext, team: Any, channel: Any = None) -> Invocation | None:
    """Who asked where (Bolt's extraction unless the payload says better); None if unknown."""
    team_id = team if isinstance(team, str) and team else context.team_id
    channel_id = context.channel_id or (channel if isinstance(channel, str) else None)
    if not (team_id and context.user_id and channel_id):
        logger.warning("Slack payload without a team, user or channel; acknowledged, not run")
        return None
    return _invocation(team_id, context.user_id, channel_id)


def _field(body: dict[str, Any], key: str, name: str) -> Any:
    """``body[key][name]`` when ``body[key]`` is an object, else None."""
    inner = body.get(key)
    return inner.get(name) if isinstance(inner, dict) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def register(
    app: AsyncApp,
    *,
    service: MeetingService,
    dedupe: EventDedupe,
    supervisor: TaskSupervisor,
    ack_window: float = ACK_WINDOW_SECONDS,
) -> None:
    """Attach the `/meet` command, `app_mention` and button listeners to ``app``."""

    @app.command(re.compile(r"^/meet"))
    async def on_command(
        ack: AsyncAck,
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        respond: Respond,
    ) -> None:
        inv = _where(context, body.get("team_id"))
        if inv is None:
            await ack()
            return
        command = c.parse(_text(body.get("text")))
        reply = SlackReply(
            client=client, channel_id=inv.channel_id, user_id=inv.user.user_id, respond=respond
        )
        window = AnswerWindow[AckBody]()
        answer = await run_within_window(
            service.handle(inv, command, AckingReply(window=window, inner=reply)),
            window=window,
            supervisor=supervisor,
            name=f"slack-{type(command).__name__}",
            seconds=ack_window,
        )
        await (ack(**answer) if answer is not None else ack())

    @app.event("app_mention")
    async def on_mention(
        body: dict[str, Any],
        event: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        if not await dedupe.first_time(key=f"slack:{body.get('team_id')}:{body.get('event_id')}"):
            logger.info("duplicate event %s ignored", body.get("event_id"))
            return
        inv = _where(context, body.get("team_id") or event.get("team"))
        if inv is None:
            return
        reply = SlackReply(
            client=client, channel_id=inv.channel_id, user_id=inv.user.user_id, respond=None
        )
        command = c.parse(_text(event.get("text")))
        supervisor.spawn(service.handle(inv, command, reply), name="slack-mention")

    @app.action(_BUTTONS)
    async def on_button(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any] | None,
        context: AsyncBoltContext,
        client: AsyncWebClient,
        respond: Respond,
    ) -> None:
        # A click's ack body is not shown to anyone: acknowledge first, answer via response_url.
        await ack()
        team = _field(body, "team", "id") or _field(body, "user", "team_id")
        inv = _where(context, team, _field(body, "container", "channel_id"))
        if inv is None:
            return
        reply = SlackReply(
            client=client, channel_id=inv.channel_id, user_id=inv.user.user_id, respond=respond
        )
        action_id = _text((action or {}).get("action_id"))
        if not _BUTTONS.match(action_id) or action is None:
            return  # Bolt matched the listener on this id; only an odd payload gets here
        press = service.press(inv, Action(action_id), _text(action.get("value")), reply)
        supervisor.spawn(press, name=f"slack-button-{action_id}")

    @app.action(re.compile(rf"^(meet_join|{LINK_ACTION_PREFIX}\d+)$"))
    async def on_link_button(ack: AsyncAck) -> None:
        await ack()  # link buttons still send block_actions; unacked they show a warning
