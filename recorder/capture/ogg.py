"""Ogg Opus (RFC 3533 pages, RFC 7845 headers): a crash-safe writer and a tolerant reader."""

from __future__ import annotations

import logging
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from recorder.capture.opus import RATE, packet_samples

logger = logging.getLogger(__name__)

_HEADER = struct.Struct("<4sBBqIIIB")  # capture, version, flags, granule, serial, seq, crc, nseg
_CRC_AT = 22
_CONTINUED, _BOS, _EOS = 1, 2, 4
_MAX_SEGMENTS = 255
_MAX_PACKET = 255 * (_MAX_SEGMENTS - 1)
_VENDOR = b"meetbot"
_BITREV = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def ogg_crc(data: bytes | bytearray) -> int:
    """Return Ogg's CRC-32 (poly 0x04C11DB7, unreflected, init 0, no final xor).

    zlib computes the reflected CRC of the same polynomial, which equals the bit-reversed
    unreflected CRC of the bit-reversed input; ``crc32(d, 0xFFFFFFFF) ^ 0xFFFFFFFF`` undoes
    zlib's init and final xor. All of it runs in C, once per page.
    """
    reflected = zlib.crc32(data.translate(_BITREV), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{reflected:032b}"[::-1], 2)


def opus_head(*, channels: int, pre_skip: int = 0) -> bytes:
    """Return an RFC 7845 §5.1 identification header (mapping family 0)."""
    if channels not in (1, 2):
        raise ValueError(f"mapping family 0 allows 1 or 2 channels, not {channels}")
    return b"OpusHead" + struct.pack("<BBHIhB", 1, channels, pre_skip, RATE, 0, 0)


def _opus_tags() -> bytes:
    return b"OpusTags" + struct.pack("<I", len(_VENDOR)) + _VENDOR + struct.pack("<I", 0)


def _page(flags: int, granule: int, serial: int, seq: int, lacing: bytes, body: bytes) -> bytes:
    page = bytearray(_HEADER.pack(b"OggS", 0, flags, granule, serial, seq, 0, len(lacing)))
    page += lacing
    page += body
    struct.pack_into("<I", page, _CRC_AT, ogg_crc(page))
    return bytes(page)


class OggOpusWriter:
    """Write Opus packets into an Ogg file, one page per ``flush_interval`` of audio.

    Every page is handed to the OS as soon as it is complete, so a killed process leaves a
    valid Ogg file up to the last page.
    """

    def __init__(
        self, *, path: Path, serial: int, channels: int = 2, flush_interval: float = 1.0
    ) -> None:
        """Create the file and write both header pages.

        Args:
            path: The file to create (truncated if it exists).
            serial: The Ogg logical stream serial number.
            channels: Output channels in OpusHead (1 or 2).
            flush_interval: Seconds of audio per page, at most.
        """
        self.path = path
        self._serial = serial & 0xFFFFFFFF
        self._page_target = max(1, int(flush_interval * RATE))
        self._file = path.open("wb")
        self._seq = 0
        self._granule = 0
        self._size = 0
        self._lacing = bytearray()
        self._body: list[bytes] = []
        self._page_samples = 0
        self._last: tuple[int, bytes] | None = None  # offset and bytes of the last page
        self._closed = False
        self._emit_header(_BOS, opus_head(channels=channels))
        self._emit_header(0, _opus_tags())

    @property
    def duration(self) -> float:
        """Seconds of audio written so far (pending packets included)."""
        return self._granule / RATE

    @property
    def size(self) -> int:
        """Bytes handed to the OS so far."""
        return self._size

    def write(self, packet: bytes, samples: int | None = None) -> None:
        """Append one Opus packet.

        Args:
            packet: The encoded packet, stored as is.
            samples: Its duration in 48 kHz samples, if the caller already knows it.

        Raises:
            ValueError: The packet is malformed or too large for one page.
        """
        size = len(packet)
        if samples is None:
            samples = packet_samples(packet)
        if size > _MAX_PACKET:
            raise ValueError(f"Opus packet of {size} bytes does not fit one Ogg page")
        segments = size // 255 + 1
        if len(self._lacing) + segments > _MAX_SEGMENTS:
            self._flush_page()
        if size < 255:
            self._lacing.append(size)
        else:
            self._lacing += b"\xff" * (size // 255)
            self._lacing.append(size % 255)
        self._body.append(packet)
        self._granule += samples
        self._page_samples += samples
        if self._page_samples >= self._page_target:
            self._flush_page()

    def close(self) -> None:
        """Write the last page with the end-of-stream flag, flush and close. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._body:
                self._flush_page(eos=True)
            elif self._last is not None:
                self._mark_last_eos()
        finally:
            self._file.close()

    def _flush_page(self, *, eos: bool = False) -> None:
        if not self._body:
            return
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        self._write_page(_EOS if eos else 0, self._granule, bytes(self._lacing), body)
        self._lacing.clear()
        self._body.clear()
        self._page_samples = 0

    def _emit_header(self, flags: int, packet: bytes) -> None:
        """Write a header packet on a page of its own (RFC 7845 §3), granule position 0."""
        lacing = b"\xff" * (len(packet) // 255) + bytes((len(packet) % 255,))
        self._write_page(flags, 0, lacing, packet)

    def _write_page(self, flags: int, granule: int, lacing: bytes, body: bytes) -> None:
        page = _page(flags, granule, self._serial, self._seq, lacing, body)
        self._last = (self._size, page)
        self._file.write(page)
        self._file.flush()
        self._seq += 1
        self._size += len(page)

    def _mark_last_eos(self) -> None:
        """Re-write the last page in place with the EOS flag (nothing is pending to carry it)."""
        assert self._last is not None
        offset, page = self._last
        fixed = bytearray(page)
        fixed[5] |= _EOS
        struct.pack_into("<I", fixed, _CRC_AT, 0)
        struct.pack_into("<I", fixed, _CRC_AT, ogg_crc(fixed))
        self._file.seek(offset)
        self._file.write(fixed)
        self._file.flush()


@dataclass(frozen=True, slots=True)
class OggPage:
    """One parsed page: its flags, granule position, the packets that end on it, its end."""

    flags: int
    granule: int
    serial: int
    packets: tuple[bytes, ...]
    end: int  # offset of the byte after the page

    @property
    def eos(self) -> bool:
        """Whether the page closes its logical stream."""
        return bool(self.flags & _EOS)


def read_pages(data: bytes) -> Iterator[OggPage]:
    """Yield the complete, CRC-valid pages of ``data``, stopping at the first damaged one.

    A packet continued on a later page is carried over; one left open at the end is dropped.
    """
    view = memoryview(data)
    offset, partial = 0, b""
    while offset + _HEADER.size <= len(data):
        capture, _, flags, granule, serial, _, crc, nseg = _HEADER.unpack_from(data, offset)
        body_at = offset + _HEADER.size + nseg
        if capture != b"OggS" or body_at > len(data):
            return
        lacing = data[offset + _HEADER.size : body_at]
        end = body_at + sum(lacing)
        if end > len(data) or _page_crc(view[offset:end]) != crc:
            logger.info("ogg data ends with a damaged or truncated page at byte %d", offset)
            return
        packets, partial = _split(data, body_at, lacing, partial)
        yield OggPage(flags=flags, granule=granule, serial=serial, packets=packets, end=end)
        offset = end


def _page_crc(page: memoryview) -> int:
    copy = bytearray(page)
    copy[_CRC_AT : _CRC_AT + 4] = b"\0\0\0\0"
    return ogg_crc(copy)


def _split(data: bytes, at: int, lacing: bytes, partial: bytes) -> tuple[tuple[bytes, ...], bytes]:
    packets: list[bytes] = []
    start = at
    for value in lacing:
        at += value
        if value < 255:
            packets.append(partial + data[start:at])
            partial, start = b"", at
    return tuple(packets), partial + data[start:at]
