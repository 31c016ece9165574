"""The server's side of the Media API data-channel JSON (proto3-JSON, singletons without id)."""

from __future__ import annotations

import json
import logging
from typing import Any

from sandbox.meet_media.roster import MediaParticipant

logger = logging.getLogger(__name__)

Json = dict[str, Any]

OK = 0
INVALID_ARGUMENT = 3
UNLIMITED = 1 << 16  # a canvas dimension that is missing or not positive

# A realistic allowlist: the fields the reference TS client's typings list per stats type.
_ALLOWED = {
    "inbound-rtp": (
        "ssrc kind codecId jitter packetsLost packetsReceived bytesReceived jitterBufferDelay "
        "jitterBufferEmittedCount jitterBufferMinimumDelay jitterBufferTargetDelay "
        "totalAudioEnergy audioLevel concealedSamples totalSamplesReceived totalSamplesDuration "
        "firCount pliCount nackCount frameWidth frameHeight framesDecoded framesDropped "
        "framesReceived framesPerSecond keyFramesDecoded freezeCount totalFreezesDuration "
        "totalPausesDuration retransmittedPacketsReceived"
    ),
    "candidate-pair": (
        "availableOutgoingBitrate bytesReceived bytesSent packetsReceived packetsSent "
        "currentRoundTripTime totalRoundTripTime"
    ),
    "media-playout": (
        "synthesizedSamplesDuration synthesizedSamplesEvents totalSamplesDuration "
        "totalPlayoutDelay totalSamplesCount"
    ),
    "transport": "selectedCandidatePairId",
    "local-candidate": "address candidateType protocol networkType port",
    "remote-candidate": "address candidateType protocol networkType port",
    "codec": "mimeType payloadType",
}
ALLOWLIST: Json = {kind: {"keys": fields.split()} for kind, fields in _ALLOWED.items()}
_SECTION_TYPES = frozenset(ALLOWLIST) | {name.replace("-", "_") for name in ALLOWLIST}


def encode(message: Json) -> str:
    """A compact JSON text frame."""
    return json.dumps(message, separators=(",", ":"))


def parse_request(label: str, data: object) -> Json | None:
    """The ``request`` object of a client message; None (logged) when it is malformed.

    ``requestId`` must be a non-zero int64, as a JSON number or a decimal string.
    """
    try:
        message = json.loads(data) if isinstance(data, str) else None
    except ValueError:
        message = None
    request = message.get("request") if isinstance(message, dict) else None
    request_id = request.get("requestId") if isinstance(request, dict) else None
    if isinstance(request_id, str) and request_id.lstrip("-").isdigit():
        request_id = int(request_id)
    if not isinstance(request, dict) or not _is_int(request_id) or request_id == 0:
        logger.warning("sandbox Meet media: malformed message on %s ignored: %.200r", label, data)
        return None
    return {**request, "requestId": request_id}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def response(request: Json, echo: str, *, code: int = OK, message: str = "") -> Json:
    """A response to ``request``, echoing ``echo`` (``leave``, ``uploadMediaStats``...)."""
    status: Json = {"code": code} if code == OK else {"code": code, "message": message}
    return {"requestId": int(request["requestId"]), "status": status, echo: {}}


def session_status(state: str, reason: str | None = None) -> Json:
    """A session-control status resource (a singleton, so no id)."""
    status: Json = {"connectionState": state}
    if reason is not None:
        status["disconnectReason"] = reason
    return {"sessionStatus": status}


def stats_configuration(interval: int) -> Json:
    """The media-stats configuration pushed when the channel opens."""
    return {
        "resources": [
            {"configuration": {"uploadIntervalSeconds": interval, "allowlist": ALLOWLIST}}
        ]
    }


def valid_stats_upload(request: Json) -> bool:
    """An ``uploadMediaStats`` in either encoding: TS snake_case or C++ hyphenated keys."""
    upload = request.get("uploadMediaStats")
    sections = upload.get("sections") if isinstance(upload, dict) else None
    if not isinstance(sections, list):
        return False
    for section in sections:
        if not isinstance(section, dict) or not isinstance(section.get("id"), str):
            return False
        kinds = set(section) - {"id"}
        if len(kinds) != 1 or not kinds <= _SECTION_TYPES:
            return False
        if not isinstance(section[kinds.pop()], dict):
            return False
    return True


