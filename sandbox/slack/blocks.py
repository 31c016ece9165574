"""Block Kit validation for messages, with Slack's limits and json-pointer error messages."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

MAX_BLOCKS = 50
KNOWN_BLOCKS = frozenset(
    {"section", "actions", "context", "header", "divider", "image", "rich_text"}
)
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})
STYLES = frozenset({"primary", "danger"})


class BlockErrors:
    """Collects ``invalid_blocks`` messages while walking one message's blocks."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.action_ids: set[str] = set()
        self.block_ids: set[str] = set()

    def add(self, pointer: str, problem: str) -> None:
        self.errors.append(f"{problem} [json-pointer:{pointer}]")


def validate_blocks(blocks: Any) -> list[str]:
    """Every problem with ``blocks``; an empty list means Slack would accept them."""
    errors = BlockErrors()
    if not isinstance(blocks, list):
        errors.add("/blocks", "must be an array")
        return errors.errors
    if len(blocks) > MAX_BLOCKS:
        errors.add("/blocks", f"must provide no more than {MAX_BLOCKS} items")
    for index, block in enumerate(blocks):
        _block(errors, f"/blocks/{index}", block)
    return errors.errors


def _block(errors: BlockErrors, at: str, block: Any) -> None:
    if not isinstance(block, dict):
        errors.add(at, "must be an object")
        return
    kind = block.get("type")
    if kind not in KNOWN_BLOCKS:
        errors.add(f"{at}/type", f"unsupported block type {kind!r}")
        return
    block_id = block.get("block_id")
    if block_id is not None:
        if not isinstance(block_id, str) or not 0 < len(block_id) <= 255:
            errors.add(f"{at}/block_id", "must be a string of 1 to 255 characters")
        elif block_id in errors.block_ids:
            errors.add(f"{at}/block_id", f"duplicate block_id {block_id!r}")
        else:
            errors.block_ids.add(block_id)
    CHECKS[kind](errors, at, block)


def _section(errors: BlockErrors, at: str, block: dict[str, Any]) -> None:
    text, fields = block.get("text"), block.get("fields")
    if text is None and fields is None:
        errors.add(at, "must provide text or fields")
    if text is not None:
        _text(errors, f"{at}/text", text, max_len=3000)
    if fields is not None:
        if not isinstance(fields, list) or not 0 < len(fields) <= 10:
            errors.add(f"{at}/fields", "must provide 1 to 10 items")
        else:
            for i, item in enumerate(fields):
                _text(errors, f"{at}/fields/{i}", item, max_len=2000)
    accessory = block.get("accessory")
    if accessory is not None:
        _element(errors, f"{at}/accessory", accessory)


def _actions(errors: BlockErrors, at: str, block: dict[str, Any]) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 0 < len(elements) <= 25:
        errors.add(f"{at}/elements", "must provide 1 to 25 items")
        return
    for i, element in enumerate(elements):
        _element(errors, f"{at}/elements/{i}", element)


def _context(errors: BlockErrors, at: str, block: dict[str, Any]) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 0 < len(elements) <= 10:
        errors.add(f"{at}/elements", "must provide 1 to 10 items")
        return
    for i, element in enumerate(elements):
        where = f"{at}/elements/{i}"
        if isinstance(element, dict) and element.get("type") == "image":
            _image_fields(errors, where, element)
        else:
            _text(errors, where, element, max_len=2000)


def _header(errors: BlockErrors, at: str, block: dict[str, Any]) -> None:
    _text(errors, f"{at}/text", block.get("text"), max_len=150, plain_only=True)


def _divider(errors: BlockErrors, at: str, block: dict[str, Any]) -> None:
    return None


def _image(errors: BlockErrors, at: str, block: dict[str, Any]) -> None:
    _image_fields(errors, at, block)


def _rich_text(errors: BlockErrors, at: str, block: dict[str, Any]) -> None:
    if not isinstance(block.get("elements"), list):
        errors.add(f"{at}/elements", "must be an array")


