"""Placing one speaker's packets on the call clock: gaps, loss, reordering, duplicates, SSRCs."""

from __future__ import annotations

from pathlib import Path

import pytest

from recorder.capture.ogg import OggOpusWriter, read_pages
from recorder.capture.opus import packet_samples
from recorder.capture.track import SpeakerTrack

T0 = 1000.0
FRAME = 0.02


def voiced(n: int) -> bytes:
    """A recognisable 20 ms CELT packet (code 0) carrying ``n``."""
    return bytes([0xFC]) + n.to_bytes(4, "big") + bytes(20)


def _track(tmp_path: Path) -> tuple[SpeakerTrack, Path]:
    path = tmp_path / "t.ogg"
    return SpeakerTrack(writer=OggOpusWriter(path=path, serial=1), start=T0), path


def layout(path: Path) -> list[tuple[float, int | None]]:
    """(start second, packet number or None for silence) of every audio packet."""
    pages = list(read_pages(path.read_bytes()))
    out: list[tuple[float, int | None]] = []
    at = 0
    for packet in (p for page in pages[2:] for p in page.packets):
        out.append(
            (round(at / 48000, 4), int.from_bytes(packet[1:5], "big") if len(packet) > 3 else None)
        )
        at += packet_samples(packet)
    return out


def voiced_at(path: Path) -> dict[int, float]:
    return {n: t for t, n in layout(path) if n is not None}


def send(
    track: SpeakerTrack, n: int, *, at: float, ssrc: int = 1, ts0: int = 0, seq0: int = 0
) -> None:
    """Packet ``n`` of a run whose first packet covers call time ``at``; arrives as it ends."""
    track.push(
        payload=voiced(n),
        ssrc=ssrc,
        seq=(seq0 + n) & 0xFFFF,
        rtp_ts=(ts0 + 960 * n) & 0xFFFFFFFF,
        arrival=T0 + at + (n + 1) * FRAME,
    )


def test_first_word_is_preceded_by_silence_and_end_is_padded(tmp_path: Path) -> None:
    track, path = _track(tmp_path)
    for n in range(3):
        send(track, n, at=1.0)
    track.finish(at=T0 + 2.0)
    got = layout(path)
    assert got[:50] == [(round(k * FRAME, 4), None) for k in range(50)]
    assert got[50:53] == [(1.0, 0), (1.02, 1), (1.04, 2)]
    assert sum(packet_samples(b"\xf8\xff\xfe") for _ in got) == 2 * 48000
    assert (track.packets, track.dropped) == (3, 0)
    assert track.voiced_seconds == pytest.approx(0.06)
    assert track.duration == pytest.approx(2.0)


def test_lost_packet_becomes_silence(tmp_path: Path) -> None:
    track, path = _track(tmp_path)
    for n in (0, 1, *range(3, 20)):
        send(track, n, at=0.0)
    track.finish(at=T0 + 0.4)
    got = layout(path)
    assert got[1:4] == [(0.02, 1), (0.04, None), (0.06, 3)]
    assert track.dropped == 0


def test_reordered_packets_are_written_in_order(tmp_path: Path) -> None:
    track, path = _track(tmp_path)
    for n in (0, 2, 1, 3, 5, 4):
        send(track, n, at=0.5)
    track.finish(at=T0 + 1.0)
    assert voiced_at(path) == {n: pytest.approx(0.5 + n * FRAME) for n in range(6)}
    assert track.dropped == 0


def test_duplicates_and_too_late_packets_are_dropped(tmp_path: Path) -> None:
    track, path = _track(tmp_path)
    send(track, 0, at=0.0)
    send(track, 0, at=0.0)  # duplicate of a written packet
    for n in range(2, 15):  # packet 1 is missing for longer than the reorder window
        send(track, n, at=0.0)
    send(track, 3, at=0.0)  # duplicate of a written packet
    send(track, 1, at=0.0)  # its place was filled with silence
    track.finish(at=T0 + 0.5)
    assert track.dropped == 3
    assert sorted(voiced_at(path)) == [0, *range(2, 15)]


def test_duplicate_while_waiting_is_dropped(tmp_path: Path) -> None:
    track, path = _track(tmp_path)
    for n in (0, 2, 2, 1):
        send(track, n, at=0.0)
    track.finish(at=T0 + 0.2)
    assert track.dropped == 1
    assert sorted(voiced_at(path)) == [0, 1, 2]


