"""Opus packet facts read from the TOC byte (RFC 6716 §3.1) and the silence frames we pad with."""

from __future__ import annotations

RATE = 48_000
FRAME_SAMPLES = 960
SILENCE_FRAME = b"\xf8\xff\xfe"
"""A CELT fullband 20 ms mono frame that decodes to digital silence."""

# CELT fullband silence frames by length in 48 kHz samples (TOC configs 31, 30, 29, 28).
SILENCE_FRAMES: dict[int, bytes] = {
    960: SILENCE_FRAME,
    480: b"\xf0\xff\xfe",
    240: b"\xe8\xff\xfe",
    120: b"\xe0\xff\xfe",
}
GRAIN = 120
"""Smallest Opus frame (2.5 ms): every gap we fill is a multiple of it."""

_MAX_SAMPLES = 5760  # RFC 6716 §3.2.5: a packet holds at most 120 ms of audio
_SILK = (480, 960, 1920, 2880)  # configs 0-11: 10, 20, 40, 60 ms
_HYBRID = (480, 960)  # configs 12-15: 10, 20 ms
_CELT = (120, 240, 480, 960)  # configs 16-31: 2.5, 5, 10, 20 ms
_FRAME_SIZES = tuple(
    _SILK[c % 4] if c < 12 else _HYBRID[c % 2] if c < 16 else _CELT[c % 4] for c in range(32)
)


def packet_samples(packet: bytes) -> int:
    """Return how many 48 kHz samples one Opus packet decodes to.

    Args:
        packet: One Opus packet as carried in an RTP payload.

    Returns:
        The packet's duration in samples at 48 kHz.

    Raises:
        ValueError: The packet is empty or its TOC/frame count is malformed.
    """
    if not packet:
        raise ValueError("empty Opus packet")
    toc = packet[0]
    size = _FRAME_SIZES[toc >> 3]
    code = toc & 3
    if code == 0:
        return size
    if code == 1:
        if len(packet) % 2 == 0:  # R3: two equal-size frames, so an even payload after the TOC
            raise ValueError("Opus code 1 packet with an odd frame payload")
        return 2 * size
    if len(packet) < 2:
        raise ValueError(f"Opus code {code} packet truncated after the TOC")
    if code == 2:
        return 2 * size
    count = packet[1] & 0x3F
    if count == 0 or count * size > _MAX_SAMPLES:
        raise ValueError(f"Opus code 3 packet with bad frame count {count}")
    return count * size


def is_voiced(packet: bytes) -> bool:
    """Tell real audio from silence: our padding frames and DTX packets are at most 3 bytes."""
    return len(packet) > 3


def silence(samples: int) -> list[bytes]:
    """Return silence packets covering ``samples`` (rounded down to 2.5 ms)."""
    full, rest = divmod(samples, FRAME_SAMPLES)
    frames = [SILENCE_FRAME] * full
    for size in (480, 240, 120):
        if rest >= size:
            frames.append(SILENCE_FRAMES[size])
            rest -= size
    return frames
