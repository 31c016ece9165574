"""The AIP-160 filter subset Meet's list methods accept, compiled to row predicates."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal

from sandbox.google.errors import ApiError

FieldKind = Literal["string", "time"]

_TERM = re.compile(
    r'\s*(?P<field>[a-z_.]+)\s*(?:(?P<op>>=|<=|!=|=|>|<)\s*(?P<value>"[^"]*"|[^\s"]+)'
    r"|\s+IS\s+(?P<null>NULL))\s*"
)
_AND = re.compile(r"AND\s+")


def parse_filter(
    text: str | None, fields: Mapping[str, FieldKind]
) -> Callable[[Mapping[str, Any]], bool]:
    """Compile the AIP-160 subset Meet documents: ``field op value`` terms joined by AND.

    Strings compare with ``=``/``!=`` (meeting codes case-insensitively); times with
    ``= != < <= > >=`` against RFC 3339 values; any field with ``IS NULL``.
    """
    terms: list[Callable[[Mapping[str, Any]], bool]] = []
    source, position = (text or "").strip(), 0
    while position < len(source):
        if terms:
            joiner = _AND.match(source, position)
            if joiner is None:
                raise ApiError(400, f"Invalid filter: expected AND at {position}: {source!r}")
            position = joiner.end()
        match = _TERM.match(source, position)
        if match is None:
            raise ApiError(400, f"Invalid filter at {position}: {source!r}")
        terms.append(_term(match, fields))
        position = match.end()
    return lambda row: all(term(row) for term in terms)


def _term(
    match: re.Match[str], fields: Mapping[str, FieldKind]
) -> Callable[[Mapping[str, Any]], bool]:
    field, op = match["field"], match["op"]
    kind = fields.get(field)
    if kind is None:
        raise ApiError(400, f"Invalid filter: unknown field {field!r}")
    if match["null"]:
        return lambda row: row[field] is None
    literal = match["value"].strip('"')
    if kind == "string":
        if op not in ("=", "!="):
            raise ApiError(400, f"Invalid filter: {field} supports = and != only")
        fold: Callable[[str], str] = str.lower if field.endswith("meeting_code") else str
        return lambda row: (fold(str(row[field])) == fold(literal)) == (op == "=")
    moment = _filter_time(literal)
    return lambda row: row[field] is not None and _COMPARE[op](row[field], moment)


def _filter_time(literal: str) -> datetime:
    try:
        moment = datetime.fromisoformat(literal)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(400, f"Invalid filter: {literal!r} is not an RFC 3339 timestamp")
    return moment


_COMPARE: dict[str, Callable[[datetime, datetime], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
