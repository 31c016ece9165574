"""Every Chat message meetbot produces parses as chat_v1 types, unknown fields refused."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.apps import card_v1, chat_v1
from google.protobuf.json_format import ParseError  # type: ignore[import-untyped]

from bot.core.meetings.cards import meeting_card
from bot.core.model import AccessType, CardRef, Meeting, MeetingId, MeetingState
from bot.core.replies import Action, MeetingCard, Reply
from bot.core.texts import meetings as messages
from bot.gchat import render, responses
from bot.gchat.events import ChatEvent, ChatPerson, ChatSpace, EventFormat, EventKind

ENDPOINT = "https://bot.example/chat/events"
NOW = datetime(2026, 4, 23, 10, 0, tzinfo=UTC)


def valid(message: dict[str, Any]) -> chat_v1.Message:
    """Parse as Chat's Message type; unknown fields and bad enum values raise."""
    return chat_v1.Message.from_json(json.dumps(message), ignore_unknown_fields=False)


def meeting(state: MeetingState = MeetingState.SPACE_CREATED) -> Meeting:
    return Meeting(
        id=MeetingId("m1"),
        platform="gchat",
        team_id="chat",
        channel_id="spaces/AAA",
        created_by="users/123",
        title="Standup <1>",
        state=state,
        space_name=None if state is MeetingState.REQUESTED else "spaces/x",  # type: ignore[arg-type]
        meeting_code="abc-defg-hij",
        meeting_uri="https://meet.google.com/abc-defg-hij",
        access_type=AccessType.TRUSTED,
        card=CardRef(channel_id="spaces/AAA", message_id="spaces/AAA/messages/C"),
        created_at=NOW,
        ended_at=NOW if state is MeetingState.ENDED else None,
    )


def event(fmt: EventFormat = EventFormat.CLASSIC, *, space_type: str = "SPACE") -> ChatEvent:
    return ChatEvent(
        format=fmt,
        kind=EventKind.CLICK,
        user=ChatPerson(name="users/123"),
        space=ChatSpace(name="spaces/AAA", type=space_type),
    )


def _buttons(message: chat_v1.Message) -> list[Any]:
    widgets = message.cards_v2[0].card.sections[0].widgets
    return [b for w in widgets if w.button_list for b in w.button_list.buttons]


def _params(button: Any) -> dict[str, str]:
    return {p.key: p.value for p in button.on_click.action.parameters}


def test_meeting_card_has_the_link_facts_and_the_same_buttons_as_slack() -> None:
    card = meeting_card(meeting())
    message = valid(render.card_message(card))
    assert message.cards_v2[0].card_id == "meeting-m1"
    assert message.cards_v2[0].card.header.title == "Standup <1>"
    assert message.cards_v2[0].card.header.subtitle == card.status
    facts = [w.decorated_text for w in message.cards_v2[0].card.sections[0].widgets][:3]
    assert [f.top_label for f in facts] == ["Link", "Meeting code", "Access"]
    assert 'href="https://meet.google.com/abc-defg-hij"' in facts[0].text
    assert message.text.startswith("Created by <users/123>")
    assert message.fallback_text == card.fallback_text
    buttons = _buttons(message)
    assert [b.text for b in buttons] == [b.label for b in card.buttons]
    assert buttons[0].on_click.open_link.url == "https://meet.google.com/abc-defg-hij"
    for button, source in zip(buttons[1:], card.buttons[1:], strict=True):
        assert button.on_click.action.function == source.action.value
        assert _params(button) == {"action": source.action.value, "meeting": "m1"}
    end = buttons[-1]
    assert end.type_ == card_v1.Button.Type.FILLED
    assert end.color.red > 0.5


def test_addon_cards_name_the_endpoint_as_function() -> None:
    target = render.ButtonTarget(endpoint_url=ENDPOINT)
    message = valid(render.card_message(meeting_card(meeting()), target=target))
    actions = [b for b in _buttons(message) if b.on_click.action.function]
    assert {b.on_click.action.function for b in actions} == {ENDPOINT}
    assert [_params(b)["action"] for b in actions] == ["meet_record", "meet_status", "meet_end"]


def test_ended_card_has_no_buttons_and_notes_with_mentions_in_text() -> None:
    note = messages.ended_note("users/456", had_call=True)
    message = valid(render.card_message(meeting_card(meeting(MeetingState.ENDED), notes=(note,))))
    assert _buttons(message) == []
    assert "Ended by <users/456>" in message.text
    assert message.cards_v2[0].card.header.subtitle.startswith("Ended at")


