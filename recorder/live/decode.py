"""Decode one speaker's Opus packets into mono float32 PCM at 48 kHz, one packet at a time."""

from __future__ import annotations

import logging
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from recorder.capture.opus import RATE

logger = logging.getLogger(__name__)

_S16_SCALE = 1 / 32768
_SILENT_BYTES = 3  # our padding frames and DTX packets (see recorder.capture.opus.is_voiced)


def _codec_name() -> str:
    """Prefer libopus: it returns exactly each packet's audio and downmixes stereo itself."""
    return "libopus" if "libopus" in av.codecs_available else "opus"


class OpusDecoder:
    """Turn one speaker stream's Opus packets, in call order, into PCM.

    Opus keeps state from packet to packet, so use one decoder per speaker stream and feed it
    every packet in order. Runs in a worker thread; not thread-safe.
    """

    def __init__(self) -> None:
        """Open a mono 48 kHz decoder (stereo packets are downmixed by it)."""
        codec: Any = av.CodecContext.create(_codec_name(), "r")
        codec.sample_rate = RATE
        codec.layout = "mono"
        self._codec = codec
        self._errors = 0
        self._gap = False  # silence was skipped since the last decoded packet

    @property
    def errors(self) -> int:
        """Packets the decoder rejected (each one became silence)."""
        return self._errors

    def decode(self, payload: bytes, samples: int) -> npt.NDArray[np.float32]:
        """Decode one packet into exactly ``samples`` of mono float32 PCM at 48 kHz.

        Packets of at most 3 bytes (our silence frames, DTX) are silence and skip the decoder;
        a packet the decoder rejects is counted in ``errors`` and becomes silence.

        Args:
            payload: One Opus packet.
            samples: How many samples it stands for on the call clock; the decoder's output is
                padded with silence or cut to this length.

        Returns:
            A new float32 array of length ``samples``.

        Raises:
            ValueError: ``samples`` is negative.
        """
        if samples < 0:
            raise ValueError(f"cannot decode into {samples} samples")
        if len(payload) <= _SILENT_BYTES:
            self._gap = True
            return np.zeros(samples, dtype=np.float32)
        if self._gap:
            self._codec.flush_buffers()  # start afresh: the skipped silence broke continuity
            self._gap = False
        try:
            frames = self._codec.decode(av.Packet(payload))
        except av.FFmpegError as exc:
            self._errors += 1
            self._gap = True
            logger.debug("opus packet of %d bytes rejected: %s", len(payload), exc)
            return np.zeros(samples, dtype=np.float32)
        return _fit([_mono(frame) for frame in frames], samples)


def _mono(frame: Any) -> npt.NDArray[np.float32]:
    """One decoded frame as mono float32 (s16 or float, packed or planar, averaged channels)."""
    data: npt.NDArray[Any] = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if channels > 1:
        data = data.reshape(-1, channels).T if frame.format.is_packed else data
        data = data.mean(axis=0, dtype=np.float32)
    data = data.reshape(-1)
    if data.dtype == np.int16:
        scaled: npt.NDArray[np.float32] = np.multiply(data, _S16_SCALE, dtype=np.float32)
        return scaled
    return data.astype(np.float32, copy=False)


def _fit(parts: list[npt.NDArray[np.float32]], samples: int) -> npt.NDArray[np.float32]:
    """Concatenate ``parts`` and pad with zeros or cut to ``samples``."""
    if len(parts) == 1 and len(parts[0]) == samples:
        return parts[0]
    out = np.zeros(samples, dtype=np.float32)
    at = 0
    for part in parts:
        take = min(len(part), samples - at)
        out[at : at + take] = part[:take]
        at += take
    return out
