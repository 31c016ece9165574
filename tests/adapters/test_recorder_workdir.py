"""The recorder's work directory: its layout, and finishing a capture a crash left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from recorder.capture import CallCapture
from recorder.model import Speaker
from recorder.workdir import NOTHING_RECORDED, RESTARTED, WorkDir, recover
from tests.adapters.test_capture_finalize import tone

ANN = Speaker(key="participants/ann", display_name="Ann")


@pytest.fixture(scope="module")
def speech() -> list[bytes]:
    return tone(440.0, 2.0)


def _capture(work: WorkDir, packets: list[bytes]) -> None:
    now = [1000.0]
    capture = CallCapture(work_dir=work.capture, clock=lambda: now[0])
    capture.start()
    for seq, packet in enumerate(packets):
        now[0] += 0.02
        capture.audio(speaker=ANN, payload=packet, ssrc=1, seq=seq, rtp_ts=seq * 960)
    capture.close()


def test_the_layout_is_named_in_one_place(tmp_path: Path) -> None:
    work = WorkDir(tmp_path)
    assert [work.capture, work.out, work.live, work.video, work.video_out] == [
        tmp_path / "capture",
        tmp_path / "out",
        tmp_path / "live",
        tmp_path / "video",
        tmp_path / "video-out",
    ]
    assert list(tmp_path.iterdir()) == []  # naming creates nothing


def test_a_capture_left_behind_is_finished_as_partial(tmp_path: Path, speech: list[bytes]) -> None:
    work = WorkDir(tmp_path)
    _capture(work, speech)

    outcome = recover(tmp_path)

    assert outcome.ok
    assert outcome.partial
    assert outcome.cause == RESTARTED
    assert outcome.result is not None
    files = (outcome.result.mixed, *outcome.result.speakers)
    assert [f.filename for f in files if f] == ["recording.m4a", "Ann.ogg"]
    assert all(f.path.parent == work.out for f in files if f)
    assert outcome.duration == pytest.approx(2.0, abs=0.1)
    assert outcome.video_dir is None


def test_stored_video_is_handed_on_for_composing(tmp_path: Path, speech: list[bytes]) -> None:
    work = WorkDir(tmp_path)
    _capture(work, speech)
    work.video.mkdir()

    assert recover(tmp_path).video_dir == work.video


def test_an_empty_work_dir_is_a_failure_with_nothing_to_deliver(tmp_path: Path) -> None:
    outcome = recover(tmp_path)

    assert not outcome.ok
    assert not outcome.partial
    assert outcome.cause == NOTHING_RECORDED
    assert outcome.result is None
