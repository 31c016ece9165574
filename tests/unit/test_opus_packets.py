"""Opus TOC parsing (RFC 6716 §3.1) and the silence frames used for padding."""

from __future__ import annotations

import pytest

from recorder.capture.opus import (
    FRAME_SAMPLES,
    SILENCE_FRAME,
    SILENCE_FRAMES,
    is_voiced,
    packet_samples,
    silence,
)


def _toc(config: int, *, stereo: bool = False, code: int = 0) -> int:
    return config << 3 | (4 if stereo else 0) | code


@pytest.mark.parametrize(
    ("config", "samples"),
    [
        (0, 480), (1, 960), (2, 1920), (3, 2880),  # SILK NB 10/20/40/60 ms
        (11, 2880),  # SILK WB 60 ms
        (12, 480), (13, 960), (14, 480), (15, 960),  # hybrid SWB/FB 10/20 ms
        (16, 120), (17, 240), (18, 480), (19, 960),  # CELT NB 2.5/5/10/20 ms
        (28, 120), (31, 960),  # CELT FB
    ],
)  # fmt: skip
def test_code_0_is_one_frame_of_the_configured_size(config: int, samples: int) -> None:
    assert packet_samples(bytes([_toc(config), 1, 2, 3])) == samples
    assert packet_samples(bytes([_toc(config, stereo=True)])) == samples


def test_codes_1_and_2_are_two_frames() -> None:
    assert packet_samples(bytes([_toc(31, code=1), 1, 2])) == 1920
    assert packet_samples(bytes([_toc(1, code=2), 1, 9])) == 1920


def test_code_3_reads_the_frame_count() -> None:
    assert packet_samples(bytes([_toc(18, code=3), 0x03, 0, 0, 0])) == 3 * 480
    assert packet_samples(bytes([_toc(16, code=3), 0xC0 | 48])) == 48 * 120  # VBR+padding bits


@pytest.mark.parametrize(
    "packet",
    [
        b"",
        bytes([_toc(31, code=1), 1]),  # odd payload cannot be two equal frames
        bytes([_toc(31, code=2)]),  # no frame length
        bytes([_toc(31, code=3)]),  # no frame count
        bytes([_toc(31, code=3), 0]),  # zero frames
        bytes([_toc(3, code=3), 3]),  # 180 ms > 120 ms
    ],
)
def test_malformed_packets_raise(packet: bytes) -> None:
    with pytest.raises(ValueError, match="Opus"):
        packet_samples(packet)


def test_silence_frames_have_their_durations() -> None:
    assert SILENCE_FRAME == b"\xf8\xff\xfe"
    assert packet_samples(SILENCE_FRAME) == FRAME_SAMPLES
    for samples, frame in SILENCE_FRAMES.items():
        assert packet_samples(frame) == samples


def test_silence_covers_a_gap_rounded_down_to_2_5_ms() -> None:
    frames = silence(3 * 960 + 480 + 120 + 50)
    assert sum(packet_samples(f) for f in frames) == 3 * 960 + 600
    assert frames[:3] == [SILENCE_FRAME] * 3
    assert silence(119) == []


def test_voiced_means_more_than_a_toc_and_a_couple_of_bytes() -> None:
    assert not is_voiced(SILENCE_FRAME)
    assert not is_voiced(bytes([_toc(31)]))  # DTX
    assert is_voiced(bytes([_toc(31)]) + bytes(40))
