"""Checks a client's SDP offer against the Media API's rules before anything answers it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DIRECTIONS = frozenset({"sendrecv", "sendonly", "recvonly", "inactive"})
_RTPMAP = re.compile(r"^a=rtpmap:\d+ ([^/\s]+)/")
MAX_VIDEO = 3


class InvalidOffer(ValueError):
    """The offer breaks a Media API requirement (answered as ``INVALID_OFFER``)."""


@dataclass(slots=True)
class MediaLine:
    """One ``m=`` section of the offer: what the answerer needs to know about it."""

    kind: str
    protocol: str
    mid: str | None = None
    direction: str | None = None
    rtcp_mux: bool = False
    codecs: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Offer:
    """A checked offer: how many audio and video m-lines it asks for."""

    sdp: str
    audio: int
    video: int


def parse_sections(sdp: str) -> tuple[list[str], list[MediaLine]]:
    """The session-level ``a=group`` values and the m-lines, in order."""
    groups: list[str] = []
    lines: list[MediaLine] = []
    session_direction: str | None = None
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            kind, _, rest = line[2:].partition(" ")
            lines.append(MediaLine(kind=kind, protocol=rest))
        elif line.startswith("a=group:"):
            groups.append(line[len("a=group:") :])
        elif line[2:] in _DIRECTIONS and line.startswith("a="):
            if lines:
                lines[-1].direction = line[2:]
            else:
                session_direction = line[2:]
        elif lines:
            _media_attribute(lines[-1], line)
    for media in lines:
        media.direction = media.direction or session_direction or "sendrecv"
    return groups, lines


def _media_attribute(media: MediaLine, line: str) -> None:
    if line.startswith("a=mid:"):
        media.mid = line[len("a=mid:") :]
    elif line == "a=rtcp-mux":
        media.rtcp_mux = True
    elif match := _RTPMAP.match(line):
        media.codecs.append(match.group(1).lower())


def check_offer(sdp: object) -> Offer:
    """Validate an offer as Meet does; see the reference's §2 for each rule.

    Args:
        sdp: the ``offer`` field of the request body.

    Returns:
        The offer with its audio and video m-line counts.

    Raises:
        InvalidOffer: with a message naming the broken rule.
    """
    if not isinstance(sdp, str) or not sdp.strip():
        raise InvalidOffer("The request has no SDP offer.")
    if not sdp.lstrip().startswith("v=0"):
        raise InvalidOffer("The offer is not an SDP session description.")
    groups, lines = parse_sections(sdp)
    media = [line for line in lines if line.kind in ("audio", "video")]
    _check_media(media)
    _check_application(lines)
    _check_bundle(groups, lines)
    return Offer(
        sdp=sdp,
        audio=sum(line.kind == "audio" for line in media),
        video=sum(line.kind == "video" for line in media),
    )


def _check_media(media: list[MediaLine]) -> None:
    kinds = [line.kind for line in media]
    if kinds.count("audio") not in (0, 3):
        raise InvalidOffer("The offer must have exactly 0 or 3 audio m-lines.")
    if kinds.count("video") > MAX_VIDEO:
        raise InvalidOffer(f"The offer has more than {MAX_VIDEO} video m-lines.")
    if "video" in kinds and "audio" in kinds[kinds.index("video") :]:
        raise InvalidOffer("All audio m-lines must come before any video m-line.")
    for line in media:
        if line.direction != "recvonly":
            raise InvalidOffer(f"The {line.kind} m-line {line.mid} must be recvonly.")
        if not line.rtcp_mux:
            raise InvalidOffer(f"The {line.kind} m-line {line.mid} must use rtcp-mux.")
        if line.kind == "audio" and "opus" not in line.codecs:
            raise InvalidOffer(f"The audio m-line {line.mid} does not offer Opus.")


def _check_application(lines: list[MediaLine]) -> None:
    apps = [line for line in lines if line.kind == "application"]
    if len(apps) != 1:
        raise InvalidOffer("The offer must have exactly one application (data channel) m-line.")
    if "webrtc-datachannel" not in apps[0].protocol:
        raise InvalidOffer("The application m-line must be UDP/DTLS/SCTP webrtc-datachannel.")


def _check_bundle(groups: list[str], lines: list[MediaLine]) -> None:
    mids = [line.mid for line in lines]
    if None in mids:
        raise InvalidOffer("Every m-line must have an a=mid.")
    bundles = [set(group.split()[1:]) for group in groups if group.split()[:1] == ["BUNDLE"]]
    if not any(set(mids) <= bundle for bundle in bundles):
        raise InvalidOffer("All m-lines must be in one a=group:BUNDLE.")
