"""Meet's video RTP in, attributed encoded frames out: RTX, codecs, assemblers, attribution.

`VideoReceiver` knows nothing of aiortc: the client hands it each tapped packet (through
`recorder.video.codecs.video_packet`) with the MID of the m-line it came on, its payload
type, SSRC and CSRCs. Per packet it

1. unwraps RTX (RFC 4588): the ``apt`` of the MID's `PayloadMap` gives the original payload
   type, and the RTX SSRC maps to the media SSRC of the same MID (``a=ssrc-group:FID`` of
   the answer when it has one, else the one other SSRC seen on that MID; RTX packets that
   cannot be mapped are dropped and counted);
2. maps the payload type to a codec and feeds one `FrameAssembler` per SSRC and codec (a
   new one when the SSRC's codec changes; late packets of the previous codec are dropped);
3. attributes each whole frame to a media entry (reference §4): the first CSRC of the
   frame's packets (the magic 42 skipped) that is some entry's ``videoCsrcs``, else the
   video-assignment canvas that has this SSRC; frames of unknown attribution are counted
   and dropped;
4. hands the frame on under the entry's tile (`ConferenceDirectory.video_tile`).

A stored segment must begin with a keyframe, on the SSRC that carries it. When an SSRC
switches to another entry, the previous entry's segment is ended; a delta frame of the new
entry is dropped, its assembler made to wait for a keyframe, and a keyframe requested. A
keyframe that reveals the switch is used at once (nothing to wait for). The same applies
when the sink could not store a frame (e.g. the capture was not started yet).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Protocol

from recorder.channels.media_entries import MediaEntry
from recorder.channels.video_assignment import VideoAssignment
from recorder.csrc import LOUDEST_CSRC
from recorder.video.codecs import PayloadMap, unwrap_rtx
from recorder.video.frames import FrameAssembler, depacketizer_for
from recorder.video.model import EncodedFrame, PayloadError, RtpVideoPacket, VideoCodec
from recorder.video.tiles import TileInfo

logger = logging.getLogger(__name__)

_FID = re.compile(r"^a=ssrc-group:FID (\d+) (\d+)\s*$", re.MULTILINE)
_CSRC_MEMORY = 128  # RTP timestamps whose CSRCs are kept per SSRC
_U32 = 0xFFFFFFFF
_RESTART = 1000  # as the assembler: a packet further behind means a restarted sender


class VideoDirectory(Protocol):
    """Who a video CSRC or media entry is (`recorder.directory.ConferenceDirectory`)."""

    def entry_for_video_csrc(self, csrc: int) -> int | None: ...

    def media_entry(self, resource_id: int) -> MediaEntry | None: ...

    def video_tile(self, resource_id: int) -> TileInfo | None: ...


class VideoSink(Protocol):
    """Where attributed frames go; called synchronously from `VideoReceiver.push`."""

    def frame(self, tile: TileInfo, frame: EncodedFrame, arrival: float) -> bool:
        """Store ``frame`` under ``tile.key``; False if it was not stored (a keyframe is
        then requested)."""
        ...

    def end(self, key: str) -> None:
        """The stream ``key`` stopped on its SSRC: end its current segment."""
        ...

    def request_keyframe(self, mid: str, ssrc: int) -> None:
        """Ask the sender of ``ssrc`` (on the m-line ``mid``) for a keyframe (RTCP PLI)."""
        ...


@dataclass(slots=True)
class ReceiveCounters:
    """What the receiver did with the packets and frames, for logs and tests."""

    packets: int = 0
    rtx_packets: int = 0
    rtx_unmapped: int = 0
    """RTX packets dropped: their media SSRC could not be told."""
    malformed: int = 0
    unknown_payload_type: int = 0
    """Packets of a MID or payload type the answer did not negotiate for video."""
    late_codec_packets: int = 0
    """Late packets of the codec an SSRC used before its last codec switch."""
    codec_switches: int = 0
    frames: int = 0
    """Frames handed to the sink."""
    unattributed_frames: int = 0
    keyframe_waits: int = 0
    """Delta frames dropped because a segment must begin with a keyframe."""
    entry_switches: int = 0
    keyframe_requests: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counters by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class _Stream:
    """One media SSRC."""

    mid: str
    ssrc: int
    codec: VideoCodec | None = None
    assembler: FrameAssembler | None = None
    last_seq: int | None = None
    csrcs: dict[int, tuple[int, ...]] = field(default_factory=dict)
    key: str | None = None
    """The stream key this SSRC carried last."""
    entry: int | None = None


def rtx_ssrcs(answer_sdp: str) -> dict[int, int]:
    """RTX SSRC → media SSRC from the answer's ``a=ssrc-group:FID`` lines (often none)."""
    return {int(rtx): int(media) for media, rtx in _FID.findall(answer_sdp)}


