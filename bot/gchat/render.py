"""Renders the core's replies and meeting cards as Google Chat messages (text and cardsV2).

The core writes Slack-style markup. Chat's message text understands the same ``*bold*``,
``_italic_``, `` `code` `` and ``<url|label>`` links; mentions differ (``<users/123>``) and
emoji shortcodes become Unicode.
Card widgets take a small HTML subset instead, so card fields are escaped and linked as HTML.
Mentions do not render inside cards, so the creator and the card's notes go into the message
text above the card.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from bot.core.replies import CardButton, MeetingCard, Reply
from bot.gchat.events import ACTION_PARAMETER, ChatEvent, EventFormat

Message = dict[str, Any]

# Chat buttons cannot ask for confirmation, so End opens a private confirmation card whose
# buttons carry these two actions (the Slack card uses Block Kit's ``confirm`` instead).
END_CONFIRM = "meet_end_confirm"
END_CANCEL = "meet_end_cancel"
MEETING_PARAMETER = "meeting"
CONFIRM_TITLE = "End the meeting?"
CONFIRM_TEXT = "Everyone in the call will be removed."
ENDING_TEXT = "Ending the meeting for everyone…"
CANCELLED_TEXT = "Cancelled: the meeting goes on."

_TEXT_MAX = 4000  # Chat allows 4,096 characters of text per message
_MENTION = re.compile(r"<@([^>|\s]+)(?:\|[^>]*)?>")
# Slack shortcodes the core's texts use; Chat shows apps' text emoji as Unicode only.
_EMOJI = {
    ":hourglass:": "\u231b",
    ":memo:": "\U0001f4dd",
    ":movie_camera:": "\U0001f3a5",
    ":mute:": "\U0001f507",
    ":page_facing_up:": "\U0001f4c4",
    ":red_circle:": "\U0001f534",
    ":speech_balloon:": "\U0001f4ac",
    ":warning:": "\u26a0\ufe0f",
    ":wastebasket:": "\U0001f5d1\ufe0f",
    ":white_check_mark:": "\u2705",
    ":x:": "\u274c",
}
_SHORTCODE = re.compile("|".join(re.escape(code) for code in _EMOJI))
_RED = {"red": 0.85, "green": 0.19, "blue": 0.15, "alpha": 1}


@dataclass(frozen=True, slots=True)
class ButtonTarget:
    """What card buttons name as their ``function``.

    Classic Chat apps get the action id back as the invoked function. Add-on Chat apps must
    name their HTTP endpoint URL, so the action id travels as the ``action`` parameter (both
    formats carry it, and `bot.gchat.events` reads it first).

    Attributes:
        endpoint_url: the add-on endpoint URL, or None for classic apps.
    """

    endpoint_url: str | None = None

    def function(self, action: str) -> str:
        return self.endpoint_url or action


CLASSIC = ButtonTarget()


class ButtonTargets:
    """Picks the `ButtonTarget` for a card.

    A card drawn for an event follows the event's format. Cards edited by background work
    (recording progress) follow the format Chat used last: one app uses one format.
    """

    def __init__(self, *, endpoint_url: str) -> None:
        self._addon = ButtonTarget(endpoint_url=endpoint_url)
        self._last = EventFormat.CLASSIC

    def for_event(self, event: ChatEvent) -> ButtonTarget:
        self._last = event.format
        return self.latest()

    def latest(self) -> ButtonTarget:
        return self._addon if self._last is EventFormat.ADDON else CLASSIC


def mention(user_id: str) -> str:
    """A Chat mention of ``users/123`` (or a bare id)."""
    return f"<{user_id if user_id.startswith('users/') else 'users/' + user_id}>"


def chat_text(text: str) -> str:
    """Core markup → Chat message text: ``<@id>`` mentions and emoji shortcodes change."""
    text = _SHORTCODE.sub(lambda m: _EMOJI[m.group(0)], text)
    return _MENTION.sub(lambda m: mention(m.group(1)), text)[:_TEXT_MAX]


def text_message(text: str) -> Message:
    """A plain text message."""
    return {"text": chat_text(text)}


def reply_message(reply: Reply) -> Message:
    """A short reply: its text, small print in italics, link buttons in a card."""
    text = reply.text if not reply.context else f"{reply.text}\n_{reply.context}_"
    message: Message = text_message(text)
    if reply.links:
        buttons = [_link_button(link.label, link.url) for link in reply.links]
        message["cardsV2"] = [{"cardId": "links", "card": _buttons_card(buttons)}]
    return message


def card_message(card: MeetingCard, *, target: ButtonTarget = CLASSIC) -> Message:
    """The meeting card: header, facts, buttons; creator and notes in the text above it."""
    widgets = _facts(card)
    if card.buttons:
        buttons = [_card_button(b, card.meeting_id, target) for b in card.buttons]
        widgets.append({"buttonList": {"buttons": buttons}})
    lines = [f"Created by {mention(card.created_by)}", *card.notes[-10:]]
    return {
        "text": chat_text("\n".join(lines)),
        "fallbackText": card.fallback_text[:_TEXT_MAX],
        "cardsV2": [
            {
                "cardId": f"meeting-{card.meeting_id}",
                "card": {
                    "header": {"title": card.title, "subtitle": card.status},
                    "sections": [{"widgets": widgets}],
                },
            }
        ],
    }


def end_confirmation(meeting_id: str, *, target: ButtonTarget = CLASSIC) -> Message:
    """The private confirmation card the End button opens."""
    buttons = [
        _action_button("End meeting", END_CONFIRM, meeting_id, target, style="danger"),
        _action_button("Cancel", END_CANCEL, meeting_id, target, style=None),
    ]
    card = _buttons_card(buttons)
    card["header"] = {"title": CONFIRM_TITLE, "subtitle": CONFIRM_TEXT}
    return {"text": CONFIRM_TITLE, "cardsV2": [{"cardId": f"end-{meeting_id}", "card": card}]}


def _facts(card: MeetingCard) -> list[dict[str, Any]]:
    facts: list[dict[str, Any]] = []
    if card.link:
        shown = html.escape(card.link.removeprefix("https://"))
        link = f'<a href="{html.escape(card.link)}">{shown}</a>'
        facts.append(_fact("Link", link, "VIDEO_CAMERA"))
    if card.code:
        facts.append(_fact("Meeting code", html.escape(card.code), "CONFIRMATION_NUMBER_ICON"))
    if card.access:
        facts.append(_fact("Access", html.escape(card.access), "MULTIPLE_PEOPLE"))
    return facts


def _fact(label: str, value_html: str, icon: str) -> dict[str, Any]:
    return {
        "decoratedText": {
            "topLabel": label,
            "text": value_html,
            "wrapText": True,
            "startIcon": {"knownIcon": icon},
        }
    }


def _card_button(button: CardButton, meeting_id: str, target: ButtonTarget) -> dict[str, Any]:
    if button.url:
        return _styled(_link_button(button.label, button.url), button.style)
    return _action_button(button.label, button.action.value, meeting_id, target, button.style)


def _action_button(
    label: str, action: str, meeting_id: str, target: ButtonTarget, style: str | None
) -> dict[str, Any]:
    parameters = [
        {"key": ACTION_PARAMETER, "value": action},
        {"key": MEETING_PARAMETER, "value": meeting_id},
    ]
    on_click = {"action": {"function": target.function(action), "parameters": parameters}}
    return _styled({"text": label, "onClick": on_click}, style)


def _link_button(label: str, url: str) -> dict[str, Any]:
    return {"text": label, "onClick": {"openLink": {"url": url}}}


def _styled(button: dict[str, Any], style: str | None) -> dict[str, Any]:
    if style == "primary":
        return {**button, "type": "FILLED"}
    if style == "danger":
        return {**button, "type": "FILLED", "color": _RED}
    return {**button, "type": "OUTLINED"}


def _buttons_card(buttons: list[dict[str, Any]]) -> dict[str, Any]:
    return {"sections": [{"widgets": [{"buttonList": {"buttons": buttons}}]}]}