def participant_resource(participant: MediaParticipant, resource_id: int) -> Json:
    """A ``participants`` snapshot of a signed-in participant."""
    return {
        "id": resource_id,
        "participant": {
            "participantId": participant.participant_id,
            "name": participant.participant,
            "participantKey": participant.key,
            "signedInUser": {"user": participant.user, "displayName": participant.display_name},
        },
    }


def media_entry_resource(participant: MediaParticipant, resource_id: int) -> Json:
    """A ``media-entries`` snapshot of a participant session: its audio and camera CSRCs.

    A participant who also presents a screen is the ``presenter``.
    """
    entry = _entry(participant)
    if participant.audio_path is not None:
        entry["audioCsrc"] = participant.csrc
    else:
        entry["audioMuted"] = True
    if participant.video:
        entry["videoCsrcs"] = [participant.video_csrc]
    if participant.screenshare:
        entry["presenter"] = True
    entry["videoMuted"] = not participant.video
    return {"id": resource_id, "mediaEntry": entry}


def screenshare_entry_resource(participant: MediaParticipant, resource_id: int) -> Json:
    """A ``media-entries`` snapshot of a participant's screenshare: video only."""
    entry = _entry(participant)
    entry.update(
        videoCsrcs=[participant.screenshare_csrc],
        screenshare=True,
        audioMuted=True,
        videoMuted=False,
    )
    return {"id": resource_id, "mediaEntry": entry}


def _entry(participant: MediaParticipant) -> Json:
    return {
        "participant": participant.participant,
        "participantKey": participant.key,
        "session": participant.session,
        "sessionName": participant.session_name,
    }


def check_assignment(request: Json, video_streams: int) -> str | None:
    """What is wrong with a ``setAssignment`` request, or None if it can be accepted."""
    assignment = request.get("setAssignment")
    layout = assignment.get("layoutModel") if isinstance(assignment, dict) else None
    canvases = layout.get("canvases") if isinstance(layout, dict) else None
    if not isinstance(canvases, list) or not all(isinstance(c, dict) for c in canvases):
        return "setAssignment needs a layoutModel with canvases"
    ids = [canvas.get("id") for canvas in canvases]
    if any(not _is_int(i) or i == 0 for i in ids):
        return "canvas ids must be non-zero integers"
    if len(set(ids)) != len(ids):
        return "canvas ids must be unique"
    if any("dimensions" not in canvas for canvas in canvases):
        return "every canvas needs dimensions"
    if len(canvases) > video_streams:
        return "more canvases than negotiated video streams"
    return None


def canvas_sizes(request: Json) -> list[tuple[int, int]]:
    """Each canvas's (width, height) of an accepted layout, capped by ``maxVideoResolution``.

    Missing or non-positive numbers count as unlimited.
    """
    assignment = request["setAssignment"]
    limit = assignment.get("maxVideoResolution")
    cap = (_dimension(limit, "width"), _dimension(limit, "height"))
    sizes = []
    for canvas in assignment["layoutModel"]["canvases"]:
        dimensions = canvas.get("dimensions")
        width, height = _dimension(dimensions, "width"), _dimension(dimensions, "height")
        sizes.append((min(width, cap[0]), min(height, cap[1])))
    return sizes


def frame_rate(request: Json) -> float | None:
    """``maxVideoResolution.frameRate`` of a layout, if it is a positive number."""
    limit = request["setAssignment"].get("maxVideoResolution")
    rate = limit.get("frameRate") if isinstance(limit, dict) else None
    if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
        return None
    return float(rate)


def _dimension(holder: object, name: str) -> int:
    value = holder.get(name) if isinstance(holder, dict) else None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return UNLIMITED
    return value


def video_assignment(label: object, canvases: list[Json]) -> Json:
    """The ``videoAssignment`` singleton: each canvas's ``{"canvasId", "ssrc"?,
    "mediaEntryId"?}`` and the layout's label, if it had one."""
    snapshot: Json = {"canvases": canvases}
    if isinstance(label, str):
        snapshot["label"] = label
    return {"videoAssignment": snapshot}
