"""Opus packets (real libopus, through PyAV) decoded one by one into mono float32 PCM."""

from __future__ import annotations

from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest

from recorder.capture.opus import FRAME_SAMPLES, SILENCE_FRAME, packet_samples
from recorder.live import OpusDecoder
from tests.media import RATE, onset, tone_level

AMP = 0.4
RMS = AMP / np.sqrt(2)  # what tone_level reports for a sine of amplitude AMP


def sine(freq: float, seconds: float) -> npt.NDArray[np.float32]:
    t = np.arange(int(seconds * RATE)) / RATE
    return (AMP * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def encode(*channels: npt.NDArray[np.float32]) -> list[bytes]:
    """20 ms Opus packets of one (mono) or two (stereo, left and right) signals."""
    layout = "stereo" if len(channels) == 2 else "mono"
    encoder: Any = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = RATE, layout, "flt"
    encoder.bit_rate = 64_000
    interleaved = np.stack(channels, axis=1).reshape(1, -1)  # flt is packed
    packets: list[bytes] = []
    for start in range(0, len(channels[0]), FRAME_SAMPLES):
        chunk = interleaved[:, start * len(channels) : (start + FRAME_SAMPLES) * len(channels)]
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="flt", layout=layout)
        frame.sample_rate, frame.pts = RATE, start
        packets += [bytes(p) for p in encoder.encode(frame)]
    return packets


def decode_all(decoder: OpusDecoder, packets: list[bytes]) -> npt.NDArray[np.float32]:
    parts = [decoder.decode(p, packet_samples(p)) for p in packets]
    assert all(part.dtype == np.float32 and len(part) == FRAME_SAMPLES for part in parts)
    return np.concatenate(parts)


@pytest.fixture(scope="module")
def tone_440() -> list[bytes]:
    return encode(sine(440, 1.0))


def test_a_tone_decodes_at_its_level_and_frequency(tone_440: list[bytes]) -> None:
    decoder = OpusDecoder()
    pcm = decode_all(decoder, tone_440)
    assert len(pcm) == RATE
    assert tone_level(pcm, 440, start=0.1, end=0.9) == pytest.approx(RMS, rel=0.1)
    assert tone_level(pcm, 1250, start=0.1, end=0.9) < 0.01 * RMS
    assert decoder.errors == 0


def test_silence_frames_and_dtx_are_zeros_without_the_decoder() -> None:
    decoder = OpusDecoder()
    bad_if_decoded = bytes([0xFB, 0x00, 0x00])  # code 3 with zero frames: libopus rejects it
    for payload, samples in ((SILENCE_FRAME, 960), (b"\xf8", 960), (bad_if_decoded, 480)):
        pcm = decoder.decode(payload, samples)
        assert pcm.dtype == np.float32
        assert len(pcm) == samples
        assert not pcm.any()
    assert decoder.errors == 0


def test_speech_after_silence_starts_on_time(tone_440: list[bytes]) -> None:
    decoder = OpusDecoder()
    packets = tone_440[:10] + [SILENCE_FRAME] * 25 + tone_440[:25]  # 0.2 s, 0.5 s gap, 0.5 s
    pcm = decode_all(decoder, packets)
    assert onset(pcm[int(0.3 * RATE) :]) == pytest.approx(0.4, abs=0.02)
    assert tone_level(pcm, 440, start=0.25, end=0.65) < 0.001
    assert tone_level(pcm, 440, start=0.8, end=1.2) == pytest.approx(RMS, rel=0.15)


def test_stereo_packets_are_downmixed() -> None:
    packets = encode(sine(440, 1.0), sine(1250, 1.0))
    assert packets[5][0] & 0x04  # the TOC says stereo
    pcm = decode_all(OpusDecoder(), packets)
    assert len(pcm) == RATE
    for freq in (440, 1250):  # each channel at half its level
        assert tone_level(pcm, freq, start=0.1, end=0.9) == pytest.approx(RMS / 2, rel=0.15)


def test_a_corrupt_packet_is_counted_silence_and_decoding_goes_on(tone_440: list[bytes]) -> None:
    decoder = OpusDecoder()
    corrupt = [b"\xff\xff\xff\xff\xff", bytes([0xFB, 0x03, 0x05, 0x07])]
    head = decode_all(decoder, tone_440[:20])
    lost = [decoder.decode(p, FRAME_SAMPLES) for p in corrupt]
    tail = decode_all(decoder, tone_440[20:])
    assert decoder.errors == 2
    assert all(len(p) == FRAME_SAMPLES and not p.any() for p in lost)
    assert tone_level(head, 440, start=0.1) == pytest.approx(RMS, rel=0.1)
    assert tone_level(tail, 440, start=0.1) == pytest.approx(RMS, rel=0.15)


def test_output_is_padded_or_cut_to_the_requested_length(tone_440: list[bytes]) -> None:
    decoder = OpusDecoder()
    decode_all(decoder, tone_440[:10])
    longer = decoder.decode(tone_440[10], 1200)
    assert len(longer) == 1200
    assert np.abs(longer[:960]).max() > 0.1
    assert not longer[960:].any()
    assert len(decoder.decode(tone_440[11], 480)) == 480
    assert len(decoder.decode(tone_440[12], 0)) == 0
    with pytest.raises(ValueError, match="-1 samples"):
        decoder.decode(tone_440[13], -1)
