"""RTP payloads of real encoder output, per picture, for the video receive and client tests."""

from __future__ import annotations

from recorder.video.model import RtpVideoPacket, VideoCodec
from recorder.video.packetize import (
    Vp9Layer,
    packetize_av1,
    packetize_vp8,
    packetize_vp9,
    rtp_packets,
)
from recorder.video.vp9 import ScalabilityStructure
from tests.video_media import TICKS, Encoded


def pictures(stream: Encoded, *, mtu: int = 400) -> list[list[bytes]]:
    """Each frame of ``stream`` as the RTP payloads of one picture."""
    out = []
    for i, data in enumerate(stream.frames):
        key = stream.keyframes[i]
        if stream.codec is VideoCodec.VP8:
            out.append(packetize_vp8(data, mtu=mtu, picture_id=i))
        elif stream.codec is VideoCodec.VP9:
            layer = Vp9Layer(data, inter_picture=not key, p_diffs=() if key else (1,))
            ss = ScalabilityStructure(1, ((stream.width, stream.height),)) if key else None
            out.append(packetize_vp9([layer], mtu=mtu, picture_id=i, flexible=True, ss=ss))
        else:
            out.append(packetize_av1(data, mtu=mtu))
    return out


def packets(
    stream: Encoded, *, first_sequence: int = 0, first_timestamp: int = 0, mtu: int = 400
) -> list[list[RtpVideoPacket]]:
    """Per picture, its numbered RTP packets (30 fps timestamps, marker on each last)."""
    flat = rtp_packets(
        ((first_timestamp + i * TICKS, p) for i, p in enumerate(pictures(stream, mtu=mtu))),
        first_sequence=first_sequence,
    )
    out: list[list[RtpVideoPacket]] = [[]]
    for packet in flat:
        out[-1].append(packet)
        if packet.marker:
            out.append([])
    return out[:-1]
