"""Parses what a user may type to name a meeting: our id, space name, code or Meet link."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, or_

from storage.tables import MeetingRow

# Meet codes are three lowercase letter groups (3-4-3); users may drop the dashes.
_CODE = r"[a-z]{3}-?[a-z]{4}-?[a-z]{3}"
_CODE_RE = re.compile(_CODE, re.IGNORECASE)
_URI_RE = re.compile(rf"(?:https?://)?meet\.google\.com/({_CODE})(?:[/?#].*)?", re.IGNORECASE)


def normalize_code(code: str) -> str:
    """``ABCDEFGHIJ`` or ``abc-defg-hij`` → ``abc-defg-hij``; other text is only lowercased."""
    if not _CODE_RE.fullmatch(code):
        return code.lower()
    letters = code.replace("-", "").lower()
    return f"{letters[:3]}-{letters[3:7]}-{letters[7:]}"


def ref_condition(ref: str) -> ColumnElement[bool] | None:
    """The WHERE clause matching ``ref``, or None when ``ref`` is empty.

    Accepts our meeting id, ``spaces/{id}``, ``spaces/{meetingCode}``, a meeting code with
    or without dashes, or a ``https://meet.google.com/{code}`` link (Slack's ``<url|label>``
    wrapping included).
    """
    ref = _unwrap(ref)
    if not ref:
        return None
    if match := _URI_RE.fullmatch(ref):
        return MeetingRow.meeting_code == normalize_code(match.group(1))
    if ref.startswith("spaces/"):
        return _space_condition(ref)
    if _CODE_RE.fullmatch(ref):
        return MeetingRow.meeting_code == normalize_code(ref)
    return MeetingRow.id == ref


def _space_condition(name: str) -> ColumnElement[bool]:
    tail = name.removeprefix("spaces/")
    if _CODE_RE.fullmatch(tail):
        return or_(MeetingRow.space_name == name, MeetingRow.meeting_code == normalize_code(tail))
    return MeetingRow.space_name == name


def _unwrap(ref: str) -> str:
    ref = ref.strip()
    if ref.startswith("<") and ref.endswith(">"):
        ref = ref[1:-1].split("|", 1)[0]
    return ref.strip()
