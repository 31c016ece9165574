"""Offering VP8, VP9 and AV1 from aiortc 1.16 without forking it (reference §2.2, §2.3, §8).

Findings (read in ``aiortc/codecs/__init__.py``, ``rtcpeerconnection.py``,
``rtcrtpreceiver.py``, ``rtcdtlstransport.py``, ``rtp.py``; checked by the tests in
``tests/unit/test_video_codecs.py`` and ``tests/adapters/test_video_codecs_loopback.py``):

1. **Offer.** ``createOffer`` lists, for every transceiver, the module-global
   ``aiortc.codecs.CODECS[kind]`` filtered by ``RTCRtpTransceiver.setCodecPreferences``;
   the preferences may only name codecs from ``get_capabilities(kind)``, which is built
   from the same table. aiortc 1.16 has VP8 (PT 97, RTX 98) and two H.264 (99-102) only.
   So VP9 and AV1 must be *appended to that table* (`register_video_codecs`, idempotent,
   next free dynamic payload types: VP9 103/RTX 104, AV1 105/RTX 106 today). Preferences
   (`prefer_meet_codecs`) then drop H.264, which we cannot depacketize.
2. **Answer.** ``setRemoteDescription`` keeps only answer codecs that are also in
   ``CODECS`` (``find_common_codecs``) and raises ``OperationError`` when none is left;
   without the registration an answer choosing only VP9 or AV1 fails outright.
3. **Routing, before any tap.** ``RTCDtlsTransport._handle_rtp_data`` parses each packet
   and asks ``RtpRouter.route_rtp``, which returns a receiver only when the payload type
   is one *negotiated for that receiver* (plus a signalled SSRC, or a payload type unique
   to one receiver). Packets of an unknown payload type are dropped there, before
   ``RTCRtpReceiver._handle_rtp_packet`` (where ``hooks.tap_packets`` sits). With
   ``hooks.route_by_mid`` such packets still get through while they carry the ``sdes:mid``
   extension, but a libwebrtc sender stops sending MID once an RTCP receiver report
   acknowledges the SSRC (Meet's SFU may too [INF]), and later packets would be dropped.
   With the registration the payload types are negotiated, and SSRC routing or the MID
   latch works for every packet, MID or not.
4. **The receiver.** ``_handle_rtp_packet`` drops unknown payload types, depayloads VP8 and
   H.264 only (others pass through as is), feeds a jitter buffer and a decoder thread whose
   ``get_decoder`` raises for VP9/AV1 (the thread would die). A tap that *replaces* the
   method (as for audio) receives every routed packet raw, including RTX packets (RFC 4588:
   `unwrap_rtx`), and nothing is decoded. It also bypasses what the method does for RTCP:
   no receiver reports, REMB, NACK or PLI are sent for that receiver. Keyframe requests
   are ours to send (`request_keyframe`). The missing RRs/REMB mean Meet gets no downlink
   feedback for video; whether it then holds the resolution low is unverified [?].
5. **Header extensions.** aiortc offers ``sdes:mid`` (id 1) and ``abs-send-time`` (id 3)
   on video, from the global ``HEADER_EXTENSIONS``; unknown URIs in an answer are dropped
   and unknown ids in packets are ignored. The RTP parser reads one- and two-byte header
   forms, so the dependency descriptor (often longer than 16 bytes, hence two-byte, which
   needs ``a=extmap-allow-mixed``) does not break parsing. `add_video_extensions` adds the
   required URIs to the offer text only, with ids consistent across the BUNDLE group (as
   ``recorder.sdp.add_audio_extensions`` does for audio); aiortc never parses them.
   transport-cc is offered as Meet requires, but without ``a=rtcp-fb:<pt> transport-cc``:
   aiortc never sends transport-wide feedback [?: whether Meet minds].
6. **Side effect.** The table is process-wide: every aiortc peer in the process (the
   sandbox emulator in tests too) can then negotiate VP9/AV1. aiortc's own sender encodes
   with the first negotiated codec and has no VP9/AV1 encoder, so a peer that sends video
   through aiortc's sender must keep VP8 first, or packetize itself (`packetize`).

`register_video_codecs` is the one place meetbot writes that table: aiortc reads it at
``createOffer``/``setRemoteDescription`` and offers no per-connection codec list, so the only
other way would be a fork. The write is idempotent and serialised by `_TABLE_LOCK`
(sessions may be built from several threads or event loops).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from aiortc import codecs as aiortc_codecs
from aiortc import sdp as aiortc_sdp
from aiortc.rtcrtpparameters import (
    RTCRtcpFeedback,
    RTCRtpCodecCapability,
    RTCRtpCodecParameters,
)

from recorder.video.model import PayloadError, RtpVideoPacket, VideoCodec

MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
TRANSPORT_CC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
ABS_CAPTURE_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"
DEPENDENCY_DESCRIPTOR = (
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension"
)
VIDEO_EXTENSIONS = (MID, ABS_SEND_TIME, TRANSPORT_CC, ABS_CAPTURE_TIME, DEPENDENCY_DESCRIPTOR)
"""What every video m-line of the offer carries (reference §2.3, plus MID for routing)."""

MEET_VIDEO_CODECS = (VideoCodec.VP8, VideoCodec.VP9, VideoCodec.AV1)
"""Offered in this order of preference: cheapest to decode first."""

CODEC_PARAMETERS: dict[VideoCodec, dict[str, str | int | None]] = {
    VideoCodec.VP9: {"profile-id": "0"},  # Meet: VP9 profile 0
    VideoCodec.AV1: {"level-idx": "5", "profile": "0", "tier": "0"},  # Meet: AV1 Main
}

_DYNAMIC = range(96, 128)
_EXTMAP = re.compile(r"^a=extmap:(\d+)(?:/\w+)? (\S+)")
_ALLOW_MIXED = "a=extmap-allow-mixed"
_TABLE_LOCK = threading.Lock()  # guards aiortc's process-wide CODECS (finding 6)


def register_video_codecs() -> None:
    """Append VP9 and AV1 (each with RTX) to aiortc's video codec table.

    Idempotent and thread-safe: aiortc forces a process-wide table (finding 6), so this is
    the one function that writes it, under `_TABLE_LOCK`.
    """
    with _TABLE_LOCK:
        table = aiortc_codecs.CODECS["video"]
        known = {c.mimeType.lower() for c in table}
        for codec in (VideoCodec.VP9, VideoCodec.AV1):
            if codec.mime_type.lower() not in known:
                table.extend(_codec_entries(codec))


def _codec_entries(codec: VideoCodec) -> list[RTCRtpCodecParameters]:
    """``codec`` and its RTX on the next two free dynamic payload types."""
    pt, rtx = _free_payload_types(2)
    feedback = [
        RTCRtcpFeedback(type="nack"),
        RTCRtcpFeedback(type="nack", parameter="pli"),
        RTCRtcpFeedback(type="goog-remb"),
    ]
    return [
        RTCRtpCodecParameters(
            mimeType=codec.mime_type,
            clockRate=90_000,
            payloadType=pt,
            rtcpFeedback=feedback,
            parameters=dict(CODEC_PARAMETERS.get(codec, {})),
        ),
        RTCRtpCodecParameters(
            mimeType="video/rtx", clockRate=90_000, payloadType=rtx, parameters={"apt": pt}
        ),
    ]


def prefer_meet_codecs(transceiver: Any) -> None:
    """Offer (and accept) only VP8, VP9 and AV1, with RTX, on a video transceiver."""
    register_video_codecs()
    capabilities = aiortc_codecs.get_capabilities("video").codecs
    chosen: list[RTCRtpCodecCapability] = []
    for codec in MEET_VIDEO_CODECS:
        chosen += [c for c in capabilities if c.mimeType.lower() == codec.mime_type.lower()]
    chosen += [c for c in capabilities if c.mimeType.lower() == "video/rtx"]
    transceiver.setCodecPreferences(chosen)


def add_video_extensions(sdp: str) -> str:
    """Add `VIDEO_EXTENSIONS` to every video m-line, and ``a=extmap-allow-mixed``.

    An extension already numbered elsewhere in the SDP keeps that id (BUNDLE shares one id
    space); a new one takes the lowest id free in the whole SDP. Run it after
    ``recorder.sdp.add_audio_extensions`` so both agree.
    """
    eol = "\r\n" if "\r\n" in sdp else "\n"
    sections = _split(sdp, eol)
    ids: dict[str, int] = {}
    for line in (x for s in sections for x in s):
        match = _EXTMAP.match(line)
        if match:
            ids.setdefault(match.group(2), int(match.group(1)))
    session = sections[0]
    if _ALLOW_MIXED not in session:
        at = max((i for i, x in enumerate(session) if x.startswith("t=")), default=len(session))
        session.insert(min(at + 1, len(session)), _ALLOW_MIXED)
    for section in sections[1:]:
        if section and section[0].startswith("m=video "):
            _extend(section, ids)
    return eol.join(eol.join(s) for s in sections if s)


@dataclass(frozen=True, slots=True)
class PayloadMap:
    """What one video m-line of the answer negotiated."""

    codecs: dict[int, VideoCodec] = field(default_factory=dict)
    """Payload type → codec, for our three codecs."""
    rtx: dict[int, int] = field(default_factory=dict)
    """RTX payload type → the payload type it repairs (``apt``)."""


def video_payload_types(answer_sdp: str) -> dict[str, PayloadMap]:
    """Per MID, the payload types the answer assigned to VP8, VP9, AV1 and their RTX."""
    found: dict[str, PayloadMap] = {}
    for media in aiortc_sdp.SessionDescription.parse(answer_sdp).media:
        if media.kind != "video" or media.rtp.muxId is None:
            continue
        entry = PayloadMap()
        for codec in media.rtp.codecs:
            if codec.payloadType is None:
                continue
            ours = VideoCodec.from_mime_type(codec.mimeType)
            apt = codec.parameters.get("apt")
            if ours is not None:
                entry.codecs[codec.payloadType] = ours
            elif codec.mimeType.lower() == "video/rtx" and isinstance(apt, int):
                entry.rtx[codec.payloadType] = apt
        found[media.rtp.muxId] = entry
    return found


def unwrap_rtx(payload: bytes) -> tuple[int, bytes]:
    """Split an RTX payload (RFC 4588 §4) into the original sequence number and payload.

    The original packet had the same timestamp and marker bit, the ``apt`` payload type,
    and the media SSRC of the same m-line.

    Raises:
        PayloadError: Shorter than the 2-byte original sequence number.
    """
    if len(payload) < 2:
        raise PayloadError("RTX payload without its original sequence number")
    return int.from_bytes(payload[:2], "big"), payload[2:]


def video_packet(packet: Any) -> RtpVideoPacket:
    """The assembler's view of an ``aiortc.rtp.RtpPacket`` (padding is already stripped)."""
    return RtpVideoPacket(
        sequence=packet.sequence_number,
        timestamp=packet.timestamp,
        marker=bool(packet.marker),
        payload=bytes(packet.payload),
    )


