"""Google Chat through the whole stack: the sandbox's Chat emulator, the bot, Meet and storage."""

from __future__ import annotations

import pytest

from tests.fixtures_bot import eventually
from tests.fixtures_gchat import GENERAL, ChatDriver, button_actions, valid_message


@pytest.mark.parametrize("event_format", ["classic", "addon"])
async def test_new_meeting_card_then_end(connected_chat: ChatDriver, event_format: str) -> None:
    chat = connected_chat
    await chat.bot.api("POST", "chat/config", {"format": event_format})
    result = await chat.command("/meet new Standup")
    assert result["status"] == 200
    assert result["response"] == {}  # acknowledged; the card follows through the API

    cards = await eventually(chat.cards, what="the meeting card")
    card = cards[0]
    valid_message(card)
    assert (
        "meet" in card["cardsV2"][0]["card"]["sections"][0]["widgets"][0]["decoratedText"]["text"]
    )
    assert button_actions(card) == ["meet_record", "meet_status", "meet_end"]
    assert card["text"].startswith("Created by <users/alice>")

    end = await chat.click(card["name"], "meet_end")
    assert end["status"] == 200
    confirm = end["message"]
    assert confirm["privateMessageViewer"] == {"name": "users/alice"}
    assert button_actions(confirm) == ["meet_end_confirm", "meet_end_cancel"]

    done = await chat.click(confirm["name"], "meet_end_confirm")
    assert done["status"] == 200
    assert "Ending" in done["message"]["text"]

    async def ended() -> dict | None:
        found = [c for c in await chat.cards() if c["name"] == card["name"]]
        ended = found and found[0]["cardsV2"][0]["card"]["header"]["subtitle"].startswith("Ended")
        return found[0] if ended else None

    edited = await eventually(ended, what="the card edited in place")
    valid_message(edited)
    assert button_actions(edited) == []
    assert "by <users/alice>; no call was in progress" in edited["text"]


async def test_connect_flow_for_a_chat_user(chat: ChatDriver) -> None:
    email = await chat.connect("bob")
    texts = await chat.private_texts("bob")
    assert any("Connect your Google account" in t for t in texts)
    assert any(f"You're connected to Google as *{email}*" in t for t in texts)
    again = await chat.command("/meet connect", user="bob")
    assert f"You're connected as *{email}*" in again["response"]["text"]


async def test_mention_creates_a_meeting_and_cancel_keeps_it(connected_chat: ChatDriver) -> None:
    chat = connected_chat
    result = await chat.command("@meetbot new standup")
    assert (result["status"], result["response"]) == (200, {})
    card = (await eventually(chat.cards, what="the card"))[0]
    assert card["cardsV2"][0]["card"]["header"]["title"] == "standup"
    confirm = (await chat.click(card["name"], "meet_end"))["message"]
    cancelled = await chat.click(confirm["name"], "meet_end_cancel")
    assert cancelled["message"]["text"] == "Cancelled: the meeting goes on."
    assert "cardsV2" not in cancelled["message"] or not cancelled["message"]["cardsV2"]
    still = [c for c in await chat.cards() if c["name"] == card["name"]][0]
    assert button_actions(still) == ["meet_record", "meet_status", "meet_end"]


async def test_status_button_answers_privately(connected_chat: ChatDriver) -> None:
    chat = connected_chat
    await chat.command("/meet new Sync")
    card = (await eventually(chat.cards, what="the card"))[0]
    await chat.click(card["name"], "meet_status", user="bob")

    async def status() -> list[str]:
        return [t for t in await chat.private_texts("bob") if "No call in progress" in t]

    assert await eventually(status, what="the private status")


async def test_only_the_creator_or_a_space_manager_may_end(chat: ChatDriver) -> None:
    await chat.connect("bob")
    await chat.command("/meet new Bobs sync", user="bob")
    card = (await eventually(chat.cards, what="the card"))[0]
    confirm = (await chat.click(card["name"], "meet_end", user="carol"))["message"]
    await chat.click(confirm["name"], "meet_end_confirm", user="carol")

    async def refused() -> list[str]:
        return [t for t in await chat.private_texts("carol") if "Only the person" in t]

    assert await eventually(refused, what="carol refused")
    confirm = (await chat.click(card["name"], "meet_end", user="alice"))["message"]
    await chat.click(confirm["name"], "meet_end_confirm", user="alice")  # alice manages general

    async def ended() -> bool:
        found = [c for c in await chat.cards() if c["name"] == card["name"]]
        return "by <users/alice>" in found[0]["text"]

    assert await eventually(ended, what="the card ended by a manager")
    assert GENERAL in card["name"]


async def test_record_posts_in_the_cards_thread_and_updates_the_card(
    connected_chat: ChatDriver,
) -> None:
    chat = connected_chat
    await chat.command("/meet new Rec")
    card = (await eventually(chat.cards, what="the card"))[0]
    [space] = (await chat.bot.api("GET", "meet/spaces"))["spaces"]
    call = {"space": space["meetingCode"], "participants": [{"name": "Alice"}]}
    await chat.bot.api("POST", "meet/conferences", call)
    assert (await chat.click(card["name"], "meet_record"))["status"] == 200

    async def in_thread() -> list[dict]:
        return [
            m
            for m in await chat.messages()
            if m["thread"]["name"] == card["thread"]["name"]
            and m["name"] != card["name"]
            and "privateMessageViewer" not in m
        ]

    notices = await eventually(in_thread, within=10, what="a recording notice in the thread")
    assert all(valid_message(m) for m in notices)

    async def stop_offered() -> bool:
        found = [c for c in await chat.cards() if c["name"] == card["name"]]
        return "meet_stop" in button_actions(found[0])

    assert await eventually(stop_offered, within=10, what="the card offering Stop")
    await chat.click(card["name"], "meet_stop")

    async def stopped() -> bool:
        found = [c for c in await chat.cards() if c["name"] == card["name"]]
        return "meet_record" in button_actions(found[0])

    assert await eventually(stopped, within=15, what="the recording to finish")
    await chat.bot.settle()
    assert any(m.get("text", "").startswith("\u274c") for m in await in_thread())
