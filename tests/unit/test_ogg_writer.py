"""Ogg pages and CRC, Opus headers, page flushing and the tolerant page reader."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest

from recorder.capture.ogg import OggOpusWriter, ogg_crc, read_pages
from recorder.capture.opus import SILENCE_FRAME

VOICED = bytes([0xFC]) + bytes(range(60))  # CELT FB 20 ms, code 0


def _reference_crc(data: bytes) -> int:
    """Bit-by-bit CRC-32, poly 0x04C11DB7, MSB first, init 0, no final xor (RFC 3533)."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc


def _raw_pages(data: bytes) -> list[tuple[int, int, int, int]]:
    """(flags, granule, sequence, segment count) of every page, parsed independently."""
    pages, at = [], 0
    while at < len(data):
        _, _, flags, granule, _, seq, _, nseg = struct.unpack_from("<4sBBqIIIB", data, at)
        pages.append((flags, granule, seq, nseg))
        at += 27 + nseg + sum(data[at + 27 : at + 27 + nseg])
    return pages


def test_crc_matches_the_reference() -> None:
    rng = random.Random(7)
    for size in (0, 1, 27, 255, 4000):
        data = bytes(rng.randrange(256) for _ in range(size))
        assert ogg_crc(data) == _reference_crc(data)
    assert ogg_crc(b"123456789") == 0x89A1897F  # CRC-32/CKSUM check value without its xorout


def test_headers_follow_rfc_7845(tmp_path: Path) -> None:
    writer = OggOpusWriter(path=tmp_path / "a.ogg", serial=9, channels=1)
    writer.close()
    pages = list(read_pages((tmp_path / "a.ogg").read_bytes()))
    head, tags = pages[0].packets[0], pages[1].packets[0]
    assert pages[0].flags == 2
    assert pages[0].serial == 9
    assert head[:8] == b"OpusHead"
    assert head[8] == 1
    assert head[9] == 1
    assert struct.unpack_from("<HI", head, 10) == (0, 48000)
    assert tags.startswith(b"OpusTags")
    assert pages[-1].eos


def test_pages_carry_one_flush_interval_with_granule_positions(tmp_path: Path) -> None:
    path = tmp_path / "a.ogg"
    writer = OggOpusWriter(path=path, serial=1, flush_interval=0.1)  # 5 packets a page
    for _ in range(12):
        writer.write(VOICED)
    flushed = _raw_pages(path.read_bytes())
    assert [g for _, g, _, _ in flushed] == [0, 0, 4800, 9600]  # written before close
    assert writer.duration == pytest.approx(0.24)
    writer.close()
    writer.close()
    pages = _raw_pages(path.read_bytes())
    assert pages[-1] == (4, 11520, 4, 2)
    assert [seq for _, _, seq, _ in pages] == [0, 1, 2, 3, 4]


def test_close_marks_the_last_flushed_page_eos(tmp_path: Path) -> None:
    path = tmp_path / "a.ogg"
    writer = OggOpusWriter(path=path, serial=1, flush_interval=0.1)
    for _ in range(5):
        writer.write(SILENCE_FRAME)
    writer.close()
    pages = list(read_pages(path.read_bytes()))  # CRCs are checked
    assert len(pages) == 3
    assert pages[-1].eos
    assert pages[-1].granule == 4800
    assert pages[-1].end == path.stat().st_size


def test_large_packets_and_the_255_segment_limit(tmp_path: Path) -> None:
    path = tmp_path / "a.ogg"
    big = bytes([0xFC]) + bytes(509)  # 510 bytes: lacing 255, 255, 0
    writer = OggOpusWriter(path=path, serial=1, flush_interval=100)
    writer.write(big)
    for _ in range(300):
        writer.write(VOICED)
    writer.close()
    pages = list(read_pages(path.read_bytes()))
    audio = [p for page in pages[2:] for p in page.packets]
    assert audio == [big] + [VOICED] * 300
    assert max(n for *_, n in _raw_pages(path.read_bytes())) == 255


def test_oversized_packet_is_refused(tmp_path: Path) -> None:
    writer = OggOpusWriter(path=tmp_path / "a.ogg", serial=1)
    with pytest.raises(ValueError, match="does not fit"):
        writer.write(bytes([0xFC]) + bytes(255 * 254))
    writer.close()


def test_reader_stops_at_a_truncated_or_damaged_page(tmp_path: Path) -> None:
    path = tmp_path / "a.ogg"
    writer = OggOpusWriter(path=path, serial=1, flush_interval=0.1)
    for _ in range(15):
        writer.write(VOICED)
    writer.close()
    data = path.read_bytes()
    assert len(list(read_pages(data))) == 5
    assert len(list(read_pages(data[:-10]))) == 4
    damaged = bytearray(data)
    damaged[-5] ^= 0xFF
    assert len(list(read_pages(bytes(damaged)))) == 4
