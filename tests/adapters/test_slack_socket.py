"""Socket Mode in the Slack emulator, with Bolt's own AsyncSocketModeHandler and a raw client."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncRespond, AsyncSay
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.adapters.sandbox_server import RunningSandbox, eventually, running_sandbox

SCOPES = ("commands", "chat:write", "users:read")


def bot_client(live: RunningSandbox) -> AsyncWebClient:
    token = live.sandbox.slack.issue_bot_token(scopes=SCOPES)
    return AsyncWebClient(token=token, base_url=f"{live.base_url}/sandbox/slack/api/")


def socket_app(live: RunningSandbox) -> AsyncApp:
    app = AsyncApp(client=bot_client(live), signing_secret="unused-in-socket-mode")

    @app.command("/meet")
    async def meet(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack(f"Got {command['text']}")

    @app.event("app_mention")
    async def mention(event: dict[str, Any], say: AsyncSay) -> None:
        await say(text="On it", thread_ts=event["ts"])

    @app.action("meet_record")
    async def record(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(replace_original=True, text="Recording")

    return app


async def connected(live: RunningSandbox) -> bool:
    return bool((await live.call("GET", "config"))[1]["socket_mode_connected"])


async def test_bolt_socket_mode_app() -> None:
    async with running_sandbox() as live:
        handler = AsyncSocketModeHandler(socket_app(live), live.sandbox.slack.app_token)
        await handler.connect_async()
        try:
            await eventually(lambda: connected(live), what="a Socket Mode connection")
            where = {"user": "U0ALICE", "channel": "C0GENERAL"}
            status, result = await live.call("POST", "slack/commands", {**where, "text": "new x"})
            assert (status, result["status"], result["ack"]) == (200, 200, {"text": "Got new x"})
            assert (await live.messages("C0GENERAL"))[0]["ephemeral_to"] == "U0ALICE"

            await live.call("POST", "slack/mentions", {**where, "text": "hello"})
            replies = await eventually(
                lambda: _texts(live, "On it"), what="the bot's threaded reply"
            )
            assert replies[0]["thread_ts"] is not None

            card = await bot_client(live).chat_postMessage(
                channel="C0GENERAL",
                text="card",
                blocks=[
                    {
                        "type": "actions",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "meet_record",
                                "text": {"type": "plain_text", "text": "Record"},
                            }
                        ],
                    }
                ],
            )
            body = {**where, "message_ts": card["ts"], "action_id": "meet_record"}
            assert (await live.call("POST", "slack/actions", body))[1]["status"] == 200
            await eventually(lambda: _texts(live, "Recording"), what="the replaced card")
        finally:
            await handler.close_async()


async def _texts(live: RunningSandbox, text: str) -> list[dict[str, Any]]:
    return [m for m in await live.messages("C0GENERAL") if m["text"] == text]


async def test_raw_socket_acks_and_timeout() -> None:
    async with running_sandbox() as live:
        apps = AsyncWebClient(base_url=f"{live.base_url}/sandbox/slack/api/")
        opened = await apps.apps_connections_open(app_token=live.sandbox.slack.app_token)
        async with live.client.ws_connect(opened["url"]) as socket:
            assert (await socket.receive_json())["type"] == "hello"
            body = {"user": "U0BOB", "channel": "C0GENERAL", "text": "status"}
            sent = asyncio.create_task(live.call("POST", "slack/commands", body))
            envelope = await socket.receive_json()
            assert envelope["type"] == "slash_commands"
            assert envelope["accepts_response_payload"] is True
            assert envelope["payload"]["command"] == "/meet"
            await socket.send_json(
                {"envelope_id": envelope["envelope_id"], "payload": {"text": "ok"}}
            )
            status, result = await sent
            assert (status, result["status"], result["ack"]) == (200, 200, {"text": "ok"})

            live.sandbox.socket.ack_timeout = 0.05
            status, result = await live.call("POST", "slack/commands", body)
            assert (result["status"], result["ack"]) == (504, {"error": "operation_timeout"})


async def test_token_types_are_kept_apart() -> None:
    async with running_sandbox() as live:
        base = f"{live.base_url}/sandbox/slack/api/"
        app_level = AsyncWebClient(token=live.sandbox.slack.app_token, base_url=base)
        with pytest.raises(SlackApiError) as caught:
            await app_level.chat_postMessage(channel="C0GENERAL", text="x")
        assert caught.value.response["error"] == "not_allowed_token_type"
        token = live.sandbox.slack.issue_bot_token(scopes=SCOPES)
        with pytest.raises(SlackApiError) as caught:
            await AsyncWebClient(base_url=base).apps_connections_open(app_token=token)
        assert caught.value.response["error"] == "not_allowed_token_type"
