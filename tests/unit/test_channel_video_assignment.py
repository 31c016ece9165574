"""The video-assignment codec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recorder.channels import video_assignment as va
from recorder.channels.common import ChannelFormatError, Response, Status
from recorder.channels.video_assignment import Canvas, CanvasAssignment

FIXTURES = Path(__file__).parents[1] / "fixtures" / "meet" / va.LABEL

REQUEST = va.SetAssignmentRequest(
    request_id=1,
    label="test_client_layout",
    canvases=(Canvas(id=1, width=100, height=100), Canvas(id=2, width=100, height=100)),
    max_width=400,
    max_height=400,
    frame_rate=30,
)
ASSIGNMENT = va.VideoAssignment(
    label="test_client_layout",
    canvases=(
        CanvasAssignment(canvas_id=1, ssrc=424242, media_entry_id=12),
        CanvasAssignment(canvas_id=2, ssrc=424243, media_entry_id=15),
    ),
)


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text()


def test_encode_request_matches_reference() -> None:
    assert json.loads(va.encode_request(REQUEST)) == json.loads(fixture("set_assignment_request"))


def test_parse_request() -> None:
    assert va.parse_request(fixture("set_assignment_request")) == REQUEST


@pytest.mark.parametrize(
    ("canvases", "match"),
    [
        ((Canvas(id=0, width=1, height=1),), "0"),
        ((Canvas(id=1, width=1, height=1), Canvas(id=1, width=2, height=2)), "unique"),
    ],
)
def test_encode_request_rejects_bad_canvas_ids(canvases: tuple[Canvas, ...], match: str) -> None:
    request = va.SetAssignmentRequest(
        request_id=1, label="l", canvases=canvases, max_width=1, max_height=1, frame_rate=1
    )
    with pytest.raises(ValueError, match=match):
        va.encode_request(request)


def test_encode_request_rejects_id_zero() -> None:
    with pytest.raises(ValueError, match="positive"):
        va.encode_request(
            va.SetAssignmentRequest(
                request_id=0, label="l", canvases=(), max_width=1, max_height=1, frame_rate=1
            )
        )


@pytest.mark.parametrize(
    "canvases",
    [
        [{"id": 1}],
        [{"id": 0, "dimensions": {"width": 1, "height": 1}}],
        [{"id": 1, "dimensions": {}}, {"id": 1, "dimensions": {}}],
        ["canvas"],
        [{"id": 1, "dimensions": {"width": "wide"}}],
    ],
)
def test_parse_request_malformed(canvases: object) -> None:
    text = json.dumps(
        {"request": {"requestId": 1, "setAssignment": {"layoutModel": {"canvases": canvases}}}}
    )
    with pytest.raises(ChannelFormatError):
        va.parse_request(text)


def test_response() -> None:
    update = va.parse_update(fixture("response"))
    assert update == va.VideoAssignmentUpdate(
        response=Response(request_id=1, status=Status(), kind="setAssignment"), assignment=None
    )


def test_assignment_snapshot() -> None:
    update = va.parse_update(fixture("assignment"))
    assert update == va.VideoAssignmentUpdate(response=None, assignment=ASSIGNMENT)


def test_missing_ssrc() -> None:
    assignment = va.parse_update(fixture("missing_ssrc")).assignment
    assert assignment is not None
    assert assignment.canvases == (
        CanvasAssignment(canvas_id=1, ssrc=424242, media_entry_id=12),
        CanvasAssignment(canvas_id=2, ssrc=None, media_entry_id=15),
        CanvasAssignment(canvas_id=3, ssrc=None, media_entry_id=None),
    )


def test_response_and_assignment_together() -> None:
    update = va.parse_update(fixture("response_and_assignment"))
    assert update.response == Response(2, Status(), "setAssignment")
    assert update.assignment == va.VideoAssignment(
        label="layout-2", canvases=(CanvasAssignment(1, 424242, 12),)
    )


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"label": 1},
        {"canvases": {}},
        {"canvases": [1]},
        {"canvases": [{"canvasId": "one"}]},
        {"canvases": [{"canvasId": 1, "ssrc": "x"}]},
        {"canvases": [{"canvasId": 1, "mediaEntryId": False}]},
    ],
)
def test_assignment_wrong_types(body: object) -> None:
    with pytest.raises(ChannelFormatError):
        va.parse_update(json.dumps({"resources": [{"videoAssignment": body}]}))


def test_round_trips() -> None:
    assert va.parse_request(va.encode_request(REQUEST)) == REQUEST
    response = Response(request_id=4, status=Status(), kind="setAssignment")
    text = va.encode_assignment(ASSIGNMENT, response)
    assert va.parse_update(text) == va.VideoAssignmentUpdate(response, ASSIGNMENT)
    assert va.parse_update(va.encode_response(request_id=4)).response == response
    failed = va.parse_update(va.encode_response(request_id=5, status=Status(8, "throttled")))
    assert failed.response == Response(5, Status(8, "throttled"), "setAssignment")
