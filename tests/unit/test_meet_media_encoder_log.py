"""The sandbox's AV1 encoder starts quietly: SVT-AV1's banner stays off stderr."""

from __future__ import annotations

import av
import numpy as np
import pytest

from recorder.video.model import VideoCodec
from sandbox.meet_media.video import open_encoder


def test_an_av1_encoder_prints_nothing_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    encoder = open_encoder(VideoCodec.AV1, width=128, height=72, fps=15, gop=15, bit_rate=100_000)
    frame = av.VideoFrame.from_ndarray(np.zeros((72, 128, 3), dtype=np.uint8), format="rgb24")
    frame = frame.reformat(format="yuv420p")
    frame.pts = 0

    packets = [*encoder.encode(frame), *encoder.encode(None)]

    assert packets
    assert "Svt[" not in capfd.readouterr().err
