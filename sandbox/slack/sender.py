"""Sends signed slash commands, app_mention events and block_actions to the bot, as Slack does."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from sandbox.errors import SendError
from sandbox.slack.api_chat import post_user_message
from sandbox.slack.blocks import find_button, mention_blocks
from sandbox.slack.messages import Message
from sandbox.slack.responses import ResponseUrls
from sandbox.slack.socket import SocketModeHub
from sandbox.slack.state import BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, SlackChannel, SlackWorkspace

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
FORM = "application/x-www-form-urlencoded"
ACK_WINDOW = aiohttp.ClientTimeout(total=3.0)
"""Slack waits 3 s for the bot's answer, then counts the delivery as failed."""


@dataclass(frozen=True, slots=True)
class SendResult:
    """The bot's answer: HTTP status, body (JSON when it is JSON), time to answer."""

    status: int
    ack: Any
    elapsed_ms: float
    retry_reason: str | None = None

    def to_json(self) -> JsonDict:
        return {"status": self.status, "ack": self.ack, "elapsed_ms": self.elapsed_ms}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``v0=`` HMAC-SHA256 over ``v0:<timestamp>:<raw body>`` (Slack request signing)."""
    basestring = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), basestring, hashlib.sha256).hexdigest()


class SlackSender:
    """Plays Slack towards the bot: its Socket Mode connection, else ``<bot_url>/slack/events``."""

    def __init__(
        self,
        *,
        workspace: SlackWorkspace,
        responses: ResponseUrls,
        session: aiohttp.ClientSession,
        bot_url: str,
        base_url: str,
        socket: SocketModeHub | None = None,
    ) -> None:
        self._socket = socket
        self._ws = workspace
        self._responses = responses
        self._session = session
        self._events_url = bot_url.rstrip("/") + "/slack/events"
        self._base_url = base_url.rstrip("/")

    def _channel(self, channel_id: str, user: str, *, join: bool = True) -> SlackChannel:
        """Typing in a channel makes one a member (Slack asks to join first); a click does not:
        anyone may press a button on a public channel they only preview."""
        self._ws.ensure_user(user)
        channel = self._ws.resolve_channel(channel_id)
        if channel is None:
            raise SendError(f"unknown channel {channel_id!r}")
        if join:
            channel.members.add(user)
        return channel

    def _trigger_id(self) -> str:
        ws = self._ws
        return f"{int(ws.clock())}.{ws.rng.randint(10**11, 10**12)}.{ws.random_token(32)}"

    async def command(self, *, text: str, user: str, channel: str) -> SendResult:
        """``/meet <text>`` typed by ``user`` in ``channel``; the ack body is shown to them."""
        target = self._channel(channel, user)
        fields = {
            "token": "sandbox-verification-token",
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": target.id,
            "channel_name": "directmessage" if target.is_im else target.name,
            "user_id": user,
            "user_name": self._ws.users[user].name,
            "command": "/meet",
            "text": text,
            "api_app_id": self._ws.app.app_id,
            **self._org_fields(),
            "response_url": self._responses.issue(
                base_url=self._base_url, channel=target.id, user=user, original_ts=None
            ),
            "trigger_id": self._trigger_id(),
        }
        result = await self._deliver("slash_commands", fields)
        if result.status == 200:
            self._responses.show_ack(channel=target.id, user=user, body=result.ack)
        return result

    async def mention(
        self,
        *,
        text: str,
        user: str,
        channel: str,
        thread_ts: str | None = None,
        retries: int = 0,
    ) -> SendResult:
        """Posts ``user``'s message mentioning the bot in ``channel``, then the event (sent
        ``retries`` more times with ``X-Slack-Retry-Num``, as when Slack missed the ack)."""
        target = self._channel(channel, user)
        if BOT_USER_ID not in target.members:
            raise SendError(f"the bot is not in {target.id}; invite it first", status=409)
        mention = f"<@{BOT_USER_ID}>"
        full_text = text if mention in text else f"{mention} {text}".rstrip()
        posted = post_user_message(
            self._ws, channel=target, user=user, text=full_text, thread_ts=thread_ts
        )
        event: JsonDict = {
            "type": "app_mention",
            "user": user,
            "text": full_text,
            "ts": posted.ts,
            "channel": target.id,
            "event_ts": posted.ts,
            "team": TEAM_ID,
            "client_msg_id": self._ws.random_token(32),
            "blocks": mention_blocks(full_text),
        }
        if self._ws.enterprise is not None:
            event.update(user_team=TEAM_ID, source_team=TEAM_ID)
        if thread_ts:
            event["thread_ts"] = posted.thread_ts
        return await self._deliver_event(self._envelope(event), forced=retries)

    def _org_fields(self) -> dict[str, str]:
        """A slash command's org fields: ``enterprise_*`` only on Grid, as Slack sends."""
        org = self._ws.enterprise
        if org is None:
            return {"is_enterprise_install": "false"}
        return {
            "enterprise_id": org.id,
            "enterprise_name": org.name,
            "is_enterprise_install": "true",
        }

    def _envelope(self, event: JsonDict) -> JsonDict:
        org = self._ws.enterprise
        return {
            "token": "sandbox-verification-token",
            "team_id": TEAM_ID,
            "enterprise_id": org.id if org else None,
            "api_app_id": self._ws.app.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": self._ws.new_id("Ev"),
            "event_time": int(self._ws.clock()),
            "authorizations": [
                {
                    "enterprise_id": org.id if org else None,
                    # an org-wide install is authorized for the org, not one team
                    "team_id": None if org else TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": org is not None,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": self._ws.random_token(40),
        }

    async def action(
        self, *, channel: str, message_ts: str, action_id: str, user: str
    ) -> SendResult:
        """``user`` clicks the button ``action_id`` on the message ``message_ts``."""
        target = self._channel(channel, user, join=False)
        message = self._ws.find_message(target.id, message_ts)
        if message is None or message.ephemeral_to not in (None, user):
            raise SendError(f"no message {message_ts} in {target.id} for {user}", status=404)
        found = find_button(message.blocks, action_id)
        if found is None:
            raise SendError(f"no button {action_id!r} on message {message_ts}", status=404)
        return await self._deliver("interactive", self._block_actions(target, message, user, found))

    def _block_actions(
        self, channel: SlackChannel, message: Message, user: str, found: tuple[str, JsonDict]
    ) -> JsonDict:
        ephemeral = message.ephemeral_to is not None
        name = self._ws.users[user].name
        payload: JsonDict = {
            "type": "block_actions",
            "user": {"id": user, "username": name, "name": name, "team_id": TEAM_ID},
            "api_app_id": self._ws.app.app_id,
            "token": "sandbox-verification-token",
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": channel.id,
                "is_ephemeral": ephemeral,
            },
            "trigger_id": self._trigger_id(),
            "team": self._team(),
            "enterprise": self._ws.enterprise.to_api() if self._ws.enterprise else None,
            "is_enterprise_install": self._ws.enterprise is not None,
            "channel": {"id": channel.id, "name": channel.name},
            "state": {"values": {}},
            "response_url": self._responses.issue(
                base_url=self._base_url, channel=channel.id, user=user, original_ts=message.ts
            ),
            "actions": [self._action(*found)],
        }
        # Slack leaves the message out when it was ephemeral
        if not ephemeral:
            count = self._ws.reply_count(message)
            payload["message"] = message.to_api(base_url=self._base_url, reply_count=count)
        return payload

    def _team(self) -> JsonDict:
        org = self._ws.enterprise
        team: JsonDict = {"id": TEAM_ID, "domain": TEAM_DOMAIN}
        if org is not None:
            team.update(enterprise_id=org.id, enterprise_name=org.name)
        return team

    def _action(self, block_id: str, button: JsonDict) -> JsonDict:
        action = {
            "action_id": button["action_id"],
            "block_id": block_id,
            "text": button.get("text"),
            "type": button.get("type", "button"),
            "action_ts": self._ws.next_ts(),
        }
        for key in ("value", "style", "url"):
            if key in button:
                action[key] = button[key]
        return action

    async def _deliver_event(self, envelope: JsonDict, *, forced: int) -> SendResult:
        """An Events API delivery with Slack's retries: after a 5xx or no ack within 3 s
        (unless ``X-Slack-No-Retry: 1``), and ``forced`` times as if the ack came too late."""
        result = await self._deliver("events_api", envelope)
        for attempt, delay in enumerate(self._ws.event_retry_delays, start=1):
            reason = result.retry_reason or ("http_timeout" if attempt <= forced else None)
            if reason is None:
                break
            await asyncio.sleep(delay)
            result = await self._deliver("events_api", envelope, retry=(attempt, reason))
        return result

    async def _deliver(
        self, kind: str, payload: JsonDict, *, retry: tuple[int, str] = (0, "")
    ) -> SendResult:
        """Over the app's Socket Mode connection if it has one, else signed HTTP."""
        if self._socket is not None and self._socket.connected:
            status, ack, elapsed_ms = await self._socket.deliver(
                kind=kind, payload=payload, retry=retry
            )
            return SendResult(status=status, ack=ack, elapsed_ms=elapsed_ms)
        if kind == "events_api":
            body = json.dumps(payload).encode()
            return await self._post(body, "application/json", retry, window=ACK_WINDOW)
        fields = payload if kind == "slash_commands" else {"payload": json.dumps(payload)}
        return await self._post(urlencode(fields).encode(), FORM, retry)

    async def _post(
        self,
        body: bytes,
        content_type: str,
        retry: tuple[int, str],
        *,
        window: aiohttp.ClientTimeout | None = None,
    ) -> SendResult:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(self._ws.app.signing_secret, timestamp, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if retry[0]:
            headers.update({"X-Slack-Retry-Num": str(retry[0]), "X-Slack-Retry-Reason": retry[1]})
        started = time.perf_counter()
        try:
            async with self._session.post(
                self._events_url,
                data=body,
                headers=headers,
                timeout=window or self._session.timeout,
            ) as response:
                raw = await response.text()
                status, no_retry = response.status, response.headers.get("X-Slack-No-Retry")
        except TimeoutError:
            raw, status, no_retry = "", 504, None
        elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
        logger.debug("sandbox slack: bot answered %d in %.1f ms", status, elapsed_ms)
        reason = None if no_retry == "1" else _retry_reason(status)
        return SendResult(
            status=status, ack=_parse(raw), elapsed_ms=elapsed_ms, retry_reason=reason
        )


def _retry_reason(status: int) -> str | None:
    """Why Slack would retry an event delivery that got ``status`` (504: no answer in time)."""
    if status == 504:
        return "http_timeout"
    return "http_error" if status >= 500 else None


def _parse(raw: str) -> Any:
    if not raw:
        return ""
    try:
        return json.loads(raw)
    except ValueError:
        return raw
