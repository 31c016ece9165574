"""Typed replies the core hands to a platform adapter, which renders them (Block Kit, cardsV2).

Text uses the markup Slack and Google Chat share: ``*bold*``, ``_italic_``, `` `code` ``
and ``<url|label>`` links. A person is written ``<@USER_ID>``; each adapter renders that as its
platform's mention.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    """Card buttons; the value is the platform's action id."""

    JOIN = "meet_join"
    RECORD = "meet_record"
    STOP = "meet_stop"
    END = "meet_end"
    STATUS = "meet_status"


@dataclass(frozen=True, slots=True)
class LinkButton:
    """A button that opens a URL."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A short message: text, optional link buttons, optional small print."""

    text: str
    links: tuple[LinkButton, ...] = ()
    context: str | None = None


@dataclass(frozen=True, slots=True)
class CardButton:
    """A button on a meeting card."""

    action: Action
    label: str
    value: str
    url: str | None = None
    style: str | None = None  # "primary" | "danger" | None


@dataclass(frozen=True, slots=True)
class MeetingCard:
    """The one message per meeting, edited in place as the meeting changes.

    Attributes:
        meeting_id: our id, also the value of every button.
        title: the meeting's title.
        status: one short line (e.g. "Open · nobody in the call yet").
        created_by: user id of the creator (rendered as a mention).
        link: the Meet URI, or None before the space exists.
        code: the meeting code.
        access: who may join without knocking, in words.
        buttons: in display order.
        notes: extra lines under the status (newest last).
        fallback_text: notification and screen-reader text.
    """

    meeting_id: str
    title: str
    status: str
    created_by: str
    fallback_text: str
    link: str | None = None
    code: str | None = None
    access: str | None = None
    buttons: tuple[CardButton, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
