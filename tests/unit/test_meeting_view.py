"""What the meeting page shows for a recording: names, talk time, player, files, notices."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.core.model import FileKind, Recording, RecordingFile
from bot.web.meeting_render import render_page
from bot.web.meeting_view import build_view
from recorder.model import RecordingId, RecordingState, Speaker
from recorder.transcribe.model import Segment

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
ANN = Speaker(key="participants/1", display_name="Ann")
ANN_TOO = Speaker(key="participants/2", display_name="Ann")
SILENT = Speaker(key="participants/3", display_name="  ")
RECORDING = Recording(
    id=RecordingId("r1"),
    meeting_id=None,
    space_name="spaces/abc",
    conference_record=None,
    platform="slack",
    team_id="T1",
    channel_id="C1",
    started_by="U1",
    state=RecordingState.READY,
    partial=False,
    reason=None,
    started_at=START,
    joined_at=None,
    ended_at=None,
    duration=None,
    work_dir="/w",
    speakers=(ANN, ANN_TOO, SILENT),
)


def _file(kind: FileKind, name: str, content_type: str, duration: float = 30.0) -> RecordingFile:
    return RecordingFile(
        kind=kind,
        blob_key=f"recordings/r1/{name}",
        filename=name,
        content_type=content_type,
        size=1234,
        duration=duration,
    )


def _view(recording: Recording = RECORDING, **kw: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {
        "title": None,
        "segments": [],
        "files": [],
        "link": lambda f: f"/files/{f.filename}",
        "expires_at": START,
    } | kw
    return build_view(recording=recording, **options)  # type: ignore[arg-type]


def test_same_names_are_told_apart_and_silent_people_listed_last() -> None:
    segments = [
        Segment(speaker=ANN_TOO, start=5.0, end=9.0, text="second  ann\nspeaks"),
        Segment(speaker=ANN, start=1.0, end=2.0, text="first"),
    ]

    view = _view(segments=segments)

    assert [(r.name, r.talk, r.color, r.spoke) for r in view.speakers] == [
        ("Ann (2)", 4.0, 0, True),
        ("Ann", 1.0, 1, True),
        ("Unknown speaker", 0.0, 2, False),
    ]
    assert [(line.name, line.color, line.text) for line in view.lines] == [
        ("Ann", 1, "first"),
        ("Ann (2)", 0, "second ann speaks"),
    ]


def test_video_is_preferred_and_every_file_is_offered() -> None:
    files = [
        _file(FileKind.MIXED, "recording.m4a", "audio/mp4"),
        _file(FileKind.MIXED, "recording.mp4", "video/mp4"),
        _file(FileKind.TRANSCRIPT, "transcript.vtt", "text/vtt"),
    ]

    view = _view(files=files)

    assert view.media is not None
    assert (view.media.url, view.media.video) == ("/files/recording.mp4", True)
    assert [d.label for d in view.downloads] == [
        "Whole call (M4A)",
        "Whole call (MP4)",
        "Transcript (VTT)",
    ]
    assert '<video id="player"' in render_page(view, css_url="/c.css", js_url="/m.js")


def test_without_a_mixed_file_there_is_no_player() -> None:
    view = _view(files=[_file(FileKind.TRANSCRIPT, "transcript.txt", "text/plain")])

    assert view.media is None
    assert "The recording itself is not available." in render_page(view, css_url="", js_url="")


def test_duration_falls_back_to_the_files_then_the_transcript() -> None:
    late = Segment(speaker=ANN, start=40.0, end=45.5, text="late")

    assert _view(files=[_file(FileKind.MIXED, "m.m4a", "audio/mp4", 30.0)]).duration == 30.0
    assert _view(segments=[late]).duration == 45.5
    assert _view(replace(RECORDING, duration=61.0)).duration == 61.0


@pytest.mark.parametrize(
    ("state", "partial", "expected"),
    [
        (RecordingState.READY, False, None),
        (RecordingState.READY, True, "This recording is incomplete: network."),
        (RecordingState.FAILED, False, "This recording failed: network."),
        (RecordingState.RECORDING, False, "still being recorded"),
    ],
)
def test_notices(state: RecordingState, partial: bool, expected: str | None) -> None:
    view = _view(replace(RECORDING, state=state, partial=partial, reason="network"))

    if expected is None:
        assert view.notice is None
    else:
        assert view.notice is not None
        assert expected in view.notice


def test_title_falls_back_to_the_space_and_date_to_the_start() -> None:
    assert _view(title="  ").title == "Recording of spaces/abc"
    assert _view(title="Standup").title == "Standup"
    assert _view().date == START
