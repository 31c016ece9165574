"""The bot's Slack edge over real HTTP: signatures, replays, malformed bodies, retries, install."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.core.errors import StorageUnavailable
from tests.fixtures_bot import SandboxBot, eventually


async def _secret(bot: SandboxBot) -> str:
    return str((await bot.api("GET", "config"))["signing_secret"])


def _signed(secret: str, body: str, *, age: int = 0) -> dict[str, str]:
    ts = str(int(time.time()) - age)
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


def _command_body(text: str) -> str:
    return urlencode(
        {
            "team_id": "T0SANDBOX",
            "channel_id": "C0GENERAL",
            "user_id": "U0ALICE",
            "command": "/meet",
            "text": text,
            "api_app_id": "A0MEETBOT",
        }
    )


async def _post(bot: SandboxBot, body: str, headers: dict[str, str], ctype: str) -> tuple[int, Any]:
    headers = {**headers, "Content-Type": ctype}
    async with bot.http.post(f"{bot.url}/slack/events", data=body, headers=headers) as resp:
        return resp.status, await resp.text()


FORM = "application/x-www-form-urlencoded"


async def test_unsigned_bad_and_replayed_requests_get_401_and_run_nothing(
    sandbox_bot: SandboxBot,
) -> None:
    bot = sandbox_bot
    secret = await _secret(bot)
    body = _command_body("list")
    before = await bot.messages()
    assert (await _post(bot, body, {}, FORM))[0] == 401
    assert (await _post(bot, body, _signed("not-the-secret", body), FORM))[0] == 401
    assert (await _post(bot, body, _signed(secret, body, age=301), FORM))[0] == 401
    tampered = _signed(secret, body)
    assert (await _post(bot, body.replace("list", "help"), tampered, FORM))[0] == 401
    assert await bot.messages() == before
    status, text = await _post(bot, body, _signed(secret, body), FORM)
    assert status == 200
    assert "no meeting in this channel" in text


async def test_malformed_payloads_get_400(sandbox_bot: SandboxBot) -> None:
    secret = await _secret(sandbox_bot)
    for body, ctype in (
        ("{not json", "application/json"),
        ("payload=%7Bnot-json", FORM),
        ("", FORM),
    ):
        status, _ = await _post(sandbox_bot, body, _signed(secret, body), ctype)
        assert status == 400, body


async def test_url_verification_is_answered(sandbox_bot: SandboxBot) -> None:
    secret = await _secret(sandbox_bot)
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "x"})
    status, text = await _post(sandbox_bot, body, _signed(secret, body), "application/json")
    assert status == 200
    assert json.loads(text) == {"challenge": "c-123"}


async def test_event_retries_are_processed_once(connected_bot: SandboxBot) -> None:
    bot = connected_bot
    secret = await _secret(bot)
    event = {
        "type": "event_callback",
        "team_id": "T0SANDBOX",
        "api_app_id": "A0MEETBOT",
        "event_id": "Ev0RETRY1",
        "event_time": int(time.time()),
        "event": {
            "type": "app_mention",
            "user": "U0ALICE",
            "text": "<@U0MEETBOT> new retried once",
            "ts": "1700000000.000100",
            "channel": "C0GENERAL",
            "event_ts": "1700000000.000100",
        },
        "authorizations": [{"team_id": "T0SANDBOX", "user_id": "U0MEETBOT", "is_bot": True}],
    }
    body = json.dumps(event)
    first = await _post(bot, body, _signed(secret, body), "application/json")
    retry_headers = {**_signed(secret, body), "X-Slack-Retry-Num": "1"}
    second = await _post(bot, body, retry_headers, "application/json")
    assert first[0] == second[0] == 200
    await eventually(bot.cards, what="the card")
    await bot.settle()
    assert len(await bot.cards()) == 1


async def test_database_outage_is_reported_and_the_command_can_be_retried(
    connected_bot: SandboxBot,
) -> None:
    bot = connected_bot
    meetings = bot.runtime.repos.meetings
    real_create = meetings.create

    async def unavailable(**kwargs: Any) -> Any:
        raise StorageUnavailable("database is down")

    meetings.create = unavailable  # type: ignore[method-assign]  # a rare fault at a port
    await bot.command("new during outage")
    assert (await bot.ephemerals())[-1].startswith("I can't reach my database right now")
    assert await bot.cards() == []

    meetings.create = real_create  # type: ignore[method-assign]
    await bot.command("new during outage")
    assert len(await bot.cards()) == 1


async def test_google_callback_rejects_unknown_state(sandbox_bot: SandboxBot) -> None:
    url = f"{sandbox_bot.url}/oauth/google/callback?state=forged&code=x"
    async with sandbox_bot.http.get(url) as resp:
        assert resp.status == 400
        assert "invalid, used or expired" in await resp.text()
    async with sandbox_bot.http.get(f"{sandbox_bot.url}/oauth/google/callback") as resp:
        assert resp.status == 400


async def test_connect_link_is_single_use(sandbox_bot: SandboxBot) -> None:
    bot = sandbox_bot
    ack = (await bot.command("connect"))["ack"]
    link = next(e["url"] for b in ack["blocks"] if b["type"] == "actions" for e in b["elements"])
    approved = f"{link}&approve=1&email=alice@sandbox.meetbot.test"
    async with bot.http.get(approved, allow_redirects=False) as resp:
        callback = resp.headers["Location"]
    async with bot.http.get(callback) as resp:
        assert resp.status == 200
        assert "Connected as alice@sandbox.meetbot.test" in await resp.text()
    async with bot.http.get(callback) as resp:
        assert resp.status == 400


async def test_healthz(sandbox_bot: SandboxBot) -> None:
    async with sandbox_bot.http.get(f"{sandbox_bot.url}/healthz") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}


async def test_odd_signature_headers_get_401_not_500(sandbox_bot: SandboxBot) -> None:
    """Headers are checked before anything is parsed: no odd value can raise."""
    secret = await _secret(sandbox_bot)
    body = _command_body("list")
    good = _signed(secret, body)
    for headers in (
        {**good, "X-Slack-Request-Timestamp": "¹²³"},  # digits to str.isdigit, not to int()
        {**good, "X-Slack-Request-Timestamp": "9" * 400},
        {**good, "X-Slack-Signature": "v0=é" + good["X-Slack-Signature"][4:]},
        {**good, "X-Slack-Signature": ""},
        {"X-Slack-Signature": good["X-Slack-Signature"]},
    ):
        assert (await _post(sandbox_bot, body, headers, FORM))[0] == 401, headers


async def test_a_command_saying_payload_is_served(sandbox_bot: SandboxBot) -> None:
    """Bolt reads any form body containing "payload" as an interaction; ours is a command."""
    secret = await _secret(sandbox_bot)
    body = _command_body("payload")
    status, text = await _post(sandbox_bot, body, _signed(secret, body), FORM)
    assert status == 200
    assert "I don't know the command `payload`" in text