def test_card_fields_are_html_escaped() -> None:
    card = MeetingCard(
        meeting_id="m2",
        title="a",
        status="s",
        created_by="U1",
        fallback_text="f",
        code="<b>x</b>",
    )
    message = valid(render.card_message(card))
    assert message.cards_v2[0].card.sections[0].widgets[0].decorated_text.text == (
        "&lt;b&gt;x&lt;/b&gt;"
    )
    assert message.text == "Created by <users/U1>"


@pytest.mark.parametrize(
    "reply",
    [
        messages.help_reply(),
        messages.help_reply("I don't know the command `x`."),
        messages.connect_reply(
            "https://accounts.example/o?x=1", ttl_minutes=10, current_email=None
        ),
        messages.needs_connect("https://accounts.example/o", ttl_minutes=10),
        messages.list_reply([meeting()]),
        messages.status_reply(meeting(), in_call=None, started=None),
        Reply(text="x" * 10_000),
    ],
)
def test_replies_are_valid_messages(reply: Reply) -> None:
    message = valid(render.reply_message(reply))
    assert message.text
    assert len(message.text) <= 4096
    links = [b.on_click.open_link.url for b in _buttons(message)] if reply.links else []
    assert links == [link.url for link in reply.links]


def test_reply_text_keeps_chat_markup_and_converts_mentions() -> None:
    reply = Reply(text="*Hi* <@U1> and <@users/2|ann>, see <https://x.example|here>", context="c")
    assert render.reply_message(reply)["text"] == (
        "*Hi* <users/U1> and <users/2>, see <https://x.example|here>\n_c_"
    )


def test_emoji_shortcodes_become_unicode() -> None:
    text = render.chat_text(":x: *failed* :red_circle: :unknown:")
    assert text == "\u274c *failed* \U0001f534 :unknown:"


def test_every_shortcode_the_core_writes_becomes_unicode_in_chat() -> None:
    core = Path(render.__file__).parents[1] / "core"
    used = {
        code for path in core.rglob("*.py") for code in re.findall(r":[a-z_]+:", path.read_text())
    }
    assert used  # the scan found the texts
    assert not [code for code in sorted(used) if render.chat_text(code) == code]


def test_end_confirmation_card() -> None:
    message = valid(render.end_confirmation("m1"))
    buttons = _buttons(message)
    assert [b.on_click.action.function for b in buttons] == [
        render.END_CONFIRM,
        render.END_CANCEL,
    ]
    assert all(_params(b)["meeting"] == "m1" for b in buttons)


@pytest.mark.parametrize("space_type", ["SPACE", "DIRECT_MESSAGE"])
def test_classic_sync_responses_are_messages(space_type: str) -> None:
    ev = event(space_type=space_type)
    body = responses.new_message(ev, responses.private(render.reply_message(Reply("hi")), ev))
    parsed = valid(body)
    assert parsed.action_response.type_ == chat_v1.ActionResponse.ResponseType.NEW_MESSAGE
    assert parsed.private_message_viewer.name == ("users/123" if space_type == "SPACE" else "")
    update = valid(responses.update_message(ev, {"text": "done", "cardsV2": []}))
    assert update.action_response.type_ == chat_v1.ActionResponse.ResponseType.UPDATE_MESSAGE


def test_addon_sync_responses_wrap_a_valid_message() -> None:
    ev = event(EventFormat.ADDON)
    card = render.card_message(meeting_card(meeting()), target=render.ButtonTarget(ENDPOINT))
    created = responses.new_message(ev, card)
    valid(created["hostAppDataAction"]["chatDataAction"]["createMessageAction"]["message"])
    updated = responses.update_message(ev, card)
    valid(updated["hostAppDataAction"]["chatDataAction"]["updateMessageAction"]["message"])
    assert responses.ack() == {}


def test_the_validator_refuses_unknown_fields() -> None:
    with pytest.raises(ParseError):
        valid({"text": "x", "cardsV2": [{"card": {"sections": [{"widgets": [{"onclick": 1}]}]}}]})


def test_button_targets_follow_the_last_event_format() -> None:
    targets = render.ButtonTargets(endpoint_url=ENDPOINT)
    assert targets.latest() == render.CLASSIC
    assert targets.for_event(event(EventFormat.ADDON)).function("meet_end") == ENDPOINT
    assert targets.latest().function("meet_end") == ENDPOINT
    assert targets.for_event(event()).function("meet_end") == "meet_end"


def test_every_card_action_is_a_core_action_or_the_end_confirmation() -> None:
    known = {a.value for a in Action} | {render.END_CONFIRM, render.END_CANCEL}
    message = valid(render.card_message(meeting_card(meeting())))
    assert {_params(b)["action"] for b in _buttons(message) if b.on_click.action.function} <= known