class VideoReceiver:
    """Turn one session's video packets into attributed frames (not thread-safe)."""

    def __init__(
        self,
        *,
        payload_types: Mapping[str, PayloadMap],
        directory: VideoDirectory,
        sink: VideoSink,
        rtx: Mapping[int, int] | None = None,
    ) -> None:
        """Receive on the m-lines of ``payload_types`` (`codecs.video_payload_types`).

        Args:
            payload_types: Per MID, what the answer negotiated.
            directory: Resolves video CSRCs and media entries.
            sink: Gets frames, segment ends and keyframe requests.
            rtx: RTX SSRC → media SSRC, when the answer signals it (`rtx_ssrcs`).
        """
        self._maps = dict(payload_types)
        self._directory = directory
        self._sink = sink
        self._rtx = dict(rtx or {})
        self._streams: dict[int, _Stream] = {}
        self._media_ssrcs: dict[str, set[int]] = {}
        self._owner: dict[str, int] = {}  # stream key -> the SSRC its open segment is on
        self._assigned: dict[int, int] = {}  # ssrc -> media entry id, from the assignment
        self.assignment: VideoAssignment | None = None
        self.counters = ReceiveCounters()

    # --- input ----------------------------------------------------------------------------

    def push(
        self,
        packet: RtpVideoPacket,
        *,
        mid: str,
        payload_type: int,
        ssrc: int,
        csrcs: Sequence[int],
        arrival: float,
    ) -> None:
        """Take one RTP packet of the m-line ``mid``.

        Args:
            packet: Sequence, timestamp, marker and payload (padding removed).
            mid: The MID of the m-line (transceiver) it was routed to.
            payload_type: Its RTP payload type.
            ssrc: Its SSRC (an RTX SSRC for a retransmission).
            csrcs: Its CSRC list, in RTP order.
            arrival: Monotonic arrival time in seconds (the call clock's clock).
        """
        self.counters.packets += 1
        payloads = self._maps.get(mid)
        if payloads is None:
            self.counters.unknown_payload_type += 1
            return
        if payload_type in payloads.rtx:
            unwrapped = self._unwrap(packet, mid=mid, ssrc=ssrc)
            if unwrapped is None:
                return
            packet, ssrc = unwrapped
            payload_type = payloads.rtx[payload_type]
        codec = payloads.codecs.get(payload_type)
        if codec is None:
            self.counters.unknown_payload_type += 1
            return
        self._media_ssrcs.setdefault(mid, set()).add(ssrc)
        stream = self._streams.get(ssrc)
        if stream is None:
            stream = self._streams[ssrc] = _Stream(mid=mid, ssrc=ssrc)
        assembler = self._assembler(stream, codec, packet.sequence)
        if assembler is None:
            return
        if csrcs:
            self._remember_csrcs(stream, packet.timestamp, tuple(csrcs))
        result = assembler.push(packet, int(arrival * 1000))
        if result.request_keyframe:
            self._request(stream)
        for frame in result.frames:
            self._frame(stream, frame, arrival)

    def set_assignment(self, assignment: VideoAssignment) -> None:
        """Meet's latest video assignment: which media entry each SSRC's canvas shows."""
        self.assignment = assignment
        self._assigned = {
            c.ssrc: c.media_entry_id
            for c in assignment.canvases
            if c.ssrc is not None and c.media_entry_id is not None
        }

    def entries_changed(self) -> None:
        """Media entries changed: end the segments of entries deleted or with video off."""
        for stream in self._streams.values():
            if stream.entry is None:
                continue
            entry = self._directory.media_entry(stream.entry)
            if entry is None or entry.video_muted:
                self._release(stream)
                stream.key = stream.entry = None

    def close(self) -> None:
        """The session is over: end every open segment."""
        for stream in self._streams.values():
            self._release(stream)

    # --- steps ----------------------------------------------------------------------------

    def _unwrap(
        self, packet: RtpVideoPacket, *, mid: str, ssrc: int
    ) -> tuple[RtpVideoPacket, int] | None:
        self.counters.rtx_packets += 1
        media = self._rtx.get(ssrc)
        if media is None:
            others = self._media_ssrcs.get(mid, set()) - {ssrc}
            media = next(iter(others)) if len(others) == 1 else None
        if media is None:
            self.counters.rtx_unmapped += 1
            return None
        try:
            sequence, payload = unwrap_rtx(packet.payload)
        except PayloadError:
            self.counters.malformed += 1
            return None
        original = RtpVideoPacket(
            sequence=sequence, timestamp=packet.timestamp, marker=packet.marker, payload=payload
        )
        return original, media

    def _assembler(
        self, stream: _Stream, codec: VideoCodec, sequence: int
    ) -> FrameAssembler | None:
        """The stream's assembler for ``codec``: a new one after a codec switch."""
        if stream.assembler is not None and stream.codec is codec:
            if not _late(sequence, stream.last_seq):
                stream.last_seq = sequence
            return stream.assembler
        if stream.assembler is not None and _late(sequence, stream.last_seq):
            self.counters.late_codec_packets += 1
            return None
        if stream.assembler is not None:
            logger.info("video: SSRC %d switched from %s to %s", stream.ssrc, stream.codec, codec)
            self.counters.codec_switches += 1
            self._release(stream)
        stream.codec = codec
        stream.assembler = FrameAssembler(depacketizer_for(codec))
        stream.last_seq = sequence
        return stream.assembler

    def _remember_csrcs(self, stream: _Stream, timestamp: int, csrcs: tuple[int, ...]) -> None:
        known = stream.csrcs.setdefault(timestamp & _U32, csrcs)
        if known != csrcs:
            stream.csrcs[timestamp & _U32] = known + tuple(c for c in csrcs if c not in known)
        while len(stream.csrcs) > _CSRC_MEMORY:
            del stream.csrcs[next(iter(stream.csrcs))]

    def _attribute(self, stream: _Stream, frame: EncodedFrame) -> int | None:
        """The media entry of a frame: by its CSRCs first, else by the video assignment."""
        for csrc in stream.csrcs.get(frame.timestamp & _U32, ()):
            if csrc == LOUDEST_CSRC:
                continue
            entry = self._directory.entry_for_video_csrc(csrc)
            if entry is not None:
                return entry
        return self._assigned.get(stream.ssrc)

    def _frame(self, stream: _Stream, frame: EncodedFrame, arrival: float) -> None:
        entry = self._attribute(stream, frame)
        tile = None if entry is None else self._directory.video_tile(entry)
        if entry is None or tile is None:
            self.counters.unattributed_frames += 1
            return
        if tile.key != stream.key:
            if stream.key is not None:
                logger.info("video: SSRC %d now carries another media entry", stream.ssrc)
                self.counters.entry_switches += 1
            self._release(stream)
            stream.key = tile.key
        stream.entry = entry
        if self._owner.get(tile.key) != stream.ssrc and not self._begin(stream, tile, frame):
            return
        if self._sink.frame(tile, frame, arrival):
            self.counters.frames += 1
        else:
            self._owner.pop(tile.key, None)
            self._wait_for_keyframe(stream)

    def _begin(self, stream: _Stream, tile: TileInfo, frame: EncodedFrame) -> bool:
        """Start ``tile``'s segment on this SSRC; only a keyframe can start one."""
        if not frame.keyframe:
            self.counters.keyframe_waits += 1
            self._wait_for_keyframe(stream)
            return False
        previous = self._owner.get(tile.key)
        if previous is not None:  # it moved here from another SSRC
            self._sink.end(tile.key)
        self._owner[tile.key] = stream.ssrc
        return True

    def _wait_for_keyframe(self, stream: _Stream) -> None:
        if stream.assembler is not None and not stream.assembler.waiting_for_keyframe:
            stream.assembler.require_keyframe()
            self._request(stream)

    def _release(self, stream: _Stream) -> None:
        """End the segment of the key this SSRC carried, if that segment is on this SSRC."""
        if stream.key is not None and self._owner.get(stream.key) == stream.ssrc:
            del self._owner[stream.key]
            self._sink.end(stream.key)

    def _request(self, stream: _Stream) -> None:
        self.counters.keyframe_requests += 1
        self._sink.request_keyframe(stream.mid, stream.ssrc)

    # --- reporting ------------------------------------------------------------------------

    def summary(self) -> dict[str, int]:
        """Counters of the receiver and of every assembler, for logs."""
        out = self.counters.as_dict()
        for name in ("lost_packets", "broken_frames", "skipped_frames", "keyframes"):
            out[name] = sum(_assembler_stat(s, name) for s in self._streams.values())
        return out


def _assembler_stat(stream: _Stream, name: str) -> int:
    if stream.assembler is None:
        return 0
    value: int = getattr(stream.assembler.stats, name)
    return value


def _late(sequence: int, last: int | None) -> bool:
    """Whether the 16-bit ``sequence`` is at most `_RESTART` behind ``last`` (or equal).

    Further behind means the sender restarted its numbering: that counts as new.
    """
    return last is not None and (last - sequence) & 0xFFFF <= _RESTART
