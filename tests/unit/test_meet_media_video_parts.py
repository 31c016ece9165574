"""The Meet emulator's video decisions: relevance, sizes, codecs per stream, loops, entries."""

from __future__ import annotations

from typing import Any

import numpy as np

from recorder.video.model import VideoCodec
from sandbox.meet_media import messages
from sandbox.meet_media.pictures import camera_pictures, colour_of, screen_pictures
from sandbox.meet_media.relevance import Candidate, VideoSelector
from sandbox.meet_media.roster import MediaParticipant, csrc_for
from sandbox.meet_media.session_video import stream_codec
from sandbox.meet_media.video import EncodedLoop, Feed, LoopKey, fit_size

ANN, BOB, CY, DI = (Candidate(name, name) for name in ("ann", "bob", "cy", "di"))
CY_SCREEN = Candidate("cy-screen", "cy", screenshare=True)


def test_streams_fill_in_join_order_then_stay() -> None:
    selector: VideoSelector[str] = VideoSelector()

    first = selector.assign([ANN, BOB, CY], talking=(), streams=2)
    later = selector.assign([ANN, BOB, CY], talking=(), streams=2)

    assert first == later == ["ann", "bob"]


def test_a_new_speaker_replaces_the_least_recently_active() -> None:
    selector: VideoSelector[str] = VideoSelector()
    selector.assign([ANN, BOB, CY], talking=("bob",), streams=2)
    selector.assign([ANN, BOB, CY], talking=("ann",), streams=2)

    cy_talks = selector.assign([ANN, BOB, CY], talking=("cy",), streams=2)
    silence = selector.assign([ANN, BOB, CY], talking=(), streams=2)

    assert cy_talks == silence == ["cy", "ann"]  # Bob spoke longest ago


def test_talking_at_once_does_not_flap() -> None:
    selector: VideoSelector[str] = VideoSelector()
    selector.assign([ANN, BOB], talking=("ann", "bob"), streams=1)

    both_again = selector.assign([ANN, BOB], talking=("ann", "bob"), streams=1)

    assert both_again == ["ann"]


def test_screenshares_come_first_and_keep_their_stream() -> None:
    selector: VideoSelector[str] = VideoSelector()
    selector.assign([ANN, BOB], talking=("ann",), streams=2)

    shared = selector.assign([ANN, BOB, CY, CY_SCREEN], talking=("ann",), streams=2)
    bob_talks = selector.assign([ANN, BOB, CY, CY_SCREEN], talking=("bob",), streams=2)

    assert shared == ["ann", "cy-screen"]
    assert bob_talks == ["bob", "cy-screen"]


def test_leaving_frees_the_stream_for_the_next_most_relevant() -> None:
    selector: VideoSelector[str] = VideoSelector()
    selector.assign([ANN, BOB, CY, DI], talking=("di",), streams=2)

    ann_gone = selector.assign([BOB, CY, DI], talking=(), streams=2)
    cy_talks = selector.assign([BOB, CY, DI], talking=("cy",), streams=2)
    fewer_streams = selector.assign([BOB, CY, DI], talking=(), streams=1)

    assert ann_gone == ["di", "bob"]
    assert cy_talks == ["di", "cy"]
    assert fewer_streams == ["di"]  # each canvas keeps its stream


def test_sizes_fit_the_canvas_in_16_9_steps() -> None:
    assert fit_size(640, 360) == (640, 360)
    assert fit_size(1920, 1080) == (640, 360)
    assert fit_size(320, 180) == (320, 180)
    assert fit_size(400, 400) == (384, 216)
    assert fit_size(1000, 200) == (352, 198)
    assert fit_size(100, 100) == (128, 72)  # never below SVT-AV1's and Meet's minimum


def test_each_stream_sends_its_own_codec_unless_one_is_forced() -> None:
    every = [VideoCodec.AV1, VideoCodec.VP9, VideoCodec.VP8]
    two = [VideoCodec.AV1, VideoCodec.VP8]

    assert [stream_codec(i, every, None) for i in range(3)] == [
        VideoCodec.VP8,
        VideoCodec.VP9,
        VideoCodec.AV1,
    ]
    assert [stream_codec(i, two, None) for i in range(3)] == [
        VideoCodec.VP8,
        VideoCodec.AV1,
        VideoCodec.VP8,
    ]
    assert stream_codec(0, every, VideoCodec.AV1) is VideoCodec.AV1
    assert stream_codec(1, two, VideoCodec.VP9) is VideoCodec.AV1


def test_nearest_keyframe_wraps_to_the_loop_start() -> None:
    keyframes = tuple(i % 15 == 0 for i in range(60))
    key = LoopKey("Ann", Feed.CAMERA, VideoCodec.VP8, 128, 72)
    loop = EncodedLoop(key=key, frames=(b"",) * 60, keyframes=keyframes)

    assert [loop.nearest_keyframe(i) for i in (0, 7, 8, 22, 53, 59)] == [0, 0, 15, 15, 0, 0]


def test_pictures_move_and_differ_per_participant() -> None:
    ann = list(camera_pictures("Ann", width=128, height=72, count=4))
    screen = list(screen_pictures("Ann", width=128, height=72, count=4))

    assert ann[0].shape == (72, 128, 3)
    assert not np.array_equal(ann[0], ann[1])
    assert not np.array_equal(screen[0], screen[1])
    assert colour_of("Ann") != colour_of("Bob")
    assert screen[0].mean() > ann[0].mean()  # a light slide


def _participant(**options: Any) -> MediaParticipant:
    return MediaParticipant(
        display_name="Ann",
        participant="conferenceRecords/c/participants/17",
        session="conferenceRecords/c/participants/17/participantSessions/s1",
        user="users/1",
        audio_path="sample:alice",
        speak_from=0.0,
        **options,
    )


def test_media_entries_carry_distinct_video_csrcs() -> None:
    ann = _participant(video=True, screenshare=True)

    camera = messages.media_entry_resource(ann, 5)["mediaEntry"]
    screen = messages.screenshare_entry_resource(ann, 6)["mediaEntry"]
    off = messages.media_entry_resource(_participant(), 7)["mediaEntry"]

    assert camera["audioCsrc"] == csrc_for(ann.session)
    assert camera["videoCsrcs"] == [ann.video_csrc]
    assert (camera["videoMuted"], camera["presenter"]) == (False, True)
    assert screen["videoCsrcs"] == [ann.screenshare_csrc]
    assert (screen["screenshare"], screen["audioMuted"], screen["videoMuted"]) == (
        True,
        True,
        False,
    )
    assert "audioCsrc" not in screen
    assert len({camera["audioCsrc"], ann.video_csrc, ann.screenshare_csrc}) == 3
    assert (off["videoMuted"], "videoCsrcs" in off) == (True, False)


def test_canvas_sizes_and_frame_rate_are_capped_by_the_request() -> None:
    request = {
        "setAssignment": {
            "layoutModel": {
                "canvases": [
                    {"id": 1, "dimensions": {"width": 1920, "height": 1080}},
                    {"id": 2, "dimensions": {"width": 100, "height": 100}},
                    {"id": 3, "dimensions": {}},
                ]
            },
            "maxVideoResolution": {"width": 400, "height": 400, "frameRate": 7.5},
        }
    }

    assert messages.canvas_sizes(request) == [(400, 400), (100, 100), (400, 400)]
    assert messages.frame_rate(request) == 7.5
    assert messages.frame_rate({"setAssignment": {}}) is None
