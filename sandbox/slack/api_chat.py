"""Web API ``chat.*`` methods: post, update, ephemeral, delete, with Slack's checks."""

from __future__ import annotations

import logging
from typing import Any

from sandbox.slack.blocks import validate_blocks, with_block_ids
from sandbox.slack.calls import ApiCall, JsonDict, MethodFn, SlackApiError
from sandbox.slack.messages import Message
from sandbox.slack.state import BOT_USER_ID, TEAM_ID, SlackChannel, SlackWorkspace

logger = logging.getLogger(__name__)

MAX_TEXT = 40_000


def content(workspace: SlackWorkspace, call: ApiCall) -> tuple[str | None, list[JsonDict] | None]:
    """``(text, blocks)`` of a post or update, validated; ``None`` where not given."""
    text = call.str_arg("text")
    blocks: Any = call.json_arg("blocks", "invalid_blocks_format")
    if blocks is not None:
        errors = validate_blocks(blocks)
        if errors:
            raise SlackApiError(
                "invalid_blocks",
                errors=errors,
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
    if text is not None and len(text) > MAX_TEXT:
        raise SlackApiError("msg_too_long")
    if blocks is not None:
        blocks = with_block_ids(blocks, lambda: workspace.random_token(5))
    return text, blocks


def writable_channel(workspace: SlackWorkspace, call: ApiCall) -> SlackChannel:
    """The target channel, checking the bot may post there (member, or ``chat:write.public``)."""
    call.need_scope("chat:write")
    channel = workspace.resolve_channel(call.str_arg("channel") or "")
    if channel is None:
        raise SlackApiError("channel_not_found")
    bot = call.bot()
    if bot.user_id in channel.members:
        return channel
    if not channel.is_im and "chat:write.public" in bot.scopes:
        return channel
    raise SlackApiError("not_in_channel")


def thread_root(workspace: SlackWorkspace, channel: SlackChannel, call: ApiCall) -> str | None:
    """The ``thread_ts`` to store: a reply's ts resolves to its parent, as on Slack."""
    thread_ts = call.str_arg("thread_ts")
    if thread_ts is None:
        return None
    parent = workspace.find_message(channel.id, thread_ts)
    if parent is None or parent.ephemeral_to is not None:
        # stricter than Slack, which stores an orphan reply nobody can see
        raise SlackApiError("thread_not_found")
    return parent.thread_ts or parent.ts


def post_message(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    channel = writable_channel(workspace, call)
    text, blocks = content(workspace, call)
    if not text and not blocks and not call.args.get("attachments"):
        raise SlackApiError("no_text")
    message = workspace.bot_message(channel=channel.id, text=text or "", blocks=blocks or [])
    message.thread_ts = thread_root(workspace, channel, call)
    workspace.add_message(message)
    logger.debug("sandbox slack: bot posted %s in %s", message.ts, channel.id)
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "message": message.to_api(base_url=call.base_url),
    }


def post_ephemeral(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    channel = writable_channel(workspace, call)
    user_id = call.required("user", "user_not_found")
    if user_id not in workspace.users:
        raise SlackApiError("user_not_found")
    if user_id not in channel.members:
        raise SlackApiError("user_not_in_channel")
    text, blocks = content(workspace, call)
    if not text and not blocks:
        raise SlackApiError("no_text")
    message = workspace.bot_message(channel=channel.id, text=text or "", blocks=blocks or [])
    message.ephemeral_to = user_id
    message.thread_ts = thread_root(workspace, channel, call)
    workspace.add_message(message)
    return {"ok": True, "message_ts": message.ts}


def own_message(workspace: SlackWorkspace, call: ApiCall, refusal: str) -> Message:
    """The bot's own, non-ephemeral message named by ``channel`` and ``ts``."""
    call.need_scope("chat:write")
    channel = workspace.resolve_channel(call.str_arg("channel") or "")
    if channel is None:
        raise SlackApiError("channel_not_found")
    message = workspace.find_message(channel.id, call.str_arg("ts") or "")
    if message is None or message.ephemeral_to is not None:
        raise SlackApiError("message_not_found")
    if message.user != call.bot().user_id:
        raise SlackApiError(refusal)
    return message


def update(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    message = own_message(workspace, call, "cant_update_message")
    text, blocks = content(workspace, call)
    if not text and not blocks:
        raise SlackApiError("no_text")
    if text is not None:
        message.text = text
    if blocks is not None:
        message.blocks = blocks
    message.updated += 1
    workspace.bot_log.append(("update", message.channel, message.ts))
    return {
        "ok": True,
        "channel": message.channel,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_api(base_url=call.base_url),
    }


def delete(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    message = own_message(workspace, call, "cant_delete_message")
    message.deleted = True
    workspace.bot_log.append(("delete", message.channel, message.ts))
    return {"ok": True, "channel": message.channel, "ts": message.ts}


def get_permalink(workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
    """A link to the message on the sandbox page."""
    channel = workspace.resolve_channel(call.str_arg("channel") or "")
    if channel is None:
        raise SlackApiError("channel_not_found")
    message = workspace.find_message(channel.id, call.str_arg("message_ts") or "")
    if message is None:
        raise SlackApiError("message_not_found")
    link = f"{call.base_url}/sandbox/?channel={channel.id}&ts={message.ts}"
    return {"ok": True, "channel": channel.id, "permalink": link}


def post_user_message(
    workspace: SlackWorkspace, *, channel: SlackChannel, user: str, text: str, thread_ts: str | None
) -> Message:
    """A message typed by a person (the sandbox page or a mention); never the bot's."""
    if user == BOT_USER_ID:
        raise ValueError("the bot posts through the Web API")
    message = Message(
        channel=channel.id, ts=workspace.next_ts(), user=user, text=text, thread_ts=thread_ts
    )
    message.team = TEAM_ID
    channel.members.add(user)
    return workspace.add_message(message)


METHODS: dict[str, MethodFn] = {
    "chat.postMessage": post_message,
    "chat.postEphemeral": post_ephemeral,
    "chat.update": update,
    "chat.delete": delete,
    "chat.getPermalink": get_permalink,
}
