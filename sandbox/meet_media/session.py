"""One Media API client connection: the answering peer, its channels, its state and RTP."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)

from recorder.video.codecs import register_video_codecs
from recorder.video.model import VideoCodec
from sandbox.meet_media import messages
from sandbox.meet_media.channels import (
    MEDIA_STATS,
    SESSION_CONTROL,
    VIDEO_ASSIGNMENT,
    Channels,
    RosterPublisher,
)
from sandbox.meet_media.mixer import SessionAudio
from sandbox.meet_media.offer import Offer
from sandbox.meet_media.reasons import ENDINGS
from sandbox.meet_media.roster import ConferenceMedia, MediaParticipant
from sandbox.meet_media.rtp import IdleTrack, RtpStream, SenderPort
from sandbox.meet_media.session_video import SessionVideo
from sandbox.meet_media.video import VideoLibrary

logger = logging.getLogger(__name__)

_SIGNALLING = re.compile(r"^a=(ssrc|ssrc-group|msid):.*\r?\n", re.MULTILINE)


def strip_ssrc(sdp: str) -> str:
    """The answer without ``a=ssrc``, ``a=ssrc-group`` and ``a=msid`` lines."""
    return _SIGNALLING.sub("", sdp)


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """Timers and switches of one session (faults of its space, at connect time)."""

    consent_delay: float = 0.1
    confirmation_timeout: float = 300.0
    stats_interval: int = 10
    strip_ssrc: bool = False
    connect_timeout: float = 10.0
    channel_timeout: float = 5.0
    video_size: tuple[int, int] | None = None
    video_codec: VideoCodec | None = None


class MediaSession:
    """The SFU side of one ``connectActiveConference``: ``connecting`` → ``waiting`` →
    ``joined`` → ``ended`` (with `ended_reason`)."""

    def __init__(
        self,
        *,
        conference: ConferenceMedia,
        space: str,
        offer: Offer,
        settings: SessionSettings,
        connected_at: str,
        on_end: Callable[[MediaSession], None],
        videos: VideoLibrary,
    ) -> None:
        self.conference = conference
        self.space = space
        self.offer = offer
        self.settings = settings
        self.connected_at = connected_at
        self.trace_id = secrets.token_hex(16)
        self.state = "connecting"
        self.ended_reason: str | None = None
        self.stats_uploads = 0
        self._on_end = on_end
        # max-bundle: with aiortc's default (balanced) the answerer's 2nd and 3rd video
        # senders keep a per-kind transport that BUNDLE negotiation then discards
        config = RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        self._pc: Any = RTCPeerConnection(config)
        self._channels = Channels()
        self._roster = RosterPublisher(channels=self._channels)
        self._audio = SessionAudio(streams=())
        self._videos = videos
        self._video = SessionVideo(ports=(), library=videos)
        self._video_assigned = False
        self._connected = asyncio.Event()
        self._required = asyncio.Event()  # session-control and media-stats are open
        self._tasks: set[asyncio.Task[None]] = set()
        self._shutdown: asyncio.Task[None] | None = None

    @property
    def live(self) -> bool:
        return self.ended_reason is None

    @property
    def packets_sent(self) -> int:
        return self._audio.packets_sent

    @property
    def frames_by_participant(self) -> Counter[str]:
        """20 ms audio frames sent per participant display name."""
        return self._audio.frames_by_participant

    async def answer(self) -> str:
        """Answer the offer: sendonly on every m-line, senders idle (we send RTP).

        VP9 and AV1 are registered with aiortc first, so video m-lines negotiate every
        codec Meet sends.

        Raises:
            ValueError: aiortc could not apply the offer (an invalid offer).
        """
        pc = self._pc
        register_video_codecs()
        for kind, count in (("audio", self.offer.audio), ("video", self.offer.video)):
            for _ in range(count):
                pc.addTrack(IdleTrack(kind=kind))
        pc.on("datachannel", self._on_channel)
        pc.on("connectionstatechange", self._on_connection_state)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=self.offer.sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:  # aiortc raises several types for offers it cannot apply
            raise ValueError(str(exc)) from exc
        audio = [t for t in pc.getTransceivers() if t.kind == "audio"]
        self._audio = SessionAudio(streams=[RtpStream(transceiver=t) for t in audio])
        video = [t for t in pc.getTransceivers() if t.kind == "video"]
        self._video = SessionVideo(
            ports=[SenderPort(transceiver=t) for t in video],
            library=self._videos,
            forced_codec=self.settings.video_codec,
            forced_size=self.settings.video_size,
        )
        sdp: str = pc.localDescription.sdp
        logger.debug("sandbox Meet media %s answer:\n%s", self.trace_id, sdp)
        self._spawn(self._watch())
        return strip_ssrc(sdp) if self.settings.strip_ssrc else sdp

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_connection_state(self) -> None:
        state = self._pc.connectionState
        if state == "connected":
            self._connected.set()
        elif state in ("failed", "closed") and self.live:
            logger.info("sandbox Meet media %s: peer connection %s", self.trace_id, state)
            self.end("CLIENT_CLOSED")

    async def _watch(self) -> None:
        """DTLS must come up, then the required channels must open, each in time."""
        settings = self.settings
        try:
            await asyncio.wait_for(self._connected.wait(), settings.connect_timeout)
        except TimeoutError:
            logger.info("sandbox Meet media %s: client never connected", self.trace_id)
            self.end("SESSION_UNHEALTHY")
            return
        try:
            await asyncio.wait_for(self._required.wait(), settings.channel_timeout)
        except TimeoutError:
            logger.info("sandbox Meet media %s: required data channels missing", self.trace_id)
            self.end("SESSION_UNHEALTHY")

    def _on_channel(self, channel: Any) -> None:
        if not self.live or not self._channels.add(channel):
            return
        label = channel.label
        channel.on("message", lambda data: self._on_message(label, data))
        if self._channels.required_open:
            self._required.set()
        if label == MEDIA_STATS:
            interval = self.settings.stats_interval
            self._channels.send(MEDIA_STATS, messages.stats_configuration(interval))
        elif label == SESSION_CONTROL:
            self._spawn(self._admit())
        elif self.state == "joined":
            self._roster.replay(label)

    async def _admit(self) -> None:
        """WAITING at once, then JOINED once "consent" is given (or unhealthy if too late)."""
        self._send_status("STATE_WAITING")
        self.state = "waiting"
        settings = self.settings
        if settings.consent_delay > settings.confirmation_timeout:
            await asyncio.sleep(settings.confirmation_timeout)
            self.end("SESSION_UNHEALTHY")
            return
        await asyncio.sleep(settings.consent_delay)
        await self._required.wait()  # the watchdog ends the session if they never open
        if self.live:
            self.state = "joined"
            self._send_status("STATE_JOINED")
            record = self.conference.record.name
            logger.info("sandbox Meet media %s joined %s", self.trace_id, record)
            self._roster.publish(joined=list(self.conference.present.values()), left=[])

    def _send_status(self, state: str, reason: str | None = None, **extra: Any) -> None:
        message = {**extra, "resources": [messages.session_status(state, reason)]}
        self._channels.send(SESSION_CONTROL, message)

    def _on_message(self, label: str, data: object) -> None:
        request = messages.parse_request(label, data)
        if request is None or not self.live:
            return
        if label == SESSION_CONTROL and "leave" in request:
            self.end("CLIENT_LEFT", response=messages.response(request, "leave"))
        elif label == MEDIA_STATS and "uploadMediaStats" in request:
            ok = messages.valid_stats_upload(request)
            self.stats_uploads += ok
            code = messages.OK if ok else messages.INVALID_ARGUMENT
            answer = messages.response(request, "uploadMediaStats", code=code, message="bad upload")
            self._channels.send(label, {"response": answer})
        elif label == VIDEO_ASSIGNMENT and "setAssignment" in request:
            self._assign_video(request)
        else:
            logger.warning("sandbox Meet media: unsupported request on %s ignored", label)

    def _assign_video(self, request: messages.Json) -> None:
        """Answer a layout; once accepted, push the assignment that takes effect."""
        problem = messages.check_assignment(request, self.offer.video)
        if problem is not None:
            answer = messages.response(
                request, "setAssignment", code=messages.INVALID_ARGUMENT, message=problem
            )
            self._channels.send(VIDEO_ASSIGNMENT, {"response": answer})
            return
        self._video.set_layout(request)
        self._video_assigned = True
        answer = messages.response(request, "setAssignment")
        self._channels.send(VIDEO_ASSIGNMENT, {"response": answer})
        self._update_video()
        self._push_assignment()

    def _update_video(self) -> bool:
        """Pick what the video streams show (once joined); True if that changed."""
        if self.state != "joined":
            return False
        sources = self._roster.video_sources()
        return self._video.update(sources, talking=self._audio.talking)

    def _push_assignment(self) -> None:
        self._channels.send(VIDEO_ASSIGNMENT, {"resources": [self._video.snapshot()]})

    def roster_changed(
        self, *, joined: list[MediaParticipant], left: list[MediaParticipant]
    ) -> None:
        """Participants joined or left the conference: tell a joined client."""
        if self.live and self.state == "joined":
            self._roster.publish(joined=joined, left=left)

    async def tick(self, *, index: int, at: float) -> None:
        """Send this 20 ms frame's RTP: pre-join silence, or the mixed speakers and video."""
        if self.conference.ended and self.live:
            self.end("CONFERENCE_ENDED")
        if not self.live:
            return
        audio = self._audio
        try:
            if self.state != "joined":
                if audio.ready:
                    await audio.send_silence(index=index)
                return
            if audio.ready:
                await audio.send_speakers(index=index, at=at, present=self.conference.present)
            await self._tick_video(index=index, at=at)
        except ConnectionError:
            logger.debug("sandbox Meet media %s: transport gone", self.trace_id)

    async def _tick_video(self, *, index: int, at: float) -> None:
        """Video follows the speakers (re-pushing the assignment on a switch), then frames."""
        if not self._video_assigned:
            return
        if self._update_video():
            self._push_assignment()
        await self._video.send(index=index, at=at)

    def inject(self, label: str, text: str) -> bool:
        """Fault injection: send ``text`` verbatim on the ``label`` channel."""
        return self._channels.send_text(label, text)

    def end(self, reason: str, *, response: messages.Json | None = None) -> None:
        """End the session (a key of `ENDINGS`): final status if any, then close the peer."""
        if not self.live:
            return
        self.ended_reason = reason
        self.state = "ended"
        status = ENDINGS[reason]
        if status is not None:
            extra = {} if response is None else {"response": response}
            self._send_status("STATE_DISCONNECTED", status, **extra)
        logger.info("sandbox Meet media %s ended: %s", self.trace_id, reason)
        self._on_end(self)
        self._shutdown = asyncio.ensure_future(self._close_peer(linger=status is not None))

    async def _close_peer(self, *, linger: bool) -> None:
        if linger:
            await self._channels.drain(within=1.0)
            await asyncio.sleep(0.05)  # let the last SCTP chunks reach the client
        await self._pc.close()

    async def close(self) -> None:
        """End (without status) if still live, then await the peer's closing and every task."""
        self.end("SHUTDOWN")
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._shutdown is None:
            await self._pc.close()  # never answered: nothing was sent
        elif self._shutdown is not current:
            await self._shutdown

    def to_json(self) -> messages.Json:
        """What ``GET meet/media`` reports about this session."""
        return {
            "space": self.space,
            "conferenceRecord": self.conference.record.name,
            "state": self.state,
            "traceId": self.trace_id,
            "packets_sent": self.packets_sent,
            "frames_by_participant": dict(self.frames_by_participant),
            "video_frames_by_participant": dict(self._video.frames_by_participant),
            "keyframe_requests": self._video.keyframe_requests,
            "video_streams": self._video.describe(),
            "stats_uploads": self.stats_uploads,
            "connected_at": self.connected_at,
            "ended_reason": self.ended_reason,
        }
