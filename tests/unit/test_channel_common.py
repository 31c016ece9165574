"""The shared envelope, and malformed input for every channel parser."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from recorder.channels import (
    common,
    media_entries,
    media_stats,
    participants,
    session_control,
    video_assignment,
)
from recorder.channels.common import ChannelFormatError, Response, Status

RESPONSE_PARSERS: list[Callable[[str | bytes], Any]] = [
    session_control.parse_update,
    media_stats.parse_update,
    video_assignment.parse_update,
]
COLLECTION_PARSERS: list[Callable[[str | bytes], Any]] = [
    participants.parse_update,
    media_entries.parse_update,
]
PARSERS = RESPONSE_PARSERS + COLLECTION_PARSERS
REQUEST_PARSERS: list[Callable[[str | bytes], Any]] = [
    session_control.parse_request,
    media_stats.parse_upload,
    video_assignment.parse_request,
]

MALFORMED: list[str | bytes] = [
    "not json",
    "",
    "[]",
    "[1, 2]",
    '"text"',
    "42",
    "null",
    "{}",
    '{"traceId": "only unknown fields"}',
    b"\xff\xfe\x00garbage",
    b"\x89PNG\r\n\x1a\n",
    "[" * 100_000,
    '{"resources": {}}',
    '{"resources": [1]}',
]
MALFORMED_RESPONSES = [
    '{"response": []}',
    '{"response": {"status": {"code": 0}}}',
    '{"response": {"requestId": "seven"}}',
    '{"response": {"requestId": 1, "status": {"code": "bad"}}}',
    '{"response": {"requestId": 1, "status": []}}',
]
MALFORMED_DELETIONS = [
    '{"deletedResources": "x"}',
    '{"deletedResources": [null]}',
    '{"deletedResources": [{"id": "x", "participant": true, "mediaEntry": true}]}',
]

MALFORMED_REQUESTS: list[str | bytes] = [
    "nope",
    "{}",
    '{"request": []}',
    '{"request": {"requestId": 0, "leave": {}, "uploadMediaStats": {}, "setAssignment": {}}}',
    '{"request": {"leave": {}, "uploadMediaStats": {}, "setAssignment": {}}}',
    '{"request": {"requestId": 1}}',
    '{"request": {"requestId": 1, "leave": 1, "uploadMediaStats": 1, "setAssignment": 1}}',
]


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_updates_raise_format_error(parse: Callable[[Any], Any], text: Any) -> None:
    with pytest.raises(ChannelFormatError):
        parse(text)


@pytest.mark.parametrize("parse", RESPONSE_PARSERS)
@pytest.mark.parametrize("text", MALFORMED_RESPONSES)
def test_malformed_responses_raise_format_error(parse: Callable[[Any], Any], text: str) -> None:
    with pytest.raises(ChannelFormatError):
        parse(text)


@pytest.mark.parametrize("parse", COLLECTION_PARSERS)
@pytest.mark.parametrize("text", MALFORMED_DELETIONS)
def test_malformed_deletions_raise_format_error(parse: Callable[[Any], Any], text: str) -> None:
    with pytest.raises(ChannelFormatError):
        parse(text)


@pytest.mark.parametrize("parse", REQUEST_PARSERS)
@pytest.mark.parametrize("text", MALFORMED_REQUESTS)
def test_malformed_requests_raise_format_error(parse: Callable[[Any], Any], text: Any) -> None:
    with pytest.raises(ChannelFormatError):
        parse(text)


def test_format_error_is_a_value_error() -> None:
    assert issubclass(ChannelFormatError, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        (b'{"a": "\xc3\xa9"}', {"a": "é"}),
    ],
)
def test_load_message(text: str | bytes, expected: dict[str, Any]) -> None:
    assert common.load_message(text) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ({"requestId": 3, "uploadMediaStats": {}}, Response(3, Status(), "uploadMediaStats")),
        (
            {"requestId": "7", "status": {"code": 0}, "leave": {}},
            Response(7, Status(0, ""), "leave"),
        ),
        (
            {"requestId": 2, "status": {"code": 5, "message": "gone", "details": []}},
            Response(2, Status(5, "gone"), ""),
        ),
        ({"requestId": 1, "setAssignment": {}, "extra": 1}, Response(1, Status(), "setAssignment")),
    ],
)
def test_parse_response(raw: Any, expected: Response | None) -> None:
    assert common.parse_response(raw) == expected


def test_status_ok() -> None:
    assert Status().ok
    assert not Status(code=14, message="unavailable").ok


def test_encode_request_envelope() -> None:
    text = common.encode_request(5, "leave", {})
    assert json.loads(text) == {"request": {"requestId": 5, "leave": {}}}


@pytest.mark.parametrize("request_id", [0, -1])
def test_encode_request_rejects_non_positive_id(request_id: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        common.encode_request(request_id, "leave", {})


def test_encode_response_round_trip() -> None:
    response = Response(request_id=4, status=Status(code=3, message="bad"), kind="setAssignment")
    message = json.loads(common.encode_response(response))
    assert message["response"]["setAssignment"] == {}
    assert common.parse_response(message["response"]) == response


def test_encode_response_ok_status_is_code_zero() -> None:
    message = json.loads(common.encode_response(Response(1, Status(), "leave")))
    assert message == {"response": {"requestId": 1, "status": {"code": 0}, "leave": {}}}
