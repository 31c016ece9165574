"""Encoded frames to RTP payloads: VP8 (RFC 7741), VP9 (RFC 9628), AV1 (AV1 RTP spec v1.0).

Pure functions, the inverse of the depacketizers: tests build packets from real encoder
output with them, and the sandbox's Meet emulator can send video with them. ``mtu`` is the
largest RTP *payload* in bytes (RTP header, header extensions and SRTP come on top).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from recorder.video.av1 import (
    DROPPED_OBUS,
    OBU_FRAME,
    OBU_FRAME_HEADER,
    OBU_SEQUENCE_HEADER,
    AggregationHeader,
    is_key_frame_header,
    parse_obus,
    parse_sequence_header,
)
from recorder.video.bits import leb128
from recorder.video.model import RtpVideoPacket
from recorder.video.vp8 import Vp8Descriptor
from recorder.video.vp9 import ScalabilityStructure, Vp9Descriptor

DEFAULT_MTU = 1200


def rtp_packets(
    frames: Iterable[tuple[int, list[bytes]]], *, first_sequence: int = 0
) -> list[RtpVideoPacket]:
    """Number the payloads of (RTP timestamp, payloads) pictures; mark each picture's last."""
    packets, seq = [], first_sequence
    for timestamp, payloads in frames:
        for i, payload in enumerate(payloads):
            marker = i == len(payloads) - 1
            packets.append(RtpVideoPacket(seq & 0xFFFF, timestamp & 0xFFFFFFFF, marker, payload))
            seq += 1
    return packets


