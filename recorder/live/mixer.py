"""Mix speakers' PCM into one AAC (M4A) recording while the call goes on, so it ends with it."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from recorder.capture.opus import RATE

logger = logging.getLogger(__name__)

Pcm = npt.NDArray[np.float32]

_TIME_BASE = Fraction(1, RATE)
_CLIP_LOW, _CLIP_HIGH = -1.0, 32767 / 32768  # the s16 range mix.py clips the sum to
_BLOCK = 10 * RATE  # most samples mixed in one step (bounds the scratch memory)


class _Tail:
    """One speaker's samples not mixed yet, and where its audio ends on the call clock."""

    __slots__ = ("chunks", "end", "size")

    def __init__(self) -> None:
        self.chunks: list[Pcm] = []
        self.end = 0  # call-clock sample after the last one added
        self.size = 0  # samples held in ``chunks``, which start at the mixed point

    def append(self, pcm: Pcm, mixed: int) -> None:
        """Add samples that follow ``end``, dropping any that fall before ``mixed``."""
        start = self.end
        self.end += len(pcm)
        skip = max(0, mixed - start)
        if skip < len(pcm):
            self.chunks.append(pcm[skip:])
            self.size += len(pcm) - skip

    def take(self, count: int) -> Pcm:
        """Remove and return up to ``count`` samples from the front."""
        if not self.chunks:
            return np.zeros(0, dtype=np.float32)
        joined = self.chunks[0] if len(self.chunks) == 1 else np.concatenate(self.chunks)
        head, rest = joined[:count], joined[count:]
        self.chunks = [rest] if len(rest) else []
        self.size = len(rest)
        return head


class _Output:
    """The M4A file and its AAC encoder (same container options as ``capture.mix``)."""

    def __init__(self, dest: Path, bit_rate: int) -> None:
        self._container: Any = av.open(
            str(dest), "w", format="ipod", options={"movflags": "+faststart"}
        )
        try:
            self._stream: Any = self._container.add_stream("aac", rate=RATE, layout="mono")
            self._stream.bit_rate = bit_rate
        except BaseException:
            self._container.close()
            raise

    def encode(self, pcm: Pcm, pts: int) -> None:
        """Encode mixed samples that start at call-clock sample ``pts``."""
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = RATE
        frame.pts = pts
        frame.time_base = _TIME_BASE
        self._container.mux(self._stream.encode(frame))  # PyAV cuts it into 1024-sample frames

    def finish(self) -> None:
        """Flush the encoder (a short last frame) and write the index; closes in any case."""
        try:
            self._container.mux(self._stream.encode(None))
        finally:
            self._container.close()

    def abort(self) -> None:
        """Close the file without flushing (after a failure)."""
        self._container.close()


class LiveMixer:
    """Sum the speakers' call-aligned PCM, clip it and encode AAC into an M4A as audio comes in.

    Each speaker's samples are contiguous from call t=0. Audio is mixed up to the point every
    known speaker has reached, so only the unmixed tails stay in memory; a speaker more than
    ``max_lag`` behind the one furthest ahead is mixed as silence meanwhile (its late samples
    are dropped) so that memory stays bounded if a feed stalls. Runs in a worker thread; not
    thread-safe; one instance per call.
    """

    def __init__(self, *, dest: Path, bit_rate: int = 96_000, max_lag: float = 10.0) -> None:
        """Prepare the mixer; ``dest`` is created on the first ``add``.

        Args:
            dest: The M4A file to write.
            bit_rate: AAC bit rate.
            max_lag: Seconds a speaker may fall behind the furthest one before the mix goes
                on without it.
        """
        self._dest = dest
        self._bit_rate = bit_rate
        self._max_lag = max(1, round(max_lag * RATE))
        self._tails: dict[str, _Tail] = {}
        self._mixed = 0
        self._output: _Output | None = None
        self._closed = False

    @property
    def written(self) -> float:
        """Seconds mixed and handed to the encoder so far."""
        return self._mixed / RATE

    def add(self, key: str, pcm: npt.ArrayLike) -> None:
        """Append speaker ``key``'s next samples and mix what every speaker has covered.

        Args:
            key: The speaker; its first samples are at call t=0 (those before the mixed
                point are dropped: a late joiner's track is silence there).
            pcm: Mono 48 kHz samples in [-1, 1], contiguous with the key's previous ones;
                copied.

        Raises:
            ValueError: ``pcm`` is not one-dimensional.
            RuntimeError: The mixer is closed.
        """
        if self._closed:
            raise RuntimeError("the live mix is closed")
        samples = np.array(pcm, dtype=np.float32)
        if samples.ndim != 1:
            raise ValueError(f"expected mono samples, got an array of shape {samples.shape}")
        if self._output is None:
            self._output = _Output(self._dest, self._bit_rate)
        tail = self._tails.get(key)
        if tail is None:
            tail = self._tails[key] = _Tail()
        tail.append(samples, self._mixed)
        self._mix_to(self._ready())

    def close(self, *, duration: float) -> float:
        """Mix what is left, pad with silence or cut to ``duration`` and finish the file.

        Audio already encoded stays: if more than ``duration`` was written, the file is longer.

        Args:
            duration: Length of the recording in seconds.

        Returns:
            The seconds written; the same on every later call.

        Raises:
            ValueError: Nothing was ever added (nothing to mix).
        """
        if self._output is None:
            raise ValueError("nothing to mix: no audio was added")
        if self._closed:
            return self.written
        self._closed = True
        total = max(1, round(duration * RATE))
        try:
            self._mix_to(total)
        except BaseException:
            self._output.abort()
            raise
        finally:
            self._tails.clear()
        self._output.finish()
        if self._mixed > total:
            logger.warning(
                "live mix ran %.2f s past the requested %.2f s",
                (self._mixed - total) / RATE,
                duration,
            )
        logger.info("live mix of %s finished: %.1f s", self._dest.name, self.written)
        return self.written

    def _ready(self) -> int:
        """The call-clock sample every speaker has reached, or the lag limit behind the lead."""
        ends = [tail.end for tail in self._tails.values()]
        ready, lead = min(ends), max(ends)
        if lead - ready <= self._max_lag:
            return ready
        target = lead - self._max_lag
        for key, tail in self._tails.items():
            if self._mixed <= tail.end < target:  # its audio runs out in this step
                logger.warning(
                    "live mix goes on without %s, %.1f s behind", key, (lead - tail.end) / RATE
                )
        return target

    def _mix_to(self, target: int) -> None:
        """Sum, clip and encode every speaker's samples up to call-clock sample ``target``."""
        assert self._output is not None
        while self._mixed < target:
            count = min(target - self._mixed, _BLOCK)
            out = np.zeros(count, dtype=np.float32)
            for tail in self._tails.values():
                head = tail.take(count)
                out[: len(head)] += head
            np.clip(out, _CLIP_LOW, _CLIP_HIGH, out=out)
            self._output.encode(out, self._mixed)
            self._mixed += count
