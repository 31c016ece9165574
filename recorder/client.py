"""The Meet Media API client: one aiortc peer connection, its data channels and audio taps.

States: ``new → connecting → waiting → joined → disconnected`` (terminal, single use).
``waiting`` is Meet holding us for consent; the recorder captures only once ``joined``.
aiortc objects and event names stay inside this module and `recorder.hooks`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcconfiguration import RTCBundlePolicy

from recorder import hooks, sdp
from recorder.channels import media_entries, media_stats, participants, session_control
from recorder.channels.common import ChannelFormatError
from recorder.channels.session_control import ConnectionState, DisconnectReason
from recorder.csrc import pick_csrc
from recorder.directory import ConferenceDirectory
from recorder.errors import MediaLost
from recorder.model import Speaker
from recorder.signaling import Answer
from recorder.stats import ReceiveStats

logger = logging.getLogger(__name__)

AUDIO_STREAMS = 3
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
        for label in CHANNELS:
            self._bind(label, pc.createDataChannel(label, ordered=True))
        await pc.setLocalDescription(await pc.createOffer())
        offer = sdp.add_audio_extensions(pc.localDescription.sdp)
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

    async def close(self) -> None:
        """Stop the stats task and the peer connection (idempotent)."""
        task, self._stats_task = self._stats_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
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
        }[label]

        def on_message(message: Any) -> None:
            try:
                handler(message)
            except ChannelFormatError as exc:
                logger.warning("%s: skipped a malformed message: %s", label, exc)

        channel.on("message", on_message)
        if label == session_control.LABEL:
            channel.on("close", lambda: self._end(MEDIA_LOST))

    def _on_session_control(self, message: str | bytes) -> None:
        status = session_control.parse_update(message).status
        if status is None:
            return
        if status.state is ConnectionState.JOINED and not self._joined.is_set():
            self._joined.set()
            self._set_state(ClientState.JOINED)
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
