"""One call's video on disk: each stream's encoded frames in IVF segments, on the call clock.

The composer places every segment by its pts alone, so pts must be call time: 90 kHz ticks
since call t=0, the same monotonic t0 as the audio capture (`CallCapture.t0`). A segment is
anchored at its first frame's arrival and then follows the frames' RTP timestamps, which
keep the sender's spacing exactly (arrival times carry network jitter). When RTP time and
arrival time disagree by more than `REANCHOR_SECONDS` (a sender restarted, or its stream
was switched), the segment is anchored again at the frame's arrival.

Next to the segments, ``tiles.json`` names every stream (`recorder.video.tiles`); it is
rewritten whenever a stream appears or a name changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from recorder.directory import tile_name
from recorder.model import Speaker
from recorder.video.model import CLOCK_RATE, EncodedFrame, VideoCodec
from recorder.video.store import VideoSegment, VideoStore
from recorder.video.tiles import TileInfo, write_tiles

logger = logging.getLogger(__name__)

REANCHOR_SECONDS = 1.0


@dataclass(slots=True)
class _Anchor:
    """Where one open segment's RTP time sits on the call clock."""

    codec: VideoCodec
    pts: int
    rtp: int


@dataclass(slots=True)
class VideoCaptureStats:
    """Counters for logs and the recording's stats."""

    frames: int = 0
    bytes: int = 0
    keyframes: int = 0
    skipped: int = 0
    """Frames not stored: before start or after close, or a segment starting with a delta."""
    reanchored: int = 0


class VideoCapture:
    """Store each stream's frames as they arrive (not thread-safe: use one task)."""

    def __init__(self, video_dir: Path) -> None:
        """Prepare a capture into ``video_dir``; nothing is written before a frame is."""
        self.video_dir = video_dir
        self._store: VideoStore | None = None
        self._t0: float | None = None
        self._anchors: dict[str, _Anchor] = {}
        self._tiles: dict[str, TileInfo] = {}
        self._segments: list[VideoSegment] | None = None
        self.stats = VideoCaptureStats()

    @property
    def started(self) -> bool:
        """Whether ``start`` was called."""
        return self._t0 is not None

    @property
    def tiles(self) -> dict[str, TileInfo]:
        """The streams seen so far, by key."""
        return dict(self._tiles)

    def start(self, t0: float) -> None:
        """Set call t=0 (monotonic seconds, the audio capture's) and open the store."""
        if self._t0 is not None:
            return
        self._t0 = t0
        self._store = VideoStore(self.video_dir)
        logger.info("video capture started in %s", self.video_dir)

    def frame(self, key: str, tile: TileInfo, frame: EncodedFrame, arrival: float) -> bool:
        """Store one frame of stream ``key`` that arrived at ``arrival`` (monotonic seconds).

        Args:
            key: The stream (segment) key.
            tile: How the stream is shown; a changed name rewrites ``tiles.json``.
            frame: The frame; its ``timestamp`` is the unwrapped RTP timestamp.
            arrival: When its last packet arrived, on the clock of ``t0``.

        Returns:
            Whether it was stored (a segment cannot begin with a delta frame; nothing is
            stored before `start` or after `close`).

        Raises:
            OSError: The segment or ``tiles.json`` could not be written.
        """
        store = self._store
        if store is None or self._segments is not None:
            self.stats.skipped += 1
            return False
        anchor = self._anchors.get(key)
        if anchor is not None and anchor.codec is not frame.codec:
            anchor = None  # the store starts a new segment for the new codec
            del self._anchors[key]
        pts = self._pts(anchor, frame, arrival)
        if not store.write(key, frame, pts):
            self.stats.skipped += 1
            return False
        if anchor is None:
            self._anchors[key] = _Anchor(codec=frame.codec, pts=pts, rtp=frame.timestamp)
        self.stats.frames += 1
        self.stats.bytes += len(frame.data)
        self.stats.keyframes += frame.keyframe
        self._tile(key, tile)
        return True

    def _pts(self, anchor: _Anchor | None, frame: EncodedFrame, arrival: float) -> int:
        assert self._t0 is not None
        arrived = max(0, round((arrival - self._t0) * CLOCK_RATE))
        if anchor is None:
            return arrived
        pts = anchor.pts + frame.timestamp - anchor.rtp
        if abs(pts - arrived) <= REANCHOR_SECONDS * CLOCK_RATE:
            return pts
        logger.info(
            "video: RTP time and arrival disagree by %.1f s; re-anchoring",
            (pts - arrived) / CLOCK_RATE,
        )
        self.stats.reanchored += 1
        anchor.pts, anchor.rtp = arrived, frame.timestamp
        return arrived

    def rename(self, speaker: Speaker) -> None:
        """A participant's name became known or changed: rename their tiles.

        Raises:
            OSError: ``tiles.json`` could not be written.
        """
        changed = False
        for key, tile in self._tiles.items():
            if tile.speaker_key != speaker.key:
                continue
            name = tile_name(speaker.display_name, screenshare=tile.screenshare)
            if name != tile.name:
                self._tiles[key] = replace(tile, name=name)
                changed = True
        if changed:
            write_tiles(self.video_dir, self._tiles.values())

    def _tile(self, key: str, tile: TileInfo) -> None:
        tile = tile if tile.key == key else replace(tile, key=key)
        if self._tiles.get(key) != tile:
            self._tiles[key] = tile
            write_tiles(self.video_dir, self._tiles.values())

    def end(self, key: str) -> None:
        """End ``key``'s current segment (its video stopped or moved); no-op if none."""
        self._anchors.pop(key, None)
        if self._store is not None and self._segments is None:
            self._store.end(key)

    def end_all(self) -> None:
        """End every open segment (the media session ended; a reconnect starts new ones)."""
        for key in list(self._anchors):
            self.end(key)

    def close(self) -> list[VideoSegment]:
        """Close every segment (idempotent); return all segments written, frames or not."""
        if self._segments is None:
            self._anchors.clear()
            self._segments = self._store.close() if self._store is not None else []
            logger.info(
                "video capture closed: %d segment(s), %d frame(s), %d byte(s), %d skipped",
                len(self._segments),
                self.stats.frames,
                self.stats.bytes,
                self.stats.skipped,
            )
        return list(self._segments)