async def request_keyframe(receiver: Any, media_ssrc: int) -> None:
    """Send an RTCP PLI for ``media_ssrc`` through ``receiver`` (aiortc's own method).

    aiortc sends it from the receiver's RTCP SSRC (set when the transceiver is created)
    once DTLS is up; before that it is silently not sent.
    """
    await receiver._send_rtcp_pli(media_ssrc)


def _free_payload_types(count: int) -> list[int]:
    used = {c.payloadType for kind in aiortc_codecs.CODECS.values() for c in kind}
    free = [pt for pt in _DYNAMIC if pt not in used][:count]
    if len(free) < count:
        raise RuntimeError("no dynamic RTP payload types left for VP9/AV1")
    return free


def _split(sdp: str, eol: str) -> list[list[str]]:
    sections: list[list[str]] = [[]]
    for line in sdp.split(eol):
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    return sections


def _extend(section: list[str], ids: dict[str, int]) -> None:
    present = {m.group(2) for m in map(_EXTMAP.match, section) if m}
    missing = []
    for uri in VIDEO_EXTENSIONS:
        if uri in present:
            continue
        if uri not in ids:
            taken = set(ids.values())
            ids[uri] = next(i for i in (*range(1, 15), *range(16, 256)) if i not in taken)
        missing.append(f"a=extmap:{ids[uri]} {uri}")
    last = max((i for i, x in enumerate(section) if x.startswith("a=extmap:")), default=0)
    section[last + 1 : last + 1] = missing
