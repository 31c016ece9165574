"""``response_url`` endpoints (5 uses in 30 minutes) and how slash-command acks are shown."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.slack.blocks import validate_blocks, with_block_ids
from sandbox.slack.messages import Message
from sandbox.slack.state import SlackWorkspace

logger = logging.getLogger(__name__)

MAX_USES = 5
LIFETIME_SECONDS = 30 * 60
JsonDict = dict[str, Any]


@dataclass(slots=True)
class ResponseTarget:
    """Where one ``response_url`` posts: the invoker, the channel, the clicked message if any."""

    id: str
    channel: str
    user: str
    created: float
    original_ts: str | None = None
    uses: int = 0


class ResponseError(Exception):
    """Answered to the poster as ``{"ok": false, "error": ...}`` with ``status``."""

    def __init__(self, error: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


class ResponseUrls:
    """Issues ``response_url``s and applies what the bot POSTs to them."""

    def __init__(self, *, workspace: SlackWorkspace) -> None:
        self._workspace = workspace
        self._targets: dict[str, ResponseTarget] = {}

    def issue(self, *, base_url: str, channel: str, user: str, original_ts: str | None) -> str:
        target = ResponseTarget(
            id=self._workspace.random_token(24),
            channel=channel,
            user=user,
            created=self._workspace.clock(),
            original_ts=original_ts,
        )
        self._targets[target.id] = target
        return f"{base_url}/sandbox/slack/response/{target.id}"

    def register(self, app: web.Application) -> None:
        app.router.add_post("/sandbox/slack/response/{target}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        try:
            target = self._use(request.match_info["target"])
            self.apply(target, _payload(await request.read()))
        except ResponseError as exc:
            return web.json_response({"ok": False, "error": exc.error}, status=exc.status)
        return web.json_response({"ok": True})

    def _use(self, target_id: str) -> ResponseTarget:
        target = self._targets.get(target_id)
        if target is None:
            raise ResponseError("invalid_url", status=404)
        if self._workspace.clock() - target.created > LIFETIME_SECONDS:
            raise ResponseError("expired_url", status=404)
        if target.uses >= MAX_USES:
            raise ResponseError("used_url", status=404)
        target.uses += 1
        return target

    def apply(self, target: ResponseTarget, payload: JsonDict) -> Message | None:
        """Post, replace or delete as ``payload`` says; returns the message written, if any."""
        original = None
        if target.original_ts is not None:
            original = self._workspace.find_message(target.channel, target.original_ts)
        if payload.get("delete_original") and original is not None:
            original.deleted = True
            self._workspace.bot_log.append(("delete", original.channel, original.ts))
            return None
        text, blocks = _content(self._workspace, payload)
        if payload.get("replace_original") and original is not None:
            original.text, original.blocks = text, blocks
            original.updated += 1
            self._workspace.bot_log.append(("update", original.channel, original.ts))
            return original
        # a slash command's response_url has no original: replace_original posts anew
        return self.show(
            channel=target.channel,
            user=target.user,
            payload=payload,
            thread_ts=payload.get("thread_ts"),
        )

    def show(
        self, *, channel: str, user: str, payload: JsonDict, thread_ts: str | None = None
    ) -> Message:
        """A reply from the app, ephemeral to ``user`` unless ``response_type`` is in_channel."""
        text, blocks = _content(self._workspace, payload)
        message = self._workspace.bot_message(channel=channel, text=text, blocks=blocks)
        if payload.get("response_type") != "in_channel":
            message.ephemeral_to = user
        if thread_ts:
            parent = self._workspace.find_message(channel, str(thread_ts))
            message.thread_ts = (parent.thread_ts or parent.ts) if parent else str(thread_ts)
        return self._workspace.add_message(message)

    def show_ack(self, *, channel: str, user: str, body: Any) -> Message | None:
        """Shows a slash command's ack body as Slack does; an empty ack shows nothing."""
        if isinstance(body, str):
            return self.show(channel=channel, user=user, payload={"text": body}) if body else None
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return None
        try:
            return self.show(channel=channel, user=user, payload=body)
        except ResponseError:
            logger.warning("sandbox slack: the bot acked a command with invalid blocks")
            return None


def _payload(raw: bytes) -> JsonDict:
    try:
        payload = json.loads(raw)
    except ValueError as exc:
        raise ResponseError("invalid_payload") from exc
    if not isinstance(payload, dict):
        raise ResponseError("invalid_payload")
    return payload


def _content(workspace: SlackWorkspace, payload: JsonDict) -> tuple[str, list[JsonDict]]:
    text = payload.get("text")
    blocks = payload.get("blocks")
    if not text and not blocks:
        raise ResponseError("no_text")
    if blocks is not None and validate_blocks(blocks):
        raise ResponseError("invalid_blocks")
    blocks = with_block_ids(blocks or [], lambda: workspace.random_token(5))
    return str(text or ""), blocks
