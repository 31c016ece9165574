"""Every command is acknowledged within the ack window; a slower answer follows once, later."""

from __future__ import annotations

import json
import re

from bot.ack_window import ACK_WINDOW_SECONDS
from sandbox.google.state import Fault
from tests.fixtures_bot import SandboxBot
from tests.fixtures_gchat import ChatDriver

SPACES_GET = r"/spaces/[^/:]+$"  # spaces.get, which `status` reads (not create, not end)
SLOW = 2.5  # Meet answering slower than the window: well past it, still inside Slack's 3 s


def _status_texts(texts: list[str]) -> list[str]:
    return [t for t in texts if "No call in progress" in t]


async def test_a_quick_answer_rides_on_the_slack_ack(connected_bot: SandboxBot) -> None:
    bot = connected_bot
    await bot.command("new standup")
    await bot.settle()

    result = await bot.command("status")

    assert result["status"] == 200
    assert "No call in progress" in result["ack"]["text"]
    assert len(_status_texts(await bot.ephemerals())) == 1  # shown from the ack, not repeated


async def test_a_slow_slack_command_is_acked_in_the_window_and_answers_once_later(
    connected_bot: SandboxBot,
) -> None:
    bot = connected_bot
    await bot.command("new standup")
    await bot.settle()
    bot.sandbox.google.inject_latency(path_regex=SPACES_GET, seconds=SLOW, count=1)

    result = await bot.command("status")

    assert result["status"] == 200
    assert not result["ack"]  # empty: nothing to show yet
    assert ACK_WINDOW_SECONDS * 1000 <= result["elapsed_ms"] < SLOW * 1000
    assert len(_status_texts(await bot.ephemerals())) == 1  # through response_url, once


async def test_an_error_after_the_window_still_reaches_the_person(
    connected_bot: SandboxBot,
) -> None:
    bot = connected_bot
    await bot.command("new standup")
    await bot.settle()
    # Meet answers slowly, then refuses: the refusal comes after the ack, privately
    bot.sandbox.google.faults.append(Fault(re.compile(SPACES_GET), 403, 1, delay=SLOW))

    result = await bot.command("status")

    assert not result["ack"]
    [text] = [t for t in await bot.ephemerals() if t.startswith("I couldn't read")]
    assert text.endswith("isn't allowed to do that for this meeting.")


async def test_chat_follows_the_same_window(connected_chat: ChatDriver) -> None:
    chat = connected_chat
    await chat.command("/meet new Sync")
    await chat.bot.settle()

    quick = await chat.command("/meet status")
    assert "No call in progress" in json.dumps(quick["response"])

    chat.bot.sandbox.google.inject_latency(path_regex=SPACES_GET, seconds=SLOW, count=1)
    slow = await chat.command("/meet status")
    assert slow["response"] == {}
    assert len(_status_texts(await chat.private_texts())) == 2  # the quick one, then this one
