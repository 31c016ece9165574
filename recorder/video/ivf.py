"""IVF files (the libvpx/aomenc container): a crash-safe writer and a tolerant reader.

A 32-byte file header (``DKIF``, FourCC, size, time base, frame count), then per frame a
12-byte header (size, 64-bit pts) and the frame. The writer hands each frame to the OS as
it is written, so a killed process leaves a valid file up to the last frame; the frame count
is filled in only by `IvfWriter.close`, and readers (ours and FFmpeg's) do not need it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from recorder.video.model import CLOCK_RATE, VideoCodec

_FILE_HEADER = struct.Struct("<4sHH4sHHIIII")
_FRAME_HEADER = struct.Struct("<IQ")
_COUNT_AT = 24
_MAX_FRAME = 1 << 28  # a frame announcing more than 256 MiB is garbage


@dataclass(frozen=True, slots=True)
class IvfHeader:
    """The file header."""

    codec: VideoCodec
    width: int
    height: int
    rate: int
    """Time base denominator (ticks per second)."""
    scale: int
    """Time base numerator."""
    frame_count: int
    """As written by `IvfWriter.close`; 0 after a crash."""


@dataclass(frozen=True, slots=True)
class IvfFrame:
    """One stored frame."""

    pts: int
    data: bytes


@dataclass(frozen=True, slots=True)
class IvfFile:
    """What `read_ivf` found."""

    header: IvfHeader
    frames: tuple[IvfFrame, ...]
    truncated: bool
    """The file ends inside a frame (a crash while writing); that frame was left out."""


class IvfWriter:
    """Append encoded frames of one codec to an IVF file."""

    def __init__(
        self,
        path: Path,
        *,
        codec: VideoCodec,
        width: int = 0,
        height: int = 0,
        rate: int = CLOCK_RATE,
    ) -> None:
        """Create the file (truncating it) and write the header.

        Args:
            path: The file.
            codec: The codec of every frame.
            width: Coded width for the header (decoders read the real size from frames).
            height: Coded height, like ``width``.
            rate: Ticks per second of the pts given to `write`.
        """
        self.path = path
        self._file = path.open("wb")
        self._frames = 0
        self._size = 0
        self._first: int | None = None
        self._last: int | None = None
        self._closed = False
        header = _FILE_HEADER.pack(
            b"DKIF", 0, 32, codec.fourcc, _u16(width), _u16(height), rate, 1, 0, 0
        )
        self._emit(header)

    @property
    def frames(self) -> int:
        """Frames written so far."""
        return self._frames

    @property
    def size(self) -> int:
        """Bytes handed to the OS so far."""
        return self._size

    @property
    def first_pts(self) -> int | None:
        """Pts of the first frame, if any."""
        return self._first

    @property
    def last_pts(self) -> int | None:
        """Pts of the latest frame, if any."""
        return self._last

    def write(self, data: bytes, pts: int) -> None:
        """Append one frame and hand it to the OS.

        Raises:
            ValueError: ``pts`` goes back, the frame is empty, or the writer is closed.
        """
        if self._closed:
            raise ValueError("IVF writer is closed")
        if not data or len(data) > _MAX_FRAME:
            raise ValueError(f"cannot store a frame of {len(data)} bytes")
        if pts < 0 or (self._last is not None and pts < self._last):
            raise ValueError(f"pts {pts} goes back (last {self._last})")
        self._emit(_FRAME_HEADER.pack(len(data), pts) + data)
        self._frames += 1
        self._first = pts if self._first is None else self._first
        self._last = pts

    def close(self) -> None:
        """Write the frame count into the header and close. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._file.seek(_COUNT_AT)
            self._file.write(struct.pack("<I", self._frames & 0xFFFFFFFF))
        finally:
            self._file.close()

    def _emit(self, data: bytes) -> None:
        self._file.write(data)
        self._file.flush()
        self._size += len(data)


@dataclass(frozen=True, slots=True)
class IvfScan:
    """What `scan_ivf_file` found, without keeping any frame."""

    header: IvfHeader
    frames: int
    first_pts: int | None
    last_pts: int | None


def read_ivf(data: bytes) -> IvfFile:
    """Parse an IVF file's bytes, keeping every whole frame.

    Raises:
        ValueError: Not an IVF file of a codec we store.
    """
    header, header_size = _parse_header(data)
    frames, at = [], header_size
    while at + _FRAME_HEADER.size <= len(data):
        size, pts = _FRAME_HEADER.unpack_from(data, at)
        start = at + _FRAME_HEADER.size
        if size > _MAX_FRAME or start + size > len(data):
            break
        frames.append(IvfFrame(pts, data[start : start + size]))
        at = start + size
    return IvfFile(header=header, frames=tuple(frames), truncated=at != len(data))


def read_ivf_file(path: Path) -> IvfFile:
    """`read_ivf` on a file (all of it in memory: for small files and tests)."""
    return read_ivf(path.read_bytes())


def iter_ivf_file(path: Path) -> Iterator[IvfFrame]:
    """The whole frames of an IVF file, read one at a time (a call's file may be large).

    Raises:
        ValueError: Not an IVF file of a codec we store (raised on the first ``next``).
        OSError: The file cannot be read.
    """
    with path.open("rb") as file:
        _, header_size = _parse_header(file.read(_FILE_HEADER.size))
        file.seek(header_size)
        for pts, size in _frame_headers(file):
            data = file.read(size)
            if len(data) != size:
                return
            yield IvfFrame(pts, data)


def scan_ivf_file(path: Path) -> IvfScan:
    """Count an IVF file's whole frames and find their first and last pts, reading only the
    frame headers.

    Raises:
        ValueError: Not an IVF file of a codec we store.
        OSError: The file cannot be read.
    """
    end = path.stat().st_size
    with path.open("rb") as file:
        header, header_size = _parse_header(file.read(_FILE_HEADER.size))
        file.seek(header_size)
        count, first, last = 0, None, None
        for pts, size in _frame_headers(file):
            if file.tell() + size > end:  # cut short by a crash
                break
            file.seek(size, 1)
            count += 1
            first = pts if first is None else first
            last = pts
    return IvfScan(header=header, frames=count, first_pts=first, last_pts=last)


def _parse_header(data: bytes) -> tuple[IvfHeader, int]:
    if len(data) < _FILE_HEADER.size:
        raise ValueError("not an IVF file: shorter than its header")
    sig, _, header_size, fourcc, width, height, rate, scale, count, _ = _FILE_HEADER.unpack_from(
        data
    )
    codec = next((c for c in VideoCodec if c.fourcc == fourcc), None)
    if sig != b"DKIF" or codec is None or header_size < _FILE_HEADER.size:
        raise ValueError("not an IVF file of VP8, VP9 or AV1")
    return IvfHeader(codec, width, height, rate, scale, count), header_size


def _frame_headers(file: BinaryIO) -> Iterator[tuple[int, int]]:
    """(pts, size) of each frame header from the current position; stops at garbage."""
    while len(raw := file.read(_FRAME_HEADER.size)) == _FRAME_HEADER.size:
        size, pts = _FRAME_HEADER.unpack(raw)
        if not 0 < size <= _MAX_FRAME:
            return
        yield pts, size


def _u16(value: int) -> int:
    return value if 0 <= value <= 0xFFFF else 0
