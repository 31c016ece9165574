"""Odd bodies reaching Bolt itself (as Socket Mode hands them over) are refused, never run.

The payload check runs as Bolt middleware (bot.slack.payloads), so a body without who or where
never reaches a listener; the listeners also take who and where from what Bolt extracted.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from tests.fixtures_bot import SandboxBot

COMMAND = {
    "team_id": "T0SANDBOX",
    "channel_id": "C0GENERAL",
    "user_id": "U0ALICE",
    "command": "/meet",
    "text": "help",
    "api_app_id": "A0MEETBOT",
}


def _click(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T0SANDBOX"},
        "user": {"id": "U0ALICE", "team_id": "T0SANDBOX"},
        "api_app_id": "A0MEETBOT",
        "channel": {"id": "C0GENERAL"},
        "container": {"type": "message", "channel_id": "C0GENERAL"},
        "actions": [{"action_id": "meet_status", "value": "nope", "type": "button"}],
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


async def _dispatch(bot: SandboxBot, body: str) -> Any:
    """The body, signed as Slack signs it, straight into the running bot's Bolt app."""
    secret = bot.sandbox.slack.app.signing_secret
    ts = str(int(time.time()))
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }
    return await bot.runtime.slack.async_dispatch(AsyncBoltRequest(body=body, headers=headers))


@pytest.mark.parametrize("missing", ["user_id", "channel_id"])
async def test_a_command_without_its_user_or_channel_is_refused_and_not_run(
    sandbox_bot: SandboxBot, missing: str
) -> None:
    body = urlencode({k: v for k, v in COMMAND.items() if k != missing})
    resp = await _dispatch(sandbox_bot, body)
    assert resp.status == 400
    assert sandbox_bot.runtime.supervisor.pending == 0
    assert await sandbox_bot.messages() == []


@pytest.mark.parametrize(
    "changes",
    [
        {"channel": None, "container": None},  # nowhere to answer
        {"container": {"type": "view"}, "channel": None},
    ],
)
async def test_a_click_without_a_channel_is_refused_and_not_run(
    sandbox_bot: SandboxBot, changes: dict[str, Any]
) -> None:
    body = urlencode({"payload": json.dumps(_click(**changes))})
    resp = await _dispatch(sandbox_bot, body)
    assert resp.status == 400
    assert sandbox_bot.runtime.supervisor.pending == 0
    assert await sandbox_bot.messages() == []


async def test_the_same_command_whole_is_answered(sandbox_bot: SandboxBot) -> None:
    resp = await _dispatch(sandbox_bot, urlencode(COMMAND))
    assert resp.status == 200
    assert json.loads(resp.body)["text"].startswith("*Google Meet from chat*")
