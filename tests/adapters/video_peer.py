"""A small stand-in for Meet's side of a Media API session, sending video, for the client tests.

An aiortc peer that answers the recorder's offer with ``sendonly`` m-lines (or none for
video), serves the data channels (JOINED at once, participants and media entries, a video
assignment for every ``setAssignment``) and sends RTP it builds itself: Opus with CSRCs on
the audio m-lines (`sandbox.meet_media.rtp.RtpStream`), and real VP8/VP9/AV1 frames,
packetized by `recorder.video.packetize`, with CSRCs and the MID on the video m-lines, as
Meet would. It records the offers, every ``setAssignment`` and every RTCP packet it gets.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtp import HeaderExtensionsMap, RtcpPsfbPacket, RtpPacket

from recorder.channels import media_entries, participants, session_control, video_assignment
from recorder.channels.common import Response, Status
from recorder.channels.media_entries import MediaEntriesUpdate, MediaEntry
from recorder.channels.participants import Participant, ParticipantKind, ParticipantsUpdate
from recorder.channels.session_control import ConnectionState, DisconnectReason, SessionStatus
from recorder.signaling import Answer
from recorder.video.model import RtpVideoPacket, VideoCodec
from sandbox.meet_media.rtp import IdleTrack, RtpStream

RTCP_PSFB_PLI = 1
_SSRC_LINES = re.compile(r"^a=(ssrc|ssrc-group|msid):.*\r?\n", re.MULTILINE)


@dataclass(frozen=True)
class Person:
    """A participant with one camera media entry (and optionally a screenshare entry)."""

    key: str
    name: str
    resource_id: int
    camera_entry: int
    audio_csrc: int
    video_csrc: int
    screen_entry: int | None = None
    screen_csrc: int | None = None

    def participant(self) -> Participant:
        return Participant(
            resource_id=self.resource_id,
            participant_key=self.key,
            name=None,
            display_name=self.name,
            kind=ParticipantKind.SIGNED_IN,
            user=f"users/{self.resource_id}",
            participant_id=None,
        )

    def entries(self) -> list[MediaEntry]:
        camera = _entry(self.camera_entry, self.key, self.audio_csrc, self.video_csrc, False)
        if self.screen_entry is None or self.screen_csrc is None:
            return [camera]
        return [camera, _entry(self.screen_entry, self.key, None, self.screen_csrc, True)]


def _entry(
    resource_id: int, key: str, audio: int | None, video: int, screenshare: bool
) -> MediaEntry:
    return MediaEntry(
        resource_id=resource_id,
        participant_key=key,
        participant=None,
        session_name=f"{key}/participantSessions/{resource_id}",
        audio_csrc=audio,
        video_csrcs=(video,),
        presenter=screenshare,
        screenshare=screenshare,
        audio_muted=False,
        video_muted=False,
    )


class VideoOut:
    """One sendonly video m-line: its SSRCs, payload types, and RTP we build and send."""

    def __init__(self, transceiver: Any) -> None:
        self._sender = transceiver.sender
        self.mid: str = transceiver.mid
        self.ssrc: int = self._sender._ssrc
        self.rtx_ssrc: int = self._sender._rtx_ssrc
        codecs = transceiver._codecs
        self.payload_types: dict[VideoCodec, int] = {}
        self.rtx: dict[int, int] = {}  # apt -> rtx payload type
        for codec in codecs:
            ours = VideoCodec.from_mime_type(codec.mimeType)
            if ours is not None:
                self.payload_types[ours] = codec.payloadType
            elif codec.mimeType.lower() == "video/rtx":
                self.rtx[int(codec.parameters["apt"])] = codec.payloadType
        self._extensions = HeaderExtensionsMap()
        self._extensions.configure(
            RTCRtpSendParameters(
                codecs=codecs, headerExtensions=transceiver._headerExtensions, muxId=self.mid
            )
        )
        self._rtx_sequence = 0

    async def send(
        self,
        packet: RtpVideoPacket,
        codec: VideoCodec,
        *,
        csrcs: Sequence[int] = (),
        with_mid: bool = False,
    ) -> None:
        """Send one packet on the media SSRC."""
        await self._send(
            RtpPacket(
                payload_type=self.payload_types[codec],
                marker=int(packet.marker),
                sequence_number=packet.sequence,
                timestamp=packet.timestamp,
                ssrc=self.ssrc,
                payload=packet.payload,
            ),
            csrcs,
            with_mid,
        )

    async def retransmit(
        self, packet: RtpVideoPacket, codec: VideoCodec, *, csrcs: Sequence[int] = ()
    ) -> None:
        """Send one packet again, RFC 4588 style, on the RTX SSRC (with the MID)."""
        rtp = RtpPacket(
            payload_type=self.rtx[self.payload_types[codec]],
            marker=int(packet.marker),
            sequence_number=self._rtx_sequence,
            timestamp=packet.timestamp,
            ssrc=self.rtx_ssrc,
            payload=packet.sequence.to_bytes(2, "big") + packet.payload,
        )
        self._rtx_sequence += 1
        await self._send(rtp, csrcs, True)

    async def _send(self, packet: RtpPacket, csrcs: Sequence[int], with_mid: bool) -> None:
        packet.csrc = list(csrcs)
        packet.extensions.mid = self.mid if with_mid else None
        await self._sender.transport._send_rtp(packet.serialize(self._extensions))
        await asyncio.sleep(0)  # let the receiver read it: a burst overflows the UDP buffer


@dataclass
class MeetPeer:
    """Meet's side of one session. Use as the client's `Signaling` (``connect``).

    Attributes:
        people: who is in the call.
        canvases: for each canvas id asked for, (video m-line index, media entry id) to
            assign; canvases not listed get no video.
        video: answer the video m-lines ``sendonly`` (False: ``inactive``, no video).
        strip_ssrc: leave ``a=ssrc`` lines out of the answer (Meet may).
    """

    people: list[Person]
    canvases: dict[int, tuple[int, int]] = field(default_factory=dict)
    video: bool = True
    strip_ssrc: bool = True
    offers: list[str] = field(default_factory=list)
    answer: str = ""
    requests: list[video_assignment.SetAssignmentRequest] = field(default_factory=list)
    rtcp: list[Any] = field(default_factory=list)
    channels: dict[str, Any] = field(default_factory=dict)
    video_out: list[VideoOut] = field(default_factory=list)
    audio_out: list[RtpStream] = field(default_factory=list)

    def __post_init__(self) -> None:
        # max-bundle: with aiortc's default (balanced), an answerer's second and later video
        # senders keep a transport that never connects
        config = RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        self.pc = RTCPeerConnection(config)
        self.pc.on("datachannel", self._on_channel)

    async def connect(self, *, space: str, offer: str, confirmation_timeout: int) -> Answer:
        """Answer ``offer`` (the `recorder.connection.model.Signaling` protocol)."""
        self.offers.append(offer)
        audio = offer.count("m=audio ")
        video = offer.count("m=video ") if self.video else 0
        for kind, count in (("audio", audio), ("video", video)):
            for _ in range(count):
                self.pc.addTrack(IdleTrack(kind=kind))
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        transceivers = self.pc.getTransceivers()
        self.audio_out = [RtpStream(transceiver=t) for t in transceivers if t.kind == "audio"]
        self.video_out = [
            VideoOut(t)
            for t in transceivers
            if t.kind == "video" and t.currentDirection == "sendonly"
        ]
        self._spy_rtcp()
        sdp: str = self.pc.localDescription.sdp
        self.answer = _SSRC_LINES.sub("", sdp) if self.strip_ssrc else sdp
        return Answer(sdp=self.answer, trace_id="trace-1")

    def _spy_rtcp(self) -> None:
        router: Any = self.pc.getTransceivers()[0].sender.transport._rtp_router
        route_rtcp = router.route_rtcp

        def spy(packet: Any) -> Any:
            self.rtcp.append(packet)
            return route_rtcp(packet)

        router.route_rtcp = spy

    def plis(self) -> list[int]:
        """The media SSRCs of every PLI received."""
        return [
            p.media_ssrc
            for p in self.rtcp
            if isinstance(p, RtcpPsfbPacket) and p.fmt == RTCP_PSFB_PLI
        ]

    def _on_channel(self, channel: Any) -> None:
        label = channel.label
        self.channels[label] = channel
        if label == session_control.LABEL:
            channel.send(session_control.encode_status(SessionStatus(ConnectionState.JOINED)))
        elif label == participants.LABEL:
            people = tuple(p.participant() for p in self.people)
            channel.send(participants.encode_update(ParticipantsUpdate(people, ())))
        elif label == media_entries.LABEL:
            entries = tuple(e for p in self.people for e in p.entries())
            channel.send(media_entries.encode_update(MediaEntriesUpdate(entries, ())))
        elif label == video_assignment.LABEL:
            channel.on("message", lambda data: self._on_assignment(channel, data))

    def _on_assignment(self, channel: Any, data: str) -> None:
        request = video_assignment.parse_request(data)
        self.requests.append(request)
        canvases = []
        for canvas in request.canvases:
            stream, entry = self.canvases.get(canvas.id, (len(self.video_out), 0))
            if stream < len(self.video_out):
                out = self.video_out[stream]
                canvases.append(video_assignment.CanvasAssignment(canvas.id, out.ssrc, entry))
            else:
                canvases.append(video_assignment.CanvasAssignment(canvas.id, None, None))
        assignment = video_assignment.VideoAssignment(request.label, tuple(canvases))
        response = Response(request.request_id, Status(), "setAssignment")
        channel.send(video_assignment.encode_assignment(assignment, response=response))

    def end_conference(self) -> None:
        """Meet's goodbye: DISCONNECTED, the conference ended."""
        status = SessionStatus(ConnectionState.DISCONNECTED, DisconnectReason.CONFERENCE_ENDED)
        self.channels[session_control.LABEL].send(session_control.encode_status(status))

    async def play_audio(self, stream: int, payloads: Sequence[bytes], csrc: int) -> None:
        """Send 20 ms Opus frames on an audio m-line, paced like a live sender."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        for tick, payload in enumerate(payloads):
            await self.audio_out[stream].send(tick=tick, payload=payload, csrc=[csrc])
            await asyncio.sleep(max(0.0, start + (tick + 1) * 0.02 - loop.time()))  # pacing

    async def play_video(
        self,
        stream: int,
        codec: VideoCodec,
        pictures: Sequence[Sequence[RtpVideoPacket]],
        csrcs: Sequence[int],
    ) -> None:
        """Send pictures on a video m-line at 30 per second, paced like a live sender."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        out = self.video_out[stream]
        for index, picture in enumerate(pictures):
            for packet in picture:
                await out.send(packet, codec, csrcs=csrcs, with_mid=index == 0)
            await asyncio.sleep(max(0.0, start + (index + 1) / 30 - loop.time()))  # pacing

    async def close(self) -> None:
        await self.pc.close()
