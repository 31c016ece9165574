"""Codec for the ``video-assignment`` channel: the requested layout and Meet's assignment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from recorder.channels import common
from recorder.channels.common import ChannelFormatError, Response, Status

LABEL = "video-assignment"


@dataclass(frozen=True, slots=True)
class Canvas:
    """A canvas of the layout, using the ``relevant`` protocol; ``id`` is non-zero and unique."""

    id: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class SetAssignmentRequest:
    """Replace the layout; reuse canvas ids across requests to keep streams in place."""

    request_id: int
    label: str
    canvases: tuple[Canvas, ...]
    max_width: int
    max_height: int
    frame_rate: int


@dataclass(frozen=True, slots=True)
class CanvasAssignment:
    """Which stream feeds a canvas; ``ssrc`` is None when that entry has no video now."""

    canvas_id: int
    ssrc: int | None
    media_entry_id: int | None


@dataclass(frozen=True, slots=True)
class VideoAssignment:
    """The assignment snapshot that takes effect; ``label`` echoes the request's."""

    label: str
    canvases: tuple[CanvasAssignment, ...]


@dataclass(frozen=True, slots=True)
class VideoAssignmentUpdate:
    """One server message: a response to a request, an assignment, or both."""

    response: Response | None
    assignment: VideoAssignment | None


def parse_update(text: str | bytes) -> VideoAssignmentUpdate:
    """Parse a server message of the video-assignment channel.

    Args:
        text: The message as received.

    Returns:
        The response and the last assignment the message carries.

    Raises:
        ChannelFormatError: Malformed or empty message.
    """
    message = common.load_update(text)
    response = common.parse_response(message.get("response"))
    assignment = None
    for _, body in common.iter_resources(message, "videoAssignment"):
        assignment = _parse_assignment(body)
    return VideoAssignmentUpdate(response=response, assignment=assignment)


def _parse_assignment(body: dict[str, Any]) -> VideoAssignment:
    canvases: list[CanvasAssignment] = []
    for raw in common.get_list(body, "canvases"):
        if not isinstance(raw, dict):
            raise ChannelFormatError("canvas is not an object")
        media_entry_id = raw.get("mediaEntryId")
        canvases.append(
            CanvasAssignment(
                canvas_id=common.get_int(raw, "canvasId"),
                ssrc=common.get_int(raw, "ssrc") or None,
                media_entry_id=None
                if media_entry_id is None
                else common.to_int(media_entry_id, "mediaEntryId"),
            )
        )
    return VideoAssignment(label=common.get_str(body, "label") or "", canvases=tuple(canvases))


def encode_request(request: SetAssignmentRequest) -> str:
    """Encode a set-assignment request.

    Args:
        request: The layout to request.

    Returns:
        The request as JSON text.

    Raises:
        ValueError: ``request_id`` is not positive, or a canvas id is 0 or repeated.
    """
    _check_canvas_ids(request.canvases, ValueError)
    payload = {
        "layoutModel": {
            "label": request.label,
            "canvases": [
                {
                    "id": canvas.id,
                    "dimensions": {"height": canvas.height, "width": canvas.width},
                    "relevant": {},
                }
                for canvas in request.canvases
            ],
        },
        "maxVideoResolution": {
            "height": request.max_height,
            "width": request.max_width,
            "frameRate": request.frame_rate,
        },
    }
    return common.encode_request(request.request_id, "setAssignment", payload)


def _check_canvas_ids(canvases: tuple[Canvas, ...], error: type[ValueError]) -> None:
    ids = [canvas.id for canvas in canvases]
    if 0 in ids:
        raise error("canvas id 0 is not allowed")
    if len(set(ids)) != len(ids):
        raise error("canvas ids must be unique")


def parse_request(text: str | bytes) -> SetAssignmentRequest:
    """Parse a set-assignment request (server side, for the emulator).

    Raises:
        ChannelFormatError: Not a well-formed request, or canvas ids 0 or repeated.
    """
    request_id, payload = common.load_request(text, "setAssignment")
    layout = common.get_object(payload, "layoutModel") or {}
    resolution = common.get_object(payload, "maxVideoResolution") or {}
    canvases = tuple(_parse_canvas(raw) for raw in common.get_list(layout, "canvases"))
    _check_canvas_ids(canvases, ChannelFormatError)
    return SetAssignmentRequest(
        request_id=request_id,
        label=common.get_str(layout, "label") or "",
        canvases=canvases,
        max_width=common.get_int(resolution, "width"),
        max_height=common.get_int(resolution, "height"),
        frame_rate=common.get_int(resolution, "frameRate"),
    )


def _parse_canvas(raw: Any) -> Canvas:
    if not isinstance(raw, dict):
        raise ChannelFormatError("canvas is not an object")
    dimensions = common.get_object(raw, "dimensions")
    if dimensions is None:
        raise ChannelFormatError("canvas without dimensions")
    return Canvas(
        id=common.get_int(raw, "id"),
        width=common.get_int(dimensions, "width"),
        height=common.get_int(dimensions, "height"),
    )


def encode_assignment(assignment: VideoAssignment, response: Response | None = None) -> str:
    """Encode an assignment push, optionally with a response (server side).

    Args:
        assignment: The snapshot; a missing ssrc or media entry id is omitted.
        response: A response to send in the same message.

    Returns:
        The server message as JSON text.
    """
    canvases = []
    for canvas in assignment.canvases:
        body: dict[str, Any] = {"canvasId": canvas.canvas_id}
        if canvas.ssrc is not None:
            body["ssrc"] = canvas.ssrc
        if canvas.media_entry_id is not None:
            body["mediaEntryId"] = canvas.media_entry_id
        canvases.append(body)
    message: dict[str, Any] = {}
    if response is not None:
        message["response"] = common.response_object(response)
    message["resources"] = [{"videoAssignment": {"label": assignment.label, "canvases": canvases}}]
    return common.dumps(message)


def encode_response(*, request_id: int, status: Status | None = None) -> str:
    """Encode the answer to a set-assignment request (server side)."""
    response = Response(request_id=request_id, status=status or Status(), kind="setAssignment")
    return common.encode_response(response)


__all__ = [
    "LABEL",
    "Canvas",
    "CanvasAssignment",
    "ChannelFormatError",
    "SetAssignmentRequest",
    "VideoAssignment",
    "VideoAssignmentUpdate",
    "encode_assignment",
    "encode_request",
    "encode_response",
    "parse_request",
    "parse_update",
]
