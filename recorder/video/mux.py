"""Write the composed MP4: H.264 frames at a constant rate, and the call's AAC as it is.

The video is encoded with libx264 (yuv420p, the given preset and CRF) and written with
``movflags=+faststart``. The audio is the mixed call audio: its AAC packets are copied, not
re-encoded, and interleaved with the video by time; a recording shorter than the call is
padded with encoded silence, a longer one cut. With no recording, the track is silence.
Both tracks start at call t=0 and last the call's duration (within one frame).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

logger = logging.getLogger(__name__)

SILENCE_RATE = 48_000
_AAC_FRAME = 1024


class Mp4Writer:
    """One MP4 being written: feed it the frames in order, then `close` it."""

    def __init__(
        self,
        path: Path,
        *,
        width: int,
        height: int,
        frame_rate: int,
        duration: float,
        audio: Path | None,
        crf: int = 23,
        preset: str = "veryfast",
        threads: int = 0,
    ) -> None:
        """Create ``path`` with a video track and the audio track.

        Args:
            path: The file to write (MP4, whatever its name).
            width: Frame width (even).
            height: Frame height (even).
            frame_rate: Frames per second.
            duration: The call's length in seconds: the audio is cut or padded to it.
            audio: The mixed call audio (AAC in MP4/M4A, from t=0), or None for silence.
            crf: x264 constant rate factor.
            preset: x264 preset.
            threads: x264 threads; 0 lets x264 choose.

        Raises:
            ValueError: ``audio`` cannot be read or holds no audio track.
        """
        self.path = path
        self.frames = 0
        self._rate = frame_rate
        self._closed = False
        self._output: Any = av.open(
            str(path), "w", format="mp4", options={"movflags": "+faststart"}
        )
        try:
            self._video = self._output.add_stream("libx264", rate=frame_rate)
            self._video.width, self._video.height = width, height
            self._video.pix_fmt = "yuv420p"
            self._video.thread_count = threads
            self._video.options = {"preset": preset, "crf": str(crf)}
            self._audio: _Audio = (
                _CopiedAudio(self._output, audio, duration)
                if audio is not None
                else _SilentAudio(self._output, duration)
            )
        except BaseException:
            self._output.close()
            raise

    def write(self, frame: av.VideoFrame) -> None:
        """Encode the next frame (shown at ``frames / frame_rate`` s) and mux what is due."""
        frame.pts = self.frames
        frame.time_base = Fraction(1, self._rate)
        frame.duration = 1
        self._mux(self._video.encode(frame))
        self.frames += 1
        self._audio.mux_until(self.frames / self._rate)

    def close(self) -> None:
        """Flush the encoder, write the rest of the audio and close the file."""
        try:
            self._mux(self._video.encode(None))
            self._audio.mux_until(None)
        finally:
            self.abort()

    def abort(self) -> None:
        """Close the files without finishing (the output is then unusable). Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._audio.close()
        finally:
            self._output.close()

    def _mux(self, packets: list[av.Packet[Any]]) -> None:
        for packet in packets:
            self._output.mux(packet)


class _Audio:
    """An audio track fed alongside the video."""

    def mux_until(self, seconds: float | None) -> None:
        """Mux the packets that start before ``seconds`` (None: all that remain)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the input, if any."""


