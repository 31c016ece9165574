"""A big-endian bit reader for codec headers, and LEB128 (AV1)."""

from __future__ import annotations

from recorder.video.model import PayloadError


class BitReader:
    """Read unsigned fields MSB first; running past the end raises `PayloadError`."""

    def __init__(self, data: bytes, offset: int = 0) -> None:
        self._data = data
        self._pos = offset * 8

    @property
    def position(self) -> int:
        """Bits consumed so far, counted from the start of ``data``."""
        return self._pos

    def bit(self) -> int:
        """Read one bit."""
        byte, shift = divmod(self._pos, 8)
        if byte >= len(self._data):
            raise PayloadError("header ends early")
        self._pos += 1
        return (self._data[byte] >> (7 - shift)) & 1

    def bits(self, count: int) -> int:
        """Read ``count`` bits as an unsigned integer."""
        value = 0
        for _ in range(count):
            value = (value << 1) | self.bit()
        return value

    def flag(self) -> bool:
        """Read one bit as a boolean."""
        return self.bit() == 1

    def uvlc(self) -> int:
        """AV1 ``uvlc()``: leading zeros, then that many value bits."""
        zeros = 0
        while not self.bit():
            zeros += 1
            if zeros >= 32:
                return (1 << 32) - 1
        return self.bits(zeros) + (1 << zeros) - 1


def read_leb128(data: bytes, offset: int) -> tuple[int, int]:
    """Return (value, bytes used) of the LEB128 number at ``offset`` (at most 8 bytes)."""
    value = 0
    for i in range(8):
        if offset + i >= len(data):
            raise PayloadError("LEB128 value ends early")
        byte = data[offset + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, i + 1
    raise PayloadError("LEB128 value longer than 8 bytes")


def leb128(value: int) -> bytes:
    """Encode ``value`` (non-negative) as LEB128, in as few bytes as possible."""
    if value < 0:
        raise ValueError("LEB128 encodes non-negative numbers only")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