def _image_fields(errors: BlockErrors, at: str, element: dict[str, Any]) -> None:
    if not isinstance(element.get("image_url"), str) and "slack_file" not in element:
        errors.add(f"{at}/image_url", "must provide image_url")
    if not isinstance(element.get("alt_text"), str):
        errors.add(f"{at}/alt_text", "must provide alt_text")


def _element(errors: BlockErrors, at: str, element: Any) -> None:
    if not isinstance(element, dict):
        errors.add(at, "must be an object")
        return
    kind = element.get("type")
    if kind == "image":
        _image_fields(errors, at, element)
    elif kind == "button":
        _button(errors, at, element)
    elif not isinstance(kind, str):
        errors.add(f"{at}/type", "must provide an element type")
    action_id = element.get("action_id")
    if kind == "image" or action_id is None:
        return
    if not isinstance(action_id, str) or not 0 < len(action_id) <= 255:
        errors.add(f"{at}/action_id", "must be a string of 1 to 255 characters")
    elif action_id in errors.action_ids:
        errors.add(f"{at}/action_id", f"duplicate action_id {action_id!r}")
    else:
        errors.action_ids.add(action_id)


def _button(errors: BlockErrors, at: str, button: dict[str, Any]) -> None:
    _text(errors, f"{at}/text", button.get("text"), max_len=75, plain_only=True)
    for key, limit in (("value", 2000), ("url", 3000)):
        value = button.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            errors.add(f"{at}/{key}", f"must be a string of at most {limit} characters")
    style = button.get("style")
    if style is not None and style not in STYLES:
        errors.add(f"{at}/style", "must be one of primary, danger")


def _text(
    errors: BlockErrors, at: str, obj: Any, *, max_len: int, plain_only: bool = False
) -> None:
    if not isinstance(obj, dict):
        errors.add(at, "must be a text object")
        return
    kind = obj.get("type")
    allowed = {"plain_text"} if plain_only else TEXT_TYPES
    if kind not in allowed:
        errors.add(f"{at}/type", f"must be one of {', '.join(sorted(allowed))}")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        errors.add(f"{at}/text", "must be a non-empty string")
    elif len(text) > max_len:
        errors.add(f"{at}/text", f"must be less than {max_len + 1} characters")


CHECKS = {
    "section": _section,
    "actions": _actions,
    "context": _context,
    "header": _header,
    "divider": _divider,
    "image": _image,
    "rich_text": _rich_text,
}


def find_button(blocks: list[dict[str, Any]], action_id: str) -> tuple[str, dict[str, Any]] | None:
    """The ``(block_id, element)`` of the button with ``action_id`` in a message's blocks."""
    for block in blocks:
        candidates: list[Any] = []
        if block.get("type") == "actions":
            candidates = list(block.get("elements") or [])
        elif block.get("type") == "section" and block.get("accessory"):
            candidates = [block["accessory"]]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(block.get("block_id", "")), element
    return None


def with_block_ids(blocks: list[dict[str, Any]], new_id: Any) -> list[dict[str, Any]]:
    """Copies of ``blocks`` where each block lacking a ``block_id`` gets one, as Slack does."""
    return [block if "block_id" in block else {**block, "block_id": new_id()} for block in blocks]


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def mention_blocks(text: str) -> list[dict[str, Any]]:
    """The ``rich_text`` block Slack adds to a typed message (``app_mention`` carries it)."""
    elements: list[dict[str, Any]] = []
    at = 0
    for match in _MENTION.finditer(text):
        if match.start() > at:
            elements.append({"type": "text", "text": text[at : match.start()]})
        elements.append({"type": "user", "user_id": match.group(1)})
        at = match.end()
    if at < len(text):
        elements.append({"type": "text", "text": text[at:]})
    section = {"type": "rich_text_section", "elements": elements}
    return [{"type": "rich_text", "block_id": _block_id(text), "elements": [section]}]


def _block_id(text: str) -> str:
    """Slack's short random-looking block id, stable for the same text."""
    digest = hashlib.sha1(text.encode(), usedforsecurity=False).digest()
    return base64.b32encode(digest).decode()[:5]
