"""The Meet Media API client: one aiortc peer connection, its data channels and media taps.

States: ``new → connecting → waiting → joined → disconnected`` (terminal, single use).
``waiting`` is Meet holding us for consent; the recorder captures only once ``joined``.
aiortc objects and event names stay inside this module, `recorder.hooks` and
`recorder.video.codecs`.

With a `VideoRequest`, the offer adds that many recvonly video m-lines (VP8, VP9, AV1) after
the three audio ones and the ``video-assignment`` channel; once joined, one
``setAssignment`` asks Meet for the streams (no video flows before it). Video packets go to
a `recorder.video.receive.VideoReceiver`, and attributed frames to the observer. Video
never breaks audio: any error in the video path is logged and video stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc import sdp as aiortc_sdp
from aiortc.rtcconfiguration import RTCBundlePolicy

from recorder import hooks, sdp
from recorder.channels import (
    media_entries,
    media_stats,
    participants,
    session_control,
    video_assignment,
)
from recorder.channels.common import ChannelFormatError
from recorder.channels.session_control import ConnectionState, DisconnectReason
from recorder.csrc import pick_csrc
from recorder.directory import ConferenceDirectory
from recorder.errors import MediaLost
from recorder.model import Speaker
from recorder.ports import VideoRequest
from recorder.signaling import Answer
from recorder.stats import ReceiveStats
from recorder.video.codecs import (
    PayloadMap,
    add_video_extensions,
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

AUDIO_STREAMS = 3
MAX_VIDEO_STREAMS = 3
ASSIGNMENT_LABEL = "meetbot"
"""The label of our video layout (Meet echoes it in assignments)."""
MEDIA_LOST = "MEDIA_LOST"
# Labels exact; all created before the offer, ordered and reliable (reference §2.5).
CHANNELS = (
    session_control.LABEL,
    media_stats.LABEL,
    participants.LABEL,
    media_entries.LABEL,
)


class ClientState(StrEnum):
    NEW = "new"
    CONNECTING = "connecting"
    WAITING = "waiting"
    JOINED = "joined"
    DISCONNECTED = "disconnected"


class Signaling(Protocol):
    async def connect(self, *, space: str, offer: str, confirmation_timeout: int) -> Answer: ...


class MediaObserver(Protocol):
    """What the client reports; called on the event loop, must not block."""

    def on_state(self, state: ClientState) -> None: ...

    def on_speakers(self, present: tuple[Speaker, ...], renamed: tuple[Speaker, ...]) -> None: ...

    def on_audio(
        self, *, speaker: Speaker, payload: bytes, ssrc: int, seq: int, rtp_ts: int, arrival: float
    ) -> None: ...

    def on_video(self, *, key: str, tile: TileInfo, frame: EncodedFrame, arrival: float) -> bool:
        """One whole encoded frame of the video stream ``key`` (a participant's camera or a
        screenshare; ``tile`` names it); ``arrival`` is on the client's clock. Return whether
        it was stored: False (e.g. not capturing yet) makes the client ask for a keyframe."""
        ...

    def on_video_end(self, *, key: str) -> None:
        """The stream ``key`` stopped (switched away, video off, left, session over)."""
        ...


@dataclass(frozen=True, slots=True)
class SessionEnd:
    """How the session ended: a ``REASON_*`` from Meet, or `MEDIA_LOST` (no goodbye)."""

    reason: str

    @property
    def graceful(self) -> bool:
        return self.reason != MEDIA_LOST


class MeetMediaClient:
    """Connects to the active conference of ``space`` and streams what Meet sends.

    Args:
        signaling: trades the offer for Meet's answer.
        space: ``spaces/{id}`` or ``spaces/{meetingCode}``.
        observer: receives state, participants and audio packets.
        ice_servers: STUN/TURN URLs; tests and the sandbox pass none.
        confirmation_timeout: seconds Meet may wait for consent (at most 300).
        clock: monotonic time for packet arrival.
        video: receive video too (None: audio only, as before).
    """

    def __init__(
        self,
        *,
        signaling: Signaling,
        space: str,
        observer: MediaObserver,
        ice_servers: tuple[str, ...] = (),
        confirmation_timeout: int = 120,
        clock: Callable[[], float] = time.monotonic,
        video: VideoRequest | None = None,
    ) -> None:
        self._signaling = signaling
        self._space = space
        self._observer = observer
        self._ice = ice_servers
        self._confirmation = confirmation_timeout
        self._clock = clock
        self.state = ClientState.NEW
        self.directory = ConferenceDirectory()
        self.stats = ReceiveStats()
        self.trace_id: str | None = None
        self.uploads = 0
        self._pc: Any = None
        self._channels: dict[str, Any] = {}
        self._ended: asyncio.Future[SessionEnd] = asyncio.get_running_loop().create_future()
        self._joined = asyncio.Event()
        self._stats_task: asyncio.Task[None] | None = None
        self._stats_config: media_stats.StatsConfiguration | None = None
        self._stats_changed = asyncio.Event()
        self._request_id = 0
        self._video = video
        self._video_transceivers: list[Any] = []
        self._video_rx: VideoReceiver | None = None
        self._canvases = 0
        self._assignment_sent = False
        self._keyframe_tasks: dict[int, asyncio.Task[None]] = {}
        self.assignment: video_assignment.VideoAssignment | None = None
        """Meet's latest video assignment (canvas → SSRC → media entry)."""

    @property
    def video_receiver(self) -> VideoReceiver | None:
        """The video receiver while video is on (after `connect`), for counters."""
        return self._video_rx

    @property
    def ended(self) -> asyncio.Future[SessionEnd]:
        """Resolves once, when the session is over for any reason."""
        return self._ended

    async def connect(self) -> None:
        """Offer, signal, apply the answer. Raises `recorder.errors.SignalingError`s."""
        self._set_state(ClientState.CONNECTING)
        config = RTCConfiguration(
            iceServers=[RTCIceServer(urls=url) for url in self._ice],
            bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
        )
        self._pc = pc = RTCPeerConnection(configuration=config)
        pc.on("connectionstatechange", self._on_connection_state)
        for _ in range(AUDIO_STREAMS):  # offer order: audio m-lines first
            transceiver = pc.addTransceiver("audio", direction="recvonly")
            hooks.tap_packets(transceiver.receiver, self._on_packet)
        video = self._add_video(pc)
        for label in CHANNELS + ((video_assignment.LABEL,) if video else ()):
            self._bind(label, pc.createDataChannel(label, ordered=True))
        await pc.setLocalDescription(await pc.createOffer())
        offer = sdp.add_audio_extensions(pc.localDescription.sdp)
        if video:
            offer = add_video_extensions(offer)
        try:
            answer = await self._signaling.connect(
                space=self._space, offer=offer, confirmation_timeout=self._confirmation
            )
        except BaseException:
            await self.close()
            raise
        self.trace_id = answer.trace_id
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type="answer"))
        for transceiver in pc.getTransceivers():
            hooks.route_by_mid(transceiver.receiver.transport)
        if video:
            self._video_call("setup", lambda: self._start_video(answer.sdp))
        self._set_state(ClientState.WAITING)

    async def wait_joined(self, *, within: float) -> bool:
        """True once joined; False if the session ended or ``within`` seconds passed first."""
        joined: asyncio.Future[Any] = asyncio.ensure_future(self._joined.wait())
        ended: asyncio.Future[Any] = self._ended
        try:
            await asyncio.wait({joined, ended}, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            joined.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await joined
        return self._joined.is_set() and not self._ended.done()

    async def leave(self, *, within: float = 5.0) -> SessionEnd:
        """Say goodbye on ``session-control`` and wait for Meet's DISCONNECTED, then close."""
        channel = self._channels.get(session_control.LABEL)
        if not self._ended.done() and channel is not None and channel.readyState == "open":
            request = session_control.LeaveRequest(request_id=self._next_id())
            channel.send(session_control.encode_request(request))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._ended), within)
        self._end(DisconnectReason.CLIENT_LEFT.value)
        await self.close()
        return self._ended.result()

    def stop_video(self) -> None:
        """Stop receiving video (packets are ignored from now on); audio goes on."""
        if self._video_rx is not None:
            logger.warning("video stopped; recording audio only")
        self._video_rx = None

    async def close(self) -> None:
        """Stop the stats task, keyframe requests and the peer connection (idempotent)."""
        task, self._stats_task = self._stats_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        requests = list(self._keyframe_tasks.values())
        for request in requests:
            request.cancel()
        await asyncio.gather(*requests, return_exceptions=True)
        receiver, self._video_rx = self._video_rx, None
        if receiver is not None:
            self._video_call("close", receiver.close)
            logger.info("video received: %s", receiver.summary())
        pc, self._pc = self._pc, None
        if pc is not None:
            await pc.close()
        self._end(MEDIA_LOST)

    # --- events ---------------------------------------------------------------------------

    def _bind(self, label: str, channel: Any) -> None:
        self._channels[label] = channel
        handler = {
            session_control.LABEL: self._on_session_control,
            media_stats.LABEL: self._on_media_stats,
            participants.LABEL: self._on_participants,
            media_entries.LABEL: self._on_media_entries,
            video_assignment.LABEL: self._on_video_assignment,
        }[label]

        def on_message(message: Any) -> None:
            try:
                handler(message)
            except ChannelFormatError as exc:
                logger.warning("%s: skipped a malformed message: %s", label, exc)

        channel.on("message", on_message)
        if label == session_control.LABEL:
            channel.on("close", lambda: self._end(MEDIA_LOST))
        elif label == video_assignment.LABEL:
            channel.on("open", self._assign_video)

    def _on_session_control(self, message: str | bytes) -> None:
        status = session_control.parse_update(message).status
        if status is None:
            return
        if status.state is ConnectionState.JOINED and not self._joined.is_set():
            self._joined.set()
            self._set_state(ClientState.JOINED)
            self._assign_video()
        elif status.state is ConnectionState.DISCONNECTED:
            reason = status.reason or DisconnectReason.SESSION_UNHEALTHY
            logger.info("Meet disconnected the session: %s", reason.value)
            self._end(reason.value)

    def _on_media_stats(self, message: str | bytes) -> None:
        config = media_stats.parse_update(message).configuration
        if config is None:
            return
        self._stats_config = config  # a new configuration re-arms the one upload task
        self._stats_changed.set()
        if self._stats_task is None:
            self._stats_task = asyncio.ensure_future(self._upload_stats())

    async def _upload_stats(self) -> None:
        while True:
            self._stats_changed.clear()
            config = self._stats_config
            interval = config.upload_interval if config is not None else 0.0
            if config is None or interval <= 0:  # 0: Meet wants no uploads
                await self._stats_changed.wait()
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stats_changed.wait(), interval)
            if self._stats_changed.is_set():
                continue
            sections = media_stats.filter_sections(self.stats.sections(), config.allowlist)
            channel = self._channels.get(media_stats.LABEL)
            if sections and channel is not None and channel.readyState == "open":
                upload = media_stats.UploadMediaStats(request_id=self._next_id(), sections=sections)
                channel.send(media_stats.encode_request(upload))
                self.uploads += 1

    def _on_participants(self, message: str | bytes) -> None:
        renamed = self.directory.apply_participants(participants.parse_update(message))
        self._observer.on_speakers(self.directory.present(), renamed)

    def _on_media_entries(self, message: str | bytes) -> None:
        self.directory.apply_media_entries(media_entries.parse_update(message))
        self._observer.on_speakers(self.directory.present(), ())
        receiver = self._video_rx
        if receiver is not None:
            self._video_call("media entries", receiver.entries_changed)

    def _on_packet(self, packet: Any, arrival_ms: int) -> None:
        payload = packet.payload
        self.stats.add(
            ssrc=packet.ssrc,
            mid=packet.extensions.mid,
            seq=packet.sequence_number,
            timestamp=packet.timestamp,
            size=len(payload),
            arrival_ms=arrival_ms,
        )
        if not self._joined.is_set() or not payload:
            return
        info = pick_csrc(packet.csrc)
        if info.csrc is None:  # pre-audio silence carries no CSRC
            self.stats.dropped_no_csrc += 1
            return
        speaker = self.directory.speaker_for_csrc(info.csrc)
        if speaker is None:
            self.stats.dropped_unknown_csrc += 1
            return
        self._observer.on_audio(
            speaker=speaker,
            payload=payload,
            ssrc=packet.ssrc,
            seq=packet.sequence_number,
            rtp_ts=packet.timestamp,
            arrival=self._clock(),
        )

    # --- video ----------------------------------------------------------------------------

    def _add_video(self, pc: Any) -> bool:
        """Add the recvonly video transceivers, tapped, when video is asked for."""
        if self._video is None:
            return False
        streams = max(0, min(MAX_VIDEO_STREAMS, self._video.streams))
        if streams != self._video.streams:
            logger.warning("video: %d streams asked, %d offered", self._video.streams, streams)
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
            hooks.tap_packets(
                transceiver.receiver, functools.partial(self._on_video_packet, transceiver)
            )
            self._video_transceivers.append(transceiver)
        return True

    def _start_video(self, answer_sdp: str) -> None:
        """Read what the answer negotiated for our video m-lines; start the receiver."""
        mids = {t.mid for t in self._video_transceivers}
        maps = {mid: m for mid, m in video_payload_types(answer_sdp).items() if mid in mids}
        for payloads in maps.values():
            self.stats.video_codecs.update({pt: c.mime_type for pt, c in payloads.codecs.items()})
            self.stats.video_codecs.update(dict.fromkeys(payloads.rtx, "video/rtx"))
        self._canvases = _negotiated_video(answer_sdp, maps)
        if not self._canvases:
            logger.info("video: Meet's answer sends no video; recording audio only")
            return
        self._video_rx = VideoReceiver(
            payload_types=maps,
            directory=self.directory,
            sink=_VideoSink(self._observer, self._request_keyframe),
            rtx=rtx_ssrcs(answer_sdp),
        )

    def _assign_video(self) -> None:
        """Send the one ``setAssignment`` once joined and the channel is open."""
        video, channel = self._video, self._channels.get(video_assignment.LABEL)
        if video is None or self._assignment_sent or not self._canvases:
            return
        if not self._joined.is_set() or channel is None or channel.readyState != "open":
            return
        width, height = video.canvas_width, video.canvas_height
        request = video_assignment.SetAssignmentRequest(
            request_id=self._next_id(),
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

    def _on_video_assignment(self, message: str | bytes) -> None:
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
        receiver = self._video_rx
        if receiver is not None:
            self._video_call("assignment", lambda: receiver.set_assignment(assignment))

    def _on_video_packet(self, transceiver: Any, packet: Any, arrival_ms: int) -> None:
        mid = transceiver.mid
        self.stats.add(
            ssrc=packet.ssrc,
            mid=mid,
            seq=packet.sequence_number,
            timestamp=packet.timestamp,
            size=len(packet.payload),
            arrival_ms=arrival_ms,
            kind="video",
            payload_type=packet.payload_type,
        )
        receiver = self._video_rx
        if receiver is None or not self._joined.is_set() or mid is None:
            return
        self._video_call(
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

    def _video_call(self, what: str, action: Callable[[], None]) -> None:
        """Run a step of the video path; an error stops video, never audio."""
        try:
            action()
        except Exception:
            logger.exception("video: %s failed", what)
            self.stop_video()

    def _request_keyframe(self, mid: str, ssrc: int) -> None:
        """Send a PLI for ``ssrc`` from a task we own; at most one in flight per SSRC."""
        if ssrc in self._keyframe_tasks or self._pc is None:
            return
        receiver = next((t.receiver for t in self._video_transceivers if t.mid == mid), None)
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

    # --- session ------------------------------------------------------------------------

    def _on_connection_state(self) -> None:
        state = self._pc.connectionState if self._pc is not None else "closed"
        if state in ("failed", "closed"):
            self._end(MEDIA_LOST)

    def _end(self, reason: str) -> None:
        if not self._ended.done():
            self._ended.set_result(SessionEnd(reason=reason))
            self._set_state(ClientState.DISCONNECTED)

    def _set_state(self, state: ClientState) -> None:
        if self.state is not state:
            logger.info("media session %s → %s", self.state.value, state.value)
            self.state = state
            self._observer.on_state(state)

    def _next_id(self) -> int:
        self._request_id += 1
        return self._request_id


def lost_error(end: SessionEnd) -> MediaLost:
    return MediaLost(f"the media connection ended without a reason ({end.reason})")


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