class _CopiedAudio(_Audio):
    """The AAC packets of the recording, copied; cut or padded to the call's length."""

    def __init__(self, output: Any, path: Path, duration: float) -> None:
        try:
            self._input: Any = av.open(str(path))
        except (OSError, av.FFmpegError) as exc:
            raise ValueError(f"cannot read the call audio {path.name}: {exc}") from exc
        try:
            source = self._input.streams.audio[0]
            self._rate = int(source.sample_rate)
            self._time_base = source.time_base or Fraction(1, self._rate)
            self._layout = source.codec_context.layout.name
            self._stream = output.add_stream_from_template(source)
        except (IndexError, ValueError, av.FFmpegError) as exc:
            self._input.close()
            raise ValueError(f"no usable audio track in {path.name}: {exc}") from exc
        self._output = output
        self._end = round(duration * self._rate)
        self._packets = self._demux(source)
        self._next: av.Packet[Any] | None = None
        self._written = 0  # samples: where the copied audio ends
        self._padding: Iterator[av.Packet[Any]] | None = None

    def mux_until(self, seconds: float | None) -> None:
        limit = self._end if seconds is None else min(self._end, round(seconds * self._rate))
        while self._padding is None:
            if self._next is None:
                self._next = next(self._packets, None)
                if self._next is None:
                    self._padding = self._pad()
                    break
            start = self._start(self._next)
            if start >= limit:
                return
            self._written = start + self._samples(self._next.duration)
            self._next.stream = self._stream
            self._output.mux(self._next)
            self._next = None
        for packet in self._padding:
            self._output.mux(packet)
            if (packet.pts or 0) + _AAC_FRAME >= limit:
                break

    def close(self) -> None:
        self._input.close()

    def _start(self, packet: av.Packet[Any]) -> int:
        """The packet's start in samples."""
        return round(float((packet.pts or 0) * packet.time_base) * self._rate)

    def _samples(self, duration: int | None) -> int:
        """A packet duration (in the input stream's time base) in samples."""
        if not duration:
            return _AAC_FRAME
        return round(float(duration * self._time_base) * self._rate)

    def _demux(self, source: Any) -> Iterator[av.Packet[Any]]:
        try:
            for packet in self._input.demux(source):
                if packet.size and packet.pts is not None:
                    yield packet
        except av.FFmpegError as exc:
            logger.warning("compose: the call audio ends early (%s): padding with silence", exc)

    def _pad(self) -> Iterator[av.Packet[Any]]:
        """Silence from where the copied audio ends to the call's end."""
        missing = self._end - self._written
        if missing < _AAC_FRAME:
            return
        logger.warning("compose: the call audio is %.2f s short: padding", missing / self._rate)
        encoder = av.CodecContext.create("aac", "w")
        encoder.sample_rate, encoder.layout, encoder.format = self._rate, self._layout, "fltp"
        encoder.time_base = Fraction(1, self._rate)
        frames = itertools.chain(_silence(self._rate, self._layout, missing + _AAC_FRAME), [None])
        packets = (packet for frame in frames for packet in encoder.encode(frame))
        for index, packet in enumerate(packets):
            packet.pts = packet.dts = self._written + index * _AAC_FRAME
            if packet.pts >= self._end:
                return
            packet.time_base = Fraction(1, self._rate)
            packet.stream = self._stream
            yield packet


class _SilentAudio(_Audio):
    """An encoded silent AAC track, produced as the video advances."""

    def __init__(self, output: Any, duration: float) -> None:
        self._stream = output.add_stream("aac", rate=SILENCE_RATE, layout="mono")
        self._output = output
        self._frames = _silence(SILENCE_RATE, "mono", round(duration * SILENCE_RATE))
        self._done = 0
        self._flushed = False

    def mux_until(self, seconds: float | None) -> None:
        limit = None if seconds is None else round(seconds * SILENCE_RATE)
        while not self._flushed and (limit is None or self._done < limit):
            frame = next(self._frames, None)
            self._done += frame.samples if frame is not None else 0
            self._flushed = frame is None
            for packet in self._stream.encode(frame):
                self._output.mux(packet)


def _silence(rate: int, layout: str, samples: int) -> Iterator[av.AudioFrame]:
    """``samples`` of silence in AAC-sized float frames, numbered from 0."""
    channels = av.AudioLayout(layout).nb_channels
    for start in range(0, samples, _AAC_FRAME):
        count = min(_AAC_FRAME, samples - start)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((channels, count), np.float32), format="fltp", layout=layout
        )
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        yield frame
