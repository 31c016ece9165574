"""Each stored video stream decoded lazily, in pts order, as the composer walks the call.

A `StreamSource` answers "what does this stream show at call time t": the latest picture
with a pts at or before t. Within a segment a picture is held until the next one (the
sender may pause, e.g. a still screenshare); after a segment's last frame it stays for
`LINGER` seconds, then the stream shows nothing until its next segment. Frames are read
from the IVF files as they are needed and decoded once each, one frame ahead of the
composer at most; a picture is scaled (swscale, through PyAV) once per tile size it is
shown at. A frame the decoder rejects is logged and skipped with everything up to the next
keyframe.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import av
from av.video.codeccontext import VideoCodecContext
from av.video.reformatter import Interpolation, VideoReformatter

from recorder.video import av1, vp8, vp9
from recorder.video.canvas import Planes
from recorder.video.ivf import iter_ivf_file
from recorder.video.model import CLOCK_RATE, PayloadError, VideoCodec
from recorder.video.store import VideoSegment

logger = logging.getLogger(__name__)

LINGER = 2.0
"""Seconds a stream's last picture stays after its segment's last frame."""


@dataclass(slots=True, eq=False)
class Picture:
    """One decoded picture of a stream and where it sits on the call clock."""

    serial: int
    """Counts the stream's pictures: a new value means a new picture."""
    pts: int
    segment: VideoSegment
    frame: av.VideoFrame
    scaled: dict[tuple[int, int], Planes] = field(default_factory=dict)

    @property
    def width(self) -> int:
        """Decoded width."""
        return int(self.frame.width)

    @property
    def height(self) -> int:
        """Decoded height."""
        return int(self.frame.height)


class StreamSource:
    """One stream key's segments, decoded on demand for increasing call times."""

    def __init__(
        self, key: str, segments: Sequence[VideoSegment], *, linger: float = LINGER
    ) -> None:
        """Prepare to decode ``segments`` (those of ``key`` with frames, in index order)."""
        self.key = key
        self.segments = tuple(
            sorted((s for s in segments if s.first_pts is not None), key=lambda s: s.index)
        )
        self._linger = round(linger * CLOCK_RATE)
        self._pictures = self._decode_all()
        self._ahead: tuple[av.VideoFrame, int, VideoSegment] | None = None
        self._current: Picture | None = None
        self._serial = 0
        self._reformatter = VideoReformatter()
        self.decoded = 0
        """Pictures decoded so far."""
        self.errors = 0
        """Frames the decoder rejected."""
        self.skipped = 0
        """Frames left out while waiting for a keyframe after an error."""

    @property
    def first_pts(self) -> int | None:
        """Pts of the stream's first frame."""
        return self.segments[0].first_pts if self.segments else None

    def at(self, pts: int) -> Picture | None:
        """The picture shown at call time ``pts`` (90 kHz); times must not go back."""
        while True:
            if self._ahead is None:
                self._ahead = next(self._pictures, None)
                if self._ahead is None:
                    break
            frame, frame_pts, segment = self._ahead
            if frame_pts > pts:
                break
            self._serial += 1
            self._current = Picture(self._serial, frame_pts, segment, frame)
            self._ahead = None
        current = self._current
        if current is None or pts > (current.segment.last_pts or 0) + self._linger:
            return None
        return current

    def close(self) -> None:
        """Stop decoding and close the file being read. Idempotent."""
        self._pictures.close()
        self._ahead = self._current = None

    def scaled(self, picture: Picture, width: int, height: int) -> Planes:
        """``picture`` scaled to ``width`` x ``height`` (even) as yuv420p, cached."""
        planes = picture.scaled.get((width, height))
        if planes is None:
            frame = self._reformatter.reformat(
                picture.frame, width, height, "yuv420p", interpolation=Interpolation.BILINEAR
            )
            planes = picture.scaled[(width, height)] = Planes.from_frame(frame)
        return planes

    def _decode_all(self) -> Generator[tuple[av.VideoFrame, int, VideoSegment], None, None]:
        for segment in self.segments:
            for frame, pts in self._decode(segment):
                self.decoded += 1
                yield frame, pts, segment

    def _decode(self, segment: VideoSegment) -> Iterator[tuple[av.VideoFrame, int]]:
        """Decode one segment; after a decoder error, resume at the next keyframe."""
        decoder: VideoCodecContext | None = _decoder(segment.codec)
        for pts, data in _ivf_frames(segment.path):
            if decoder is None:
                if not is_keyframe(segment.codec, data):
                    self.skipped += 1
                    continue
                decoder = _decoder(segment.codec)
            packet = av.Packet(data)
            packet.pts = pts
            try:
                frames = decoder.decode(packet)
            except av.FFmpegError as exc:
                self.errors += 1
                logger.warning(
                    "video: cannot decode a %s frame of %s at pts %d, skipping to the next "
                    "keyframe: %s",
                    segment.codec,
                    segment.path.name,
                    pts,
                    exc,
                )
                decoder = None
                continue
            for frame in frames:
                yield frame, pts if frame.pts is None else int(frame.pts)
        if decoder is not None:
            yield from _flush(decoder, segment)


def is_keyframe(codec: VideoCodec, data: bytes) -> bool:
    """Whether a stored frame (as in the IVF files) decodes without earlier frames."""
    try:
        if codec is VideoCodec.VP8:
            return vp8.frame_size(data) is not None
        if codec is VideoCodec.VP9:
            return vp9.frame_header(vp9.split_superframe(data)[0]).keyframe
        obus = av1.parse_obus(data)
        sequence = next((o for o in obus if o.type == av1.OBU_SEQUENCE_HEADER), None)
        frame = next((o for o in obus if o.type in (av1.OBU_FRAME, av1.OBU_FRAME_HEADER)), None)
        if sequence is None or frame is None:
            return False
        return av1.is_key_frame_header(frame.payload, av1.parse_sequence_header(sequence.payload))
    except (PayloadError, IndexError):
        return False


def _decoder(codec: VideoCodec) -> VideoCodecContext:
    """One single-threaded decoder: no frame delay, and the composer's one core."""
    context = av.CodecContext.create(codec.decoder, "r")
    if not isinstance(context, VideoCodecContext):
        raise TypeError(f"{codec.decoder} is not a video decoder")
    context.thread_count = 1
    return context


def _flush(
    decoder: VideoCodecContext, segment: VideoSegment
) -> Iterator[tuple[av.VideoFrame, int]]:
    """Pictures the decoder still holds at the end of a segment."""
    try:
        frames = decoder.decode(None)
    except av.FFmpegError as exc:
        logger.warning("video: flushing the decoder of %s failed: %s", segment.path.name, exc)
        return
    for frame in frames:
        if frame.pts is not None:
            yield frame, int(frame.pts)


def _ivf_frames(path: Path) -> Iterator[tuple[int, bytes]]:
    """(pts, data) of each whole frame of an IVF file, read as needed (it may be large)."""
    try:
        for frame in iter_ivf_file(path):
            yield frame.pts, frame.data
    except (OSError, ValueError) as exc:
        logger.warning("video: cannot read %s: %s", path.name, exc)