def test_a_new_ssrc_is_placed_by_arrival(tmp_path: Path) -> None:
    track, path = _track(tmp_path)
    for n in range(5):
        send(track, n, at=0.0, ssrc=1, ts0=123_456)
    for n in range(5, 10):  # moved to another virtual stream, unrelated timestamps
        send(track, n, at=2.0 - 5 * FRAME, ssrc=2, ts0=4_000_000_000, seq0=60_000)
    track.finish(at=T0 + 3.0)
    placed = voiced_at(path)
    assert placed[4] == pytest.approx(0.08)
    assert placed[5] == pytest.approx(2.0)
    assert placed[9] == pytest.approx(2.08)


def test_timestamp_gap_consistent_with_arrival_is_kept(tmp_path: Path) -> None:
    track, path = _track(tmp_path)
    for n in (*range(5), *range(100, 105)):  # DTX: 1.9 s without packets, timestamps run on
        send(track, n, at=0.0, ts0=2**32 - 960 * 50)  # wraps around in between
    track.finish(at=T0 + 3.0)
    placed = voiced_at(path)
    assert placed[100] == pytest.approx(2.0)
    assert placed[104] == pytest.approx(2.08)


def test_timestamp_jump_against_arrival_reanchors(tmp_path: Path) -> None:
    track, path = _track(tmp_path)
    for n in range(3):
        send(track, n, at=0.0)
    track.push(payload=voiced(7), ssrc=1, seq=3, rtp_ts=960 * 500, arrival=T0 + 1.0)
    track.push(payload=voiced(8), ssrc=1, seq=4, rtp_ts=960 * 501, arrival=T0 + 1.02)
    track.finish(at=T0 + 2.0)
    placed = voiced_at(path)
    assert placed[7] == pytest.approx(0.98)
    assert placed[8] == pytest.approx(1.0)


def test_jitter_is_absorbed_by_rtp_spacing(tmp_path: Path) -> None:
    track, path = _track(tmp_path)
    delays = [0.0, 0.03, 0.0, 0.05, 0.01, 0.0, 0.04, 0.0]
    for n, delay in enumerate(delays):
        track.push(
            payload=voiced(n), ssrc=5, seq=n, rtp_ts=960 * n, arrival=T0 + 0.52 + n * FRAME + delay
        )
    track.finish(at=T0 + 1.0)
    assert voiced_at(path) == {n: pytest.approx(0.5 + n * FRAME) for n in range(8)}


def test_advance_pads_quiet_stretches_and_keeps_pending_packets(tmp_path: Path) -> None:
    track, path = _track(tmp_path)
    send(track, 0, at=0.0)
    track.advance(at=T0 + 1.0)
    assert track.duration == pytest.approx(1.0)
    send(track, 0, at=2.0, ssrc=2)
    send(track, 2, at=2.0, ssrc=2)  # waits for packet 1
    track.advance(at=T0 + 2.03)
    assert track.duration == pytest.approx(2.02)
    track.advance(at=T0 + 3.0)  # packet 1 never came: silence in its place
    assert track.duration == pytest.approx(3.0)
    track.finish(at=T0 + 3.0)
    assert [t for t, n in layout(path) if n is not None] == [0.0, 2.0, 2.04]


def test_malformed_and_after_finish_packets_are_dropped(tmp_path: Path) -> None:
    track, _ = _track(tmp_path)
    track.push(payload=b"", ssrc=1, seq=0, rtp_ts=0, arrival=T0)
    track.finish(at=T0 + 1.0)
    track.finish(at=T0 + 2.0)
    send(track, 0, at=0.5)
    assert (track.packets, track.dropped, track.duration) == (0, 2, 1.0)


def test_giving_up_on_one_gap_does_not_open_the_next(tmp_path: Path) -> None:
    track, path = _track(tmp_path)
    for n in (0, *range(2, 11), 12, 11, 13):  # 1 is lost; 11 and 12 swap as the window ends
        send(track, n, at=0.0)
    track.finish(at=T0 + 0.5)
    assert track.dropped == 0
    assert voiced_at(path) == {n: pytest.approx(n * FRAME) for n in (0, *range(2, 14))}
