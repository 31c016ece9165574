"""Each participant's encoded video on disk, as it arrives: IVF segments in one directory.

A participant (any key, e.g. a ``participantKey``) gets ``<key>.<n>.ivf`` files, numbered
from 0: a new segment starts when their codec changes or their stream is ended and later
resumed, and always with a keyframe. Pts are on the call clock (90 kHz since call t=0), so
the composer can place every segment without any other index; `list_segments` rebuilds the
list from the files alone, after a crash too.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from recorder.video.ivf import IvfWriter, scan_ivf_file
from recorder.video.model import EncodedFrame, VideoCodec

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^(?P<key>[^.]+)\.(?P<n>\d{3,})\.ivf$")


@dataclass(frozen=True, slots=True)
class VideoSegment:
    """One IVF file of one participant."""

    key: str
    index: int
    path: Path
    codec: VideoCodec
    frames: int
    first_pts: int | None
    last_pts: int | None


class VideoStore:
    """Write participants' frames to their current segment (not thread-safe)."""

    def __init__(self, root: Path) -> None:
        """Use ``root`` (created if needed) for the segments."""
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._open: dict[str, tuple[int, VideoCodec, IvfWriter]] = {}
        self._next: dict[str, int] = {}
        self._done: list[VideoSegment] = []
        self.skipped = 0
        """Frames not stored: a segment cannot start with a delta frame."""

    def write(self, key: str, frame: EncodedFrame, pts: int) -> bool:
        """Store ``frame`` for ``key`` at ``pts`` (90 kHz, call clock); False if skipped.

        A pts that goes back is raised to the previous one.
        """
        if not key:
            raise ValueError("a video segment needs a non-empty key")
        current = self._open.get(key)
        if current is not None and current[1] is not frame.codec:
            self.end(key)
            current = None
        if current is None:
            if not frame.keyframe:
                self.skipped += 1
                return False
            current = self._start(key, frame)
        writer = current[2]
        last = writer.last_pts
        writer.write(frame.data, pts if last is None else max(pts, last))
        return True

    def end(self, key: str) -> None:
        """Close ``key``'s segment (they left, or their video moved away); no-op if none."""
        current = self._open.pop(key, None)
        if current is not None:
            index, codec, writer = current
            writer.close()
            self._done.append(_segment(key, index, codec, writer))

    def close(self) -> list[VideoSegment]:
        """Close every segment; return all segments written, in the order they ended."""
        for key in list(self._open):
            self.end(key)
        return list(self._done)

    def _start(self, key: str, frame: EncodedFrame) -> tuple[int, VideoCodec, IvfWriter]:
        index = self._next.get(key, 0)
        self._next[key] = index + 1
        path = self.root / f"{_file_key(key)}.{index:03d}.ivf"
        writer = IvfWriter(
            path, codec=frame.codec, width=frame.width or 0, height=frame.height or 0
        )
        logger.info("video: segment %d started (%s)", index, frame.codec)
        self._open[key] = (index, frame.codec, writer)
        return self._open[key]


def list_segments(root: Path) -> list[VideoSegment]:
    """Every readable segment under ``root``, by key then index (unreadable files skipped)."""
    found = []
    for path in sorted(root.glob("*.ivf")):
        match = _NAME.match(path.name)
        if match is None:
            continue
        try:
            scan = scan_ivf_file(path)
        except (OSError, ValueError) as exc:
            logger.warning("video: skipping unreadable segment %s: %s", path.name, exc)
            continue
        found.append(
            VideoSegment(
                key=unquote(match["key"]),
                index=int(match["n"]),
                path=path,
                codec=scan.header.codec,
                frames=scan.frames,
                first_pts=scan.first_pts,
                last_pts=scan.last_pts,
            )
        )
    return sorted(found, key=lambda s: (s.key, s.index))


def _file_key(key: str) -> str:
    """``key`` made safe for a file name and free of dots (reversed by ``unquote``)."""
    return quote(key, safe="").replace(".", "%2E")


def _segment(key: str, index: int, codec: VideoCodec, writer: IvfWriter) -> VideoSegment:
    return VideoSegment(
        key=key,
        index=index,
        path=writer.path,
        codec=codec,
        frames=writer.frames,
        first_pts=writer.first_pts,
        last_pts=writer.last_pts,
    )
