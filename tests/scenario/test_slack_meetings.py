"""Whole-stack stories: signed Slack requests → the bot → Meet emulator → cards back in Slack."""

from __future__ import annotations

from typing import Any

from bot.core.model import MeetingState
from tests.fixtures_bot import SandboxBot, eventually


def _button_ids(card: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def test_new_without_google_gives_a_connect_link_and_creates_nothing(
    sandbox_bot: SandboxBot,
) -> None:
    result = await sandbox_bot.command("new standup")
    assert result["status"] == 200
    [text] = await sandbox_bot.ephemerals()
    assert text.startswith("First connect your Google account")
    assert "/sandbox/google/o/oauth2/auth?" in text
    assert (await sandbox_bot.api("GET", "meet/spaces"))["spaces"] == []
    assert await sandbox_bot.cards() == []


async def test_connect_then_new_posts_a_card_with_a_real_space(connected_bot: SandboxBot) -> None:
    bot = connected_bot
    assert "connected to Google as *u0alice@sandbox.meetbot.test*" in (await bot.ephemerals())[-1]

    result = await bot.command('new "Weekly standup" --access open')
    assert result["status"] == 200
    assert result["elapsed_ms"] < 3000

    [card] = await bot.cards()
    [space] = (await bot.api("GET", "meet/spaces"))["spaces"]
    assert space["config"]["accessType"] == "OPEN"
    body = " ".join(str(b) for b in card["blocks"])
    assert "*Weekly standup*" in body
    assert space["meetingUri"] in body
    assert f"`{space['meetingCode']}`" in body
    assert "<@U0ALICE>" in body
    assert _button_ids(card) == ["meet_join", "meet_record", "meet_status", "meet_end"]

    meeting = await bot.runtime.repos.meetings.find(
        platform="slack", team_id="T0SANDBOX", ref=space["meetingCode"]
    )
    assert meeting is not None
    assert meeting.state is MeetingState.SPACE_CREATED
    assert meeting.card is not None
    assert meeting.card.message_id == card["ts"]


async def test_end_button_ends_the_call_and_edits_the_card_in_place(
    connected_bot: SandboxBot,
) -> None:
    bot = connected_bot
    await bot.command("new standup")
    [card] = await bot.cards()
    [space] = (await bot.api("GET", "meet/spaces"))["spaces"]
    call = {"space": space["meetingCode"], "participants": [{"name": "Alice"}, {"name": "Bob"}]}
    await bot.api("POST", "meet/conferences", call)

    await bot.click(card["ts"], "meet_status", user="U0BOB")
    assert "In the call: Alice, Bob." in (await bot.ephemerals("U0BOB"))[-1] or (
        "In the call: Bob, Alice." in (await bot.ephemerals("U0BOB"))[-1]
    )

    await bot.click(card["ts"], "meet_end", user="U0BOB")  # not the creator, not an admin
    assert (await bot.ephemerals("U0BOB"))[-1].startswith("Only the person who created")

    await bot.click(card["ts"], "meet_end", user="U0ALICE")
    [ended] = await bot.cards()
    assert ended["ts"] == card["ts"]
    assert ended["updated"] >= 1
    assert "Ended at" in ended["text"]
    assert "Ended by <@U0ALICE>; everyone was removed from the call." in str(ended["blocks"])
    assert _button_ids(ended) == []
    [space] = (await bot.api("GET", "meet/spaces"))["spaces"]
    assert "activeConference" not in space

    await bot.command("end")
    assert (await bot.ephemerals())[-1] == "*standup* has already ended."

    meeting = await bot.runtime.repos.meetings.get(meeting_id=_meeting_id(ended))
    assert meeting is not None
    events = await bot.runtime.repos.meetings.events(meeting_id=meeting.id)
    assert [(e.old_state, e.new_state) for e in events] == [
        (None, MeetingState.REQUESTED),
        (MeetingState.REQUESTED, MeetingState.SPACE_CREATED),
        (MeetingState.SPACE_CREATED, MeetingState.ENDED),
    ]


def _meeting_id(card: dict[str, Any]) -> Any:
    from bot.core.model import MeetingId

    block = next(b for b in card["blocks"] if b.get("block_id", "").startswith("meeting:"))
    return MeetingId(block["block_id"].split(":", 1)[1])


async def test_mention_creates_a_meeting_like_the_command(connected_bot: SandboxBot) -> None:
    result = await connected_bot.mention("new design review")
    assert result["status"] == 200
    # Bolt acks events before running the listener, so poll for the card.
    [card] = await eventually(connected_bot.cards, what="the card")
    assert "*design review*" in str(card["blocks"])


async def test_end_without_a_call_closes_the_meeting(connected_bot: SandboxBot) -> None:
    await connected_bot.command("new retro")
    await connected_bot.settle()
    await connected_bot.command("end")
    [card] = await connected_bot.cards()
    assert "no call was in progress" in str(card["blocks"])


async def test_help_unknown_and_list(connected_bot: SandboxBot) -> None:
    bot = connected_bot
    ack = (await bot.command("dance"))["ack"]
    assert ack["text"].startswith("I don't know the command `dance`.")
    assert "`/meet new [title]" in ack["text"]
    ack = (await bot.command(""))["ack"]
    assert ack["text"].startswith("*Google Meet from chat*")
    ack = (await bot.command("list"))["ack"]
    assert ack["text"] == "There's no meeting in this channel yet. Start one with `/meet new`."
    await bot.command("new one")
    await bot.settle()
    ack = (await bot.command("list"))["ack"]
    assert "• *one* · open" in ack["text"]


async def test_record_without_a_meeting_says_so(connected_bot: SandboxBot) -> None:
    ack = (await connected_bot.command("record"))["ack"]
    assert ack["text"] == "There's no meeting in this channel yet. Start one with `/meet new`."


async def test_record_of_something_that_is_not_a_meeting_says_so(
    connected_bot: SandboxBot,
) -> None:
    await connected_bot.command("record not/a/link")
    await connected_bot.settle()
    assert (await connected_bot.ephemerals())[-1] == (
        "I don't know a meeting `not/a/link` in this channel."
    )


async def test_expired_google_token_is_refreshed(connected_bot: SandboxBot) -> None:
    connected_bot.sandbox.google.expire_tokens("u0alice@sandbox.meetbot.test")
    await connected_bot.command("new after expiry")
    assert len(await connected_bot.cards()) == 1


async def test_disconnect_revokes_and_asks_to_connect_again(connected_bot: SandboxBot) -> None:
    bot = connected_bot
    await bot.command("disconnect")
    await bot.settle()
    assert (await bot.ephemerals())[-1].startswith("Disconnected *u0alice@sandbox.meetbot.test*")
    assert await bot.runtime.repos.accounts.get(user=_alice()) is None
    await bot.command("new standup")
    assert (await bot.ephemerals())[-1].startswith("First connect your Google account")


def _alice() -> Any:
    from bot.core.model import ChatUser

    return ChatUser("slack", "T0SANDBOX", "U0ALICE")


async def test_meet_rate_limit_is_explained_and_the_meeting_marked_failed(
    connected_bot: SandboxBot,
) -> None:
    bot = connected_bot
    bot.sandbox.google.inject_fault(path_regex=r"/v2/spaces$", status=429, count=5, retry_after=1)
    await bot.command("new busy")
    text = (await bot.ephemerals())[-1]
    assert text.startswith("I couldn't create the meeting. Google Meet is rate-limiting")
    assert await bot.cards() == []
    [meeting] = await bot.runtime.repos.meetings.list_in_channel(
        platform="slack", team_id="T0SANDBOX", channel_id="C0GENERAL", limit=5
    )
    assert meeting.state is MeetingState.FAILED


async def test_transient_429_is_retried_invisibly(connected_bot: SandboxBot) -> None:
    connected_bot.sandbox.google.inject_fault(path_regex=r"/v2/spaces$", status=429, count=1)
    await connected_bot.command("new retried")
    assert len(await connected_bot.cards()) == 1


async def test_card_in_a_public_channel_the_bot_has_not_joined(connected_bot: SandboxBot) -> None:
    # chat:write.public lets the bot post the card without being a member (as Slack does).
    await connected_bot.command("new elsewhere", channel="C0RANDOM")
    [card] = await connected_bot.cards("C0RANDOM")
    assert "*elsewhere*" in str(card["blocks"])
