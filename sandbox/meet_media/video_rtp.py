"""One virtual video stream's RTP: encoded frames in, packets out on a fixed SSRC.

Packetized as libwebrtc does for a single-layer stream: VP8 with a 15-bit picture id, VP9 in
flexible mode with the layer byte and, on keyframes, a scalability structure giving the
size; AV1 as aggregated OBUs. Sequence numbers run on across participant switches; the
90 kHz timestamp follows the pacing tick (wall time); the CSRC names the media entry shown.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from aiortc.rtp import RtpPacket

from recorder.video.model import VideoCodec
from recorder.video.packetize import (
    DEFAULT_MTU,
    Vp9Layer,
    packetize_av1,
    packetize_vp8,
    packetize_vp9,
)
from recorder.video.vp9 import ScalabilityStructure
from sandbox.meet_media.rtp import SenderPort

TICKS_PER_PACING_TICK = 1800  # 20 ms at 90 kHz
_U32 = 0xFFFFFFFF
_PICTURE_IDS = 0x8000


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One encoded picture to send, and what its packets must say about it."""

    data: bytes
    keyframe: bool
    width: int
    height: int


class VideoRtpStream:
    """A negotiated video m-line sending one codec (`codec`) from its sender's SSRC.

    Attributes:
        packets_sent: RTP packets sent so far.
        frames_sent: pictures sent so far.
    """

    def __init__(
        self, *, port: SenderPort, codec: VideoCodec, rng: random.Random | None = None
    ) -> None:
        rng = rng or random.Random()
        payload_type = port.payload_type(codec.mime_type)
        if payload_type is None:
            raise ValueError(f"{codec} was not negotiated on m-line {port.mid}")
        self._port = port
        self.codec = codec
        self.payload_type: int = payload_type
        self._sequence = rng.randrange(1 << 16)
        self._timestamp_base = rng.randrange(1 << 32)
        self._picture_id = rng.randrange(_PICTURE_IDS)
        self.packets_sent = 0
        self.frames_sent = 0

    @property
    def ssrc(self) -> int:
        return self._port.ssrc

    @property
    def ready(self) -> bool:
        return self._port.ready

    def payloads(self, frame: VideoFrame) -> list[bytes]:
        """The RTP payloads of one picture, the next picture id on VP8 and VP9."""
        self._picture_id = (self._picture_id + 1) % _PICTURE_IDS
        if self.codec is VideoCodec.VP8:
            return packetize_vp8(frame.data, mtu=DEFAULT_MTU, picture_id=self._picture_id)
        if self.codec is VideoCodec.VP9:
            layer = Vp9Layer(
                frame.data,
                inter_picture=not frame.keyframe,
                p_diffs=() if frame.keyframe else (1,),
            )
            size = ScalabilityStructure(1, sizes=((frame.width, frame.height),))
            return packetize_vp9(
                [layer],
                mtu=DEFAULT_MTU,
                picture_id=self._picture_id,
                flexible=True,
                ss=size if frame.keyframe else None,
            )
        return packetize_av1(frame.data, mtu=DEFAULT_MTU)

    async def send(self, *, tick: int, frame: VideoFrame, csrc: int) -> None:
        """Send one picture at pacing tick ``tick``, the marker bit on its last packet.

        Raises:
            ConnectionError: the transport is not (or no longer) connected.
        """
        timestamp = (self._timestamp_base + TICKS_PER_PACING_TICK * tick) & _U32
        payloads = self.payloads(frame)
        for index, payload in enumerate(payloads):
            packet = RtpPacket(
                payload_type=self.payload_type,
                marker=int(index == len(payloads) - 1),
                sequence_number=self._sequence,
                timestamp=timestamp,
                payload=payload,
            )
            packet.csrc = [csrc]
            await self._port.send(packet)
            self._sequence = (self._sequence + 1) & 0xFFFF
            self.packets_sent += 1
        self.frames_sent += 1
