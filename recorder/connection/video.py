"""The client's video: recvonly m-lines, the negotiated receiver, the layout asked of Meet, PLIs.

With a `VideoRequest`, the offer adds that many recvonly video m-lines (VP8, VP9, AV1) after
the three audio ones and the ``video-assignment`` channel; once joined, one
``setAssignment`` asks Meet for the streams (no video flows before it). Video packets go to
a `recorder.video.receive.VideoReceiver`, and attributed frames to the observer. Video
never breaks audio: any error in the video path is logged and video stops.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any

from aiortc import sdp as aiortc_sdp

from recorder import hooks
from recorder.channels import video_assignment
from recorder.connection.channels import DataChannels
from recorder.connection.model import MediaObserver
from recorder.directory import ConferenceDirectory
from recorder.ports import VideoRequest
from recorder.stats import ReceiveStats
from recorder.video.codecs import (
    PayloadMap,
    prefer_meet_codecs,
    register_video_codecs,
    request_keyframe,
    video_packet,
    video_payload_types,
)
from recorder.video.model import EncodedFrame
from recorder.video.receive import VideoReceiver, rtx_ssrcs
from recorder.video.tiles import TileInfo

logger = logging.getLogger(__name__)

MAX_VIDEO_STREAMS = 3
ASSIGNMENT_LABEL = "meetbot"
"""The label of our video layout (Meet echoes it in assignments)."""


class ClientVideo:
    """One client's video path; inert without a `VideoRequest`."""

    def __init__(
        self,
        *,
        request: VideoRequest | None,
        stats: ReceiveStats,
        directory: ConferenceDirectory,
        observer: MediaObserver,
        channels: DataChannels,
        joined: asyncio.Event,
        clock: Callable[[], float],
    ) -> None:
        self._request = request
        self._stats = stats
        self._directory = directory
        self._observer = observer
        self._channels = channels
        self._joined = joined
        self._clock = clock
        self._transceivers: list[Any] = []
        self._canvases = 0
        self._assignment_sent = False
        self._keyframe_tasks: dict[int, asyncio.Task[None]] = {}
        self._closed = False
        self.receiver: VideoReceiver | None = None
        self.assignment: video_assignment.VideoAssignment | None = None
        """Meet's latest video assignment (canvas → SSRC → media entry)."""

    def add_transceivers(self, pc: Any) -> bool:
        """Add the recvonly video transceivers, tapped, when video is asked for."""
        streams = self._streams()
        if streams == 0:
            return False
        try:
            register_video_codecs()  # process-wide and idempotent
        except RuntimeError:
            logger.exception("video: cannot offer VP9 and AV1; recording audio only")
            return False
        for _ in range(streams):
            transceiver = pc.addTransceiver("video", direction="recvonly")
            prefer_meet_codecs(transceiver)
            hooks.tap_packets(transceiver.receiver, functools.partial(self.on_packet, transceiver))
            self._transceivers.append(transceiver)
        return True

    def _streams(self) -> int:
        if self._request is None:
            return 0
        streams = max(0, min(MAX_VIDEO_STREAMS, self._request.streams))
        if streams != self._request.streams:
            logger.warning("video: %d streams asked, %d offered", self._request.streams, streams)
        return streams

    def start(self, answer_sdp: str) -> None:
        """Read what the answer negotiated for our video m-lines; start the receiver."""
        self.call("setup", lambda: self._start(answer_sdp))

    def _start(self, answer_sdp: str) -> None:
        mids = {t.mid for t in self._transceivers}
        maps = {mid: m for mid, m in video_payload_types(answer_sdp).items() if mid in mids}
        for payloads in maps.values():
            self._stats.video_codecs.update({pt: c.mime_type for pt, c in payloads.codecs.items()})
            self._stats.video_codecs.update(dict.fromkeys(payloads.rtx, "video/rtx"))
        self._canvases = _negotiated_video(answer_sdp, maps)
        if not self._canvases:
            logger.info("video: Meet's answer sends no video; recording audio only")
            return
        self.receiver = VideoReceiver(
            payload_types=maps,
            directory=self._directory,
            sink=_VideoSink(self._observer, self._request_keyframe),
            rtx=rtx_ssrcs(answer_sdp),
        )

    def assign(self) -> None:
        """Send the one ``setAssignment`` once joined and the channel is open."""
        video = self._request
        if video is None or self._assignment_sent or not self._canvases:
            return
        channel = self._channels.open(video_assignment.LABEL)
        if not self._joined.is_set() or channel is None:
            return
        width, height = video.canvas_width, video.canvas_height
        request = video_assignment.SetAssignmentRequest(
            request_id=self._channels.next_id(),
            label=ASSIGNMENT_LABEL,
            # the same ids on every request (and reconnect), so streams keep their canvas
            canvases=tuple(
                video_assignment.Canvas(id=i, width=width, height=height)
                for i in range(1, self._canvases + 1)
            ),
            max_width=width,
            max_height=height,
            frame_rate=video.frame_rate,
        )
        channel.send(video_assignment.encode_request(request))
        self._assignment_sent = True
        logger.info(
            "video: asked Meet for %d stream(s) of %dx%d at %d fps",
            self._canvases,
            width,
            height,
            video.frame_rate,
        )

    def on_assignment(self, message: str | bytes) -> None:
        update = video_assignment.parse_update(message)
        response = update.response
        if response is not None and not response.status.ok:
            logger.warning(
                "video-assignment: Meet refused request %d: code %d (%s)",
                response.request_id,
                response.status.code,
                response.status.message,
            )
        if update.assignment is None:
            return
        self.assignment = assignment = update.assignment
        showing = sum(1 for c in assignment.canvases if c.ssrc is not None)
        logger.info(
            "video assignment: %d of %d canvas(es) have video", showing, len(assignment.canvases)
        )
        receiver = self.receiver
        if receiver is not None:
            self.call("assignment", lambda: receiver.set_assignment(assignment))

    def entries_changed(self) -> None:
        """The media entries changed: the receiver re-attributes its streams."""
        receiver = self.receiver
        if receiver is not None:
            self.call("media entries", receiver.entries_changed)

    def on_packet(self, transceiver: Any, packet: Any, arrival_ms: int) -> None:
        mid = transceiver.mid
        self._stats.add(
            ssrc=packet.ssrc,
            mid=mid,
            seq=packet.sequence_number,
            timestamp=packet.timestamp,
            size=len(packet.payload),
            arrival_ms=arrival_ms,
            kind="video",
            payload_type=packet.payload_type,
        )
        receiver = self.receiver
        if receiver is None or not self._joined.is_set() or mid is None:
            return
        self.call(
            "packet",
            lambda: receiver.push(
                video_packet(packet),
                mid=mid,
                payload_type=packet.payload_type,
                ssrc=packet.ssrc,
                csrcs=packet.csrc,
                arrival=self._clock(),
            ),
        )

    def call(self, what: str, action: Callable[[], None]) -> None:
        """Run a step of the video path; an error stops video, never audio."""
        try:
            action()
        except Exception:
            logger.exception("video: %s failed", what)
            self.stop()

    def stop(self) -> None:
        """Stop receiving video (packets are ignored from now on); audio goes on."""
        if self.receiver is not None:
            logger.warning("video stopped; recording audio only")
        self.receiver = None

    async def close(self) -> None:
        """Cancel the keyframe requests and close the receiver (idempotent)."""
        self._closed = True
        requests = list(self._keyframe_tasks.values())
        for request in requests:
            request.cancel()
        await asyncio.gather(*requests, return_exceptions=True)
        receiver, self.receiver = self.receiver, None
        if receiver is not None:
            self.call("close", receiver.close)
            logger.info("video received: %s", receiver.summary())

    def _request_keyframe(self, mid: str, ssrc: int) -> None:
        """Send a PLI for ``ssrc`` from a task we own; at most one in flight per SSRC."""
        if ssrc in self._keyframe_tasks or self._closed:
            return
        receiver = next((t.receiver for t in self._transceivers if t.mid == mid), None)
        if receiver is None:
            return
        task = asyncio.ensure_future(request_keyframe(receiver, ssrc))
        self._keyframe_tasks[ssrc] = task
        task.add_done_callback(functools.partial(self._keyframe_requested, ssrc))

    def _keyframe_requested(self, ssrc: int, task: asyncio.Task[None]) -> None:
        if self._keyframe_tasks.get(ssrc) is task:
            del self._keyframe_tasks[ssrc]
        if not task.cancelled() and task.exception() is not None:
            logger.warning("video: keyframe request for %d failed: %s", ssrc, task.exception())


class _VideoSink:
    """The `VideoReceiver`'s outputs: frames and ends to the observer, PLIs to the client."""

    def __init__(self, observer: MediaObserver, request: Callable[[str, int], None]) -> None:
        self._observer = observer
        self._request = request

    def frame(self, tile: TileInfo, frame: EncodedFrame, arrival: float) -> bool:
        return self._observer.on_video(key=tile.key, tile=tile, frame=frame, arrival=arrival)

    def end(self, key: str) -> None:
        self._observer.on_video_end(key=key)

    def request_keyframe(self, mid: str, ssrc: int) -> None:
        self._request(mid, ssrc)


def _negotiated_video(answer_sdp: str, payloads: dict[str, PayloadMap]) -> int:
    """How many of our video m-lines Meet's answer will send on, with a codec we handle."""
    count = 0
    for media in aiortc_sdp.SessionDescription.parse(answer_sdp).media:
        mid = media.rtp.muxId
        if media.kind != "video" or mid not in payloads or not payloads[mid].codecs:
            continue
        if media.port != 0 and media.direction in ("sendonly", "sendrecv"):
            count += 1
    return count
