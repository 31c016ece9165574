"""The Meet Media API client: one aiortc peer connection, from the offer to Meet's goodbye.

States: ``new → connecting → waiting → joined → disconnected`` (terminal, single use).
``waiting`` is Meet holding us for consent; the recorder captures only once ``joined``.
aiortc objects and event names stay inside this package, `recorder.hooks` and
`recorder.video.codecs`. The offer is `offer.py`'s, the data channels `channels.py`'s,
audio routing `audio.py`'s, the stats uploads `stats_upload.py`'s and video `video.py`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from recorder.channels import (
    media_entries,
    media_stats,
    participants,
    session_control,
    video_assignment,
)
from recorder.channels.session_control import ConnectionState, DisconnectReason
from recorder.connection import offer
from recorder.connection.audio import AudioRoute
from recorder.connection.channels import DataChannels
from recorder.connection.model import (
    MEDIA_LOST,
    ClientState,
    MediaObserver,
    SessionEnd,
    Signaling,
)
from recorder.connection.stats_upload import StatsUploads
from recorder.connection.video import ClientVideo
from recorder.directory import ConferenceDirectory
from recorder.ports import VideoRequest
from recorder.stats import ReceiveStats
from recorder.video.receive import VideoReceiver

logger = logging.getLogger(__name__)


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
        self.state = ClientState.NEW
        self.directory = ConferenceDirectory()
        self.stats = ReceiveStats()
        self.trace_id: str | None = None
        self._pc: Any = None
        self._channels = DataChannels()
        self._ended: asyncio.Future[SessionEnd] = asyncio.get_running_loop().create_future()
        self._joined = asyncio.Event()
        self._uploads = StatsUploads(stats=self.stats, channels=self._channels)
        self._audio = AudioRoute(
            stats=self.stats,
            directory=self.directory,
            observer=observer,
            joined=self._joined,
            clock=clock,
        )
        self._video = ClientVideo(
            request=video,
            stats=self.stats,
            directory=self.directory,
            observer=observer,
            channels=self._channels,
            joined=self._joined,
            clock=clock,
        )

    @property
    def uploads(self) -> int:
        """How many media-stats uploads were sent."""
        return self._uploads.count

    @property
    def assignment(self) -> video_assignment.VideoAssignment | None:
        """Meet's latest video assignment (canvas → SSRC → media entry)."""
        return self._video.assignment

    @property
    def video_receiver(self) -> VideoReceiver | None:
        """The video receiver while video is on (after `connect`), for counters."""
        return self._video.receiver

    @property
    def ended(self) -> asyncio.Future[SessionEnd]:
        """Resolves once, when the session is over for any reason."""
        return self._ended

    async def connect(self) -> None:
        """Offer, signal, apply the answer. Raises `recorder.errors.SignalingError`s."""
        self._set_state(ClientState.CONNECTING)
        self._pc = pc = offer.new_peer(self._ice)
        pc.on("connectionstatechange", self._on_connection_state)
        offer.add_audio(pc, self._audio.on_packet)  # offer order: audio m-lines first
        video = self._video.add_transceivers(pc)
        self._open_channels(pc, video=video)
        local = await offer.local_offer(pc, video=video)
        try:
            answer = await self._signaling.connect(
                space=self._space, offer=local, confirmation_timeout=self._confirmation
            )
        except BaseException:
            await self.close()
            raise
        self.trace_id = answer.trace_id
        await offer.apply_answer(pc, answer.sdp)
        if video:
            self._video.start(answer.sdp)
        self._set_state(ClientState.WAITING)

    def _open_channels(self, pc: Any, *, video: bool) -> None:
        """Create every data channel, in the order of `offer.CHANNELS`, bound to its handler."""
        handlers = {
            session_control.LABEL: self._on_session_control,
            media_stats.LABEL: self._uploads.on_message,
            participants.LABEL: self._on_participants,
            media_entries.LABEL: self._on_media_entries,
        }
        for label in offer.CHANNELS:
            on_close = (lambda: self._end(MEDIA_LOST)) if label == session_control.LABEL else None
            channel = pc.createDataChannel(label, ordered=True)
            self._channels.bind(label, channel, handlers[label], on_close=on_close)
        if video:
            label = video_assignment.LABEL
            channel = pc.createDataChannel(label, ordered=True)
            self._channels.bind(
                label, channel, self._video.on_assignment, on_open=self._video.assign
            )

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
        channel = self._channels.open(session_control.LABEL)
        if not self._ended.done() and channel is not None:
            request = session_control.LeaveRequest(request_id=self._channels.next_id())
            channel.send(session_control.encode_request(request))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._ended), within)
        self._end(DisconnectReason.CLIENT_LEFT.value)
        await self.close()
        return self._ended.result()

    def stop_video(self) -> None:
        """Stop receiving video (packets are ignored from now on); audio goes on."""
        self._video.stop()

    async def close(self) -> None:
        """Stop the stats task, keyframe requests and the peer connection (idempotent)."""
        await self._uploads.close()
        await self._video.close()
        pc, self._pc = self._pc, None
        if pc is not None:
            await pc.close()
        self._end(MEDIA_LOST)

    # --- events ---------------------------------------------------------------------------

    def _on_session_control(self, message: str | bytes) -> None:
        status = session_control.parse_update(message).status
        if status is None:
            return
        if status.state is ConnectionState.JOINED and not self._joined.is_set():
            self._joined.set()
            self._set_state(ClientState.JOINED)
            self._video.assign()
        elif status.state is ConnectionState.DISCONNECTED:
            reason = status.reason or DisconnectReason.SESSION_UNHEALTHY
            logger.info("Meet disconnected the session: %s", reason.value)
            self._end(reason.value)

    def _on_participants(self, message: str | bytes) -> None:
        renamed = self.directory.apply_participants(participants.parse_update(message))
        self._observer.on_speakers(self.directory.present(), renamed)

    def _on_media_entries(self, message: str | bytes) -> None:
        self.directory.apply_media_entries(media_entries.parse_update(message))
        self._observer.on_speakers(self.directory.present(), ())
        self._video.entries_changed()

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
