"""Runs one verified Chat event through the core and chooses its synchronous answer."""

from __future__ import annotations

import logging
from typing import Any

from bot.ack_window import ACK_WINDOW_SECONDS, run_within_window
from bot.core import commands as c
from bot.core.replies import Action
from bot.core.service import Invocation, MeetingService
from bot.core.texts import meetings as messages
from bot.gchat import render, responses
from bot.gchat.client import ChatApi
from bot.gchat.events import ChatEvent, EventKind
from bot.gchat.reply import GChatReply, SyncWindow, chat_user
from bot.logs import log_context
from bot.tasks import TaskSupervisor

logger = logging.getLogger(__name__)

# Every command runs through the same acknowledgement window as Slack's (bot.ack_window):
# its first private answer within the window is the HTTP response, the rest uses the API.
_PRESSABLE = {a.value: a for a in (Action.RECORD, Action.STOP, Action.STATUS)}

Body = dict[str, Any]


class ChatDispatcher:
    """Commands, mentions, clicks and membership changes of Chat, in both formats."""

    def __init__(
        self,
        *,
        service: MeetingService,
        api: ChatApi,
        supervisor: TaskSupervisor,
        command_id: int,
        targets: render.ButtonTargets,
        window_seconds: float = ACK_WINDOW_SECONDS,
    ) -> None:
        self._service = service
        self._api = api
        self._supervisor = supervisor
        self._command_id = command_id
        self._targets = targets
        self._window_seconds = window_seconds

    async def dispatch(self, event: ChatEvent) -> Body:
        """Handle ``event``; return the body of the HTTP response."""
        with log_context(platform="gchat", user=event.user.name):
            if event.kind is EventKind.REMOVED:
                logger.info("removed from a Chat space; nothing to send")
                return responses.ack()
            if event.kind is EventKind.ADDED:
                logger.info("added to a Chat space")
                return responses.new_message(event, render.reply_message(messages.help_reply()))
            if event.kind is EventKind.CLICK:
                return self._click(event)
            return await self._command(event)

    def _target(self, event: ChatEvent) -> render.ButtonTarget:
        return self._targets.for_event(event)

    def _reply(self, event: ChatEvent, window: SyncWindow | None = None) -> GChatReply:
        return GChatReply(api=self._api, event=event, target=self._target(event), window=window)

    async def _command(self, event: ChatEvent) -> Body:
        command = self._parse(event)
        inv = Invocation(
            user=chat_user(event), channel_id=event.space.name, direct=event.space.direct
        )
        window = SyncWindow()
        answer = await run_within_window(
            self._service.handle(inv, command, self._reply(event, window)),
            window=window,
            supervisor=self._supervisor,
            name=f"gchat-{type(command).__name__}",
            seconds=self._window_seconds,
        )
        return answer if answer is not None else responses.ack()

    def _parse(self, event: ChatEvent) -> c.Command:
        if event.kind is EventKind.COMMAND and event.command_id != self._command_id:
            logger.info("unknown Chat command id %s", event.command_id)
            return c.Help(problem="I don't know that command.")
        return c.parse(event.text)

    def _click(self, event: ChatEvent) -> Body:
        action = event.action or ""
        meeting = event.parameters.get(render.MEETING_PARAMETER, "")
        if action == Action.JOIN.value:
            return responses.ack()
        if not meeting:
            logger.warning("Chat button %s without a meeting", action)
            return responses.ack()
        if action == Action.END.value:
            confirm = render.end_confirmation(meeting, target=self._target(event))
            return responses.new_message(event, responses.private(confirm, event))
        if action == render.END_CANCEL:
            return responses.update_message(event, _replaced(render.CANCELLED_TEXT))
        if action == render.END_CONFIRM:
            self._press(event, Action.END, meeting)
            return responses.update_message(event, _replaced(render.ENDING_TEXT))
        if action in _PRESSABLE:
            self._press(event, _PRESSABLE[action], meeting)
        else:
            logger.warning("unknown Chat button action %s", action)
        return responses.ack()

    def _press(self, event: ChatEvent, action: Action, meeting: str) -> None:
        inv = Invocation(
            user=chat_user(event), channel_id=event.space.name, direct=event.space.direct
        )
        work = self._service.press(inv, action, meeting, self._reply(event))
        self._supervisor.spawn(work, name=f"gchat-button-{action.value}")


def _replaced(text: str) -> Body:
    """A message that replaces a card with plain text (its buttons removed)."""
    return {**render.text_message(text), "cardsV2": []}