def split_evenly(data: bytes, room: int) -> list[bytes]:
    """Cut ``data`` into the fewest chunks of at most ``room`` bytes, sizes within one byte."""
    if room < 1:
        raise ValueError("MTU leaves no room for payload data")
    count = max(1, -(-len(data) // room))
    base, extra = divmod(len(data), count)
    chunks, at = [], 0
    for i in range(count):
        size = base + (1 if i >= count - extra else 0)
        chunks.append(data[at : at + size])
        at += size
    return chunks


# VP8 -------------------------------------------------------------------------------------


def vp8_descriptor(d: Vp8Descriptor) -> bytes:
    """Serialize a VP8 payload descriptor (picture ids of 128 and more use 15 bits)."""
    ext = (
        (0x80 if d.picture_id is not None else 0)
        | (0x40 if d.tl0picidx is not None else 0)
        | (0x20 if d.tid is not None else 0)
        | (0x10 if d.keyidx is not None else 0)
    )
    out = bytearray([(0x80 if ext else 0) | (0x20 if d.non_reference else 0)])
    out[0] |= (0x10 if d.start else 0) | (d.partition & 0x07)
    if ext:
        out.append(ext)
    if d.picture_id is not None:
        if d.long_picture_id or d.picture_id > 0x7F:
            out += bytes([0x80 | (d.picture_id >> 8) & 0x7F, d.picture_id & 0xFF])
        else:
            out.append(d.picture_id)
    if d.tl0picidx is not None:
        out.append(d.tl0picidx & 0xFF)
    if d.tid is not None or d.keyidx is not None:
        out.append((d.tid or 0) << 6 | (0x20 if d.layer_sync else 0) | (d.keyidx or 0) & 0x1F)
    return bytes(out)


def packetize_vp8(
    frame: bytes,
    *,
    mtu: int = DEFAULT_MTU,
    picture_id: int | None = None,
    tl0picidx: int | None = None,
    tid: int | None = None,
    layer_sync: bool = False,
    keyidx: int | None = None,
    non_reference: bool = False,
) -> list[bytes]:
    """RTP payloads for one VP8 frame: S=1 on the first, PID 0 throughout."""
    template = Vp8Descriptor(
        non_reference=non_reference,
        start=True,
        partition=0,
        picture_id=picture_id,
        long_picture_id=picture_id is not None and picture_id > 0x7F,
        tl0picidx=tl0picidx,
        tid=tid,
        layer_sync=layer_sync,
        keyidx=keyidx,
    )
    first = vp8_descriptor(template)
    rest = bytes([first[0] & ~0x10]) + first[1:]
    chunks = split_evenly(frame, mtu - len(first))
    return [(first if i == 0 else rest) + chunk for i, chunk in enumerate(chunks)]


# VP9 -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Vp9Layer:
    """One spatial layer frame of a VP9 picture, and what its descriptor says about it."""

    data: bytes
    spatial_id: int = 0
    temporal_id: int = 0
    inter_picture: bool = True
    """P: False on keyframes (and on other layer frames without inter-picture prediction)."""
    switching_up: bool = False
    inter_layer: bool = False
    """D: predicted from the spatial layer below."""
    p_diffs: tuple[int, ...] = ()
    """Flexible mode: the referenced pictures, as picture id differences (1 to 3)."""
    not_reference_for_upper: bool = False


def vp9_descriptor(d: Vp9Descriptor, *, layer_indices: bool) -> bytes:
    """Serialize a VP9 payload descriptor (picture ids of 128 and more use 15 bits)."""
    out = bytearray(
        [
            (0x80 if d.picture_id is not None else 0)
            | (0x40 if d.inter_picture else 0)
            | (0x20 if layer_indices else 0)
            | (0x10 if d.flexible else 0)
            | (0x08 if d.begins else 0)
            | (0x04 if d.ends else 0)
            | (0x02 if d.ss is not None else 0)
            | (0x01 if d.not_reference_for_upper else 0)
        ]
    )
    if d.picture_id is not None:
        if d.long_picture_id or d.picture_id > 0x7F:
            out += bytes([0x80 | (d.picture_id >> 8) & 0x7F, d.picture_id & 0xFF])
        else:
            out.append(d.picture_id)
    if layer_indices:
        out.append(
            (d.tid or 0) << 5
            | (0x10 if d.switching_up else 0)
            | (d.sid & 7) << 1
            | (1 if d.inter_layer else 0)
        )
        if not d.flexible:
            out.append((d.tl0picidx or 0) & 0xFF)
    if d.flexible and d.inter_picture:
        if not 1 <= len(d.p_diffs) <= 3:
            raise ValueError("an inter-picture predicted frame needs 1 to 3 P_DIFFs")
        for i, diff in enumerate(d.p_diffs):
            out.append((diff & 0x7F) << 1 | (1 if i < len(d.p_diffs) - 1 else 0))
    if d.ss is not None:
        out += scalability_structure(d.ss)
    return bytes(out)


def scalability_structure(ss: ScalabilityStructure) -> bytes:
    """Serialize VP9 SS data."""
    head = (ss.spatial_layers - 1) << 5 | (0x10 if ss.sizes else 0)
    out = bytearray([head | (0x08 if ss.group is not None else 0)])
    for width, height in ss.sizes:
        out += width.to_bytes(2, "big") + height.to_bytes(2, "big")
    if ss.group is not None:
        out.append(len(ss.group))
        for entry in ss.group:
            out.append(
                entry.tid << 5 | (0x10 if entry.switching_up else 0) | len(entry.p_diffs) << 2
            )
            out += bytes(entry.p_diffs)
    return bytes(out)


def packetize_vp9(
    layers: Sequence[Vp9Layer],
    *,
    mtu: int = DEFAULT_MTU,
    picture_id: int | None = None,
    flexible: bool = False,
    tl0picidx: int | None = None,
    ss: ScalabilityStructure | None = None,
    layer_indices: bool = True,
) -> list[bytes]:
    """RTP payloads for one VP9 picture: each layer frame in turn, B and E bits set.

    Args:
        layers: The picture's spatial layer frames, lowest first.
        mtu: Largest payload.
        picture_id: 15-bit picture id (I), shared by the picture's layer frames.
        flexible: Flexible mode (F): references as P_DIFFs instead of TL0PICIDX.
        tl0picidx: Non-flexible mode's temporal layer 0 index.
        ss: Scalability structure, sent in the picture's first packet (V).
        layer_indices: Send the layer byte (L); needed for more than one spatial layer.
    """
    payloads: list[bytes] = []
    for index, layer in enumerate(layers):
        base = Vp9Descriptor(
            inter_picture=layer.inter_picture,
            flexible=flexible,
            begins=True,
            ends=False,
            not_reference_for_upper=layer.not_reference_for_upper,
            picture_id=picture_id,
            long_picture_id=picture_id is not None and picture_id > 0x7F,
            tid=layer.temporal_id,
            switching_up=layer.switching_up,
            sid=layer.spatial_id,
            inter_layer=layer.inter_layer,
            tl0picidx=tl0picidx,
            p_diffs=layer.p_diffs,
            ss=ss if index == 0 else None,
        )
        payloads += _vp9_layer(layer.data, base, mtu, layer_indices)
    return payloads


def _vp9_layer(data: bytes, base: Vp9Descriptor, mtu: int, indices: bool) -> list[bytes]:
    def header(begins: bool, ends: bool) -> bytes:
        ss = base.ss if begins else None
        d = replace(base, begins=begins, ends=ends, ss=ss)
        return vp9_descriptor(d, layer_indices=indices)

    room = mtu - len(header(True, True))
    chunks = split_evenly(data, room)
    last = len(chunks) - 1
    return [header(i == 0, i == last) + c for i, c in enumerate(chunks)]


# AV1 -------------------------------------------------------------------------------------


def packetize_av1(
    temporal_unit: bytes, *, mtu: int = DEFAULT_MTU, keep_sizes: bool = False
) -> list[bytes]:
    """RTP payloads for one AV1 temporal unit (low-overhead format, as encoders emit it).

    Temporal delimiters, tile lists and padding are left out; OBUs lose their size field
    unless ``keep_sizes``. OBUs are packed greedily, fragmented across packets (Y, Z) when
    they do not fit; a packet of 1 to 3 elements uses W and omits the last length. N is set
    on the first packet of a keyframe that carries a sequence header.
    """
    obus = [o for o in parse_obus(temporal_unit) if o.type not in DROPPED_OBUS]
    if not obus:
        raise ValueError("temporal unit has no OBU to send")
    packets = _pack([o.to_bytes(with_size=keep_sizes) for o in obus], mtu - 1)
    sequence = next((o for o in obus if o.type == OBU_SEQUENCE_HEADER), None)
    frame = next((o for o in obus if o.type in (OBU_FRAME, OBU_FRAME_HEADER)), None)
    new_sequence = (
        sequence is not None
        and frame is not None
        and is_key_frame_header(frame.payload, parse_sequence_header(sequence.payload))
    )
    out = []
    for i, (items, z, y) in enumerate(packets):
        count = len(items) if len(items) <= 3 else 0
        header = AggregationHeader(z, y, count, new_sequence and i == 0)
        body = b"".join(
            item if count and j == len(items) - 1 else leb128(len(item)) + item
            for j, item in enumerate(items)
        )
        out.append(bytes([header.to_byte()]) + body)
    return out


def _pack(elements: list[bytes], room: int) -> list[tuple[list[bytes], bool, bool]]:
    """Greedy packing: (items, Z, Y) per packet, sized as if every item had its length."""
    if room < 2:
        raise ValueError("MTU leaves no room for an OBU element")
    packets: list[tuple[list[bytes], bool, bool]] = []
    items: list[bytes] = []
    used, z = 0, False
    for element in elements:
        data = element
        while data:
            free = room - used
            whole = len(leb128(len(data))) + len(data)
            if whole <= free:
                items.append(data)
                used += whole
                break
            take = free - len(leb128(free))
            if take < 1:
                packets.append((items, z, False))
                items, used, z = [], 0, False
                continue
            items.append(data[:take])
            packets.append((items, z, True))
            items, used, z = [], 0, True
            data = data[take:]
    if items:
        packets.append((items, z, False))
    return packets
