"""Renders the core's typed replies as Slack Block Kit."""

from __future__ import annotations

from typing import Any

from bot.core.replies import CardButton, MeetingCard, Reply

Block = dict[str, Any]
LINK_ACTION_PREFIX = "meet_link_"
_SECTION_MAX = 3000


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text[:_SECTION_MAX]}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:75], "emoji": True}


def reply_blocks(reply: Reply) -> list[Block]:
    """A short message: sections of text, link buttons, small print."""
    blocks: list[Block] = [
        {"type": "section", "text": _mrkdwn(chunk)} for chunk in _chunks(reply.text)
    ]
    if reply.links:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"{LINK_ACTION_PREFIX}{i}",
                        "text": _plain(link.label),
                        "url": link.url,
                        "style": "primary",
                    }
                    for i, link in enumerate(reply.links)
                ],
            }
        )
    if reply.context:
        blocks.append({"type": "context", "elements": [_mrkdwn(reply.context)]})
    return blocks


def reply_text(reply: Reply) -> str:
    """Notification text: the message plus its links, so nothing is lost without blocks."""
    links = " ".join(f"{link.label}: {link.url}" for link in reply.links)
    return f"{reply.text}\n{links}".strip()


def card_blocks(card: MeetingCard) -> list[Block]:
    """The meeting card: title and status, facts, notes, buttons."""
    blocks: list[Block] = [
        {
            "type": "section",
            "block_id": f"meeting:{card.meeting_id}",
            "text": _mrkdwn(f"*{card.title}*\n{card.status}"),
        },
    ]
    fields = _card_fields(card)
    if fields:
        blocks.append({"type": "section", "fields": [_mrkdwn(f) for f in fields]})
    if card.notes:
        blocks.append({"type": "context", "elements": [_mrkdwn(n) for n in card.notes[-10:]]})
    if card.buttons:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"actions:{card.meeting_id}",
                "elements": [_button(b) for b in card.buttons],
            }
        )
    return blocks


def _card_fields(card: MeetingCard) -> list[str]:
    fields: list[str] = []
    if card.link:
        shown = card.link.removeprefix("https://")
        fields.append(f"*Link*\n<{card.link}|{shown}>")
    if card.code:
        fields.append(f"*Meeting code*\n`{card.code}`")
    fields.append(f"*Created by*\n<@{card.created_by}>")
    if card.access:
        fields.append(f"*Access*\n{card.access}")
    return fields


def _button(button: CardButton) -> Block:
    out: Block = {
        "type": "button",
        "action_id": button.action.value,
        "text": _plain(button.label),
        "value": button.value,
    }
    if button.url:
        out["url"] = button.url
    if button.style:
        out["style"] = button.style
    if button.action.value == "meet_end":
        out["confirm"] = {
            "title": _plain("End the meeting?"),
            "text": _plain("Everyone in the call will be removed."),
            "confirm": _plain("End meeting"),
            "deny": _plain("Cancel"),
            "style": "danger",
        }
    return out


def _chunks(text: str) -> list[str]:
    if len(text) <= _SECTION_MAX:
        return [text]
    out: list[str] = []
    current = ""
    for line in text.split("\n"):
        if len(current) + len(line) + 1 > _SECTION_MAX and current:
            out.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    out.append(current)
    return [c[:_SECTION_MAX] for c in out]
