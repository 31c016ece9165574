"""``json.loads`` with a nesting cap checked before parsing, so deep input cannot recurse."""

from __future__ import annotations

import json
import re

MAX_DEPTH = 64
"""Deepest nesting accepted by default; Slack and Chat payloads stay far below it."""

# JSON strings, whose brackets are text, not structure (a string is `"` … `"`, `\` escapes).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class JsonRejected(ValueError):
    """Not JSON, or nested deeper than allowed."""


def depth(text: str, *, stop_above: int | None = None) -> int:
    """The deepest bracket nesting of ``text`` outside its strings (0 for a scalar); counting
    stops as soon as it exceeds ``stop_above``.

    Before the first invalid character this tokenizes exactly as a JSON parser does, and a
    parser recurses no further than that point, so the result bounds its recursion.
    """
    level = deepest = 0
    for bracket in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        if bracket in "[{":
            level += 1
            deepest = max(deepest, level)
            if stop_above is not None and deepest > stop_above:
                break
        else:
            level -= 1
    return deepest


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> object:
    """Parse ``text`` (bytes must be UTF-8) if it nests at most ``max_depth`` deep.

    Raises:
        JsonRejected: invalid UTF-8 or JSON, or nested too deeply.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRejected("not UTF-8") from exc
    if depth(text, stop_above=max_depth) > max_depth:
        raise JsonRejected(f"nested deeper than {max_depth}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: a second line of defence
        raise JsonRejected("not valid JSON") from exc
