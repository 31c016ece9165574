"""The video capture: segments on the call clock, re-anchoring, and the tile names file."""

from __future__ import annotations

from pathlib import Path

from recorder.model import Speaker
from recorder.video.capture import VideoCapture
from recorder.video.ivf import read_ivf_file
from recorder.video.model import EncodedFrame, VideoCodec
from recorder.video.store import list_segments
from recorder.video.tiles import TileInfo, read_tiles, screenshare_key
from tests.video_media import TICKS, assert_pictures_match, encode

VP8, VP9 = VideoCodec.VP8, VideoCodec.VP9
T0 = 1000.0
ANN = "participants/a"
CAMERA = TileInfo(key=ANN, name="Ann", speaker_key=ANN)
SCREEN_KEY = screenshare_key(ANN, 13)
SCREEN = TileInfo(key=SCREEN_KEY, name="Ann (screen)", speaker_key=ANN, screenshare=True)
JITTER = (0.0, 0.012, -0.004, 0.02, 0.001, -0.01)


def _frames(codec: VideoCodec, *, rtp0: int = 7_000_000) -> list[EncodedFrame]:
    stream = encode(codec)
    return [
        EncodedFrame(codec=codec, data=data, keyframe=key, timestamp=rtp0 + i * TICKS)
        for i, (data, key) in enumerate(zip(stream.frames, stream.keyframes, strict=True))
    ]


def _capture(tmp_path: Path) -> VideoCapture:
    capture = VideoCapture(tmp_path / "video")
    capture.start(T0)
    return capture


def _pts(path: Path) -> list[int]:
    return [frame.pts for frame in read_ivf_file(path).frames]


def test_pts_start_at_the_first_arrival_and_follow_rtp_time(tmp_path: Path) -> None:
    capture = _capture(tmp_path)
    frames = _frames(VP8)
    for i, frame in enumerate(frames):
        arrival = T0 + 2.5 + i / 30 + JITTER[i % len(JITTER)]  # jitter does not reach pts
        assert capture.frame(ANN, CAMERA, frame, arrival)
    segments = capture.close()
    assert segments == list_segments(tmp_path / "video")
    (segment,) = segments
    assert (segment.key, segment.index, segment.codec, segment.frames) == (ANN, 0, VP8, 12)
    assert _pts(segment.path) == [225_000 + i * TICKS for i in range(12)]
    stream = encode(VP8)
    data = [frame.data for frame in read_ivf_file(segment.path).frames]
    assert_pictures_match(VP8, data, list(stream.sources), (322, 178))
    assert capture.stats.frames == 12
    assert capture.stats.bytes == sum(len(f) for f in stream.frames)


def test_a_sender_restart_re_anchors_on_arrival_but_a_pause_does_not(tmp_path: Path) -> None:
    capture = _capture(tmp_path)
    frames = _frames(VP8)
    for i, frame in enumerate(frames[:4]):
        capture.frame(ANN, CAMERA, frame, T0 + 1 + i / 30)
    for i, frame in enumerate(frames[4:8], start=4):  # a 5 s pause: RTP and arrival agree
        frame = EncodedFrame(VP8, frame.data, frame.keyframe, frame.timestamp + 5 * 90_000)
        capture.frame(ANN, CAMERA, frame, T0 + 6 + i / 30)
    for i, frame in enumerate(frames[8:], start=8):  # the sender restarted its RTP clock
        frame = EncodedFrame(VP8, frame.data, frame.keyframe, 12_345 + i * TICKS)
        capture.frame(ANN, CAMERA, frame, T0 + 6 + i / 30)
    (segment,) = capture.close()
    pts = _pts(segment.path)
    assert pts[:8] == [90_000 + i * TICKS + (450_000 if i >= 4 else 0) for i in range(8)]
    assert pts[8] == round((6 + 8 / 30) * 90_000)
    assert pts[9:] == [pts[8] + i * TICKS for i in range(1, 4)]
    assert capture.stats.reanchored == 1


def test_segments_end_restart_on_a_keyframe_and_follow_codec_changes(tmp_path: Path) -> None:
    capture = _capture(tmp_path)
    vp8, vp9 = _frames(VP8), _frames(VP9, rtp0=0)
    for i, frame in enumerate(vp8[:3]):
        capture.frame(ANN, CAMERA, frame, T0 + 1 + i / 30)
    capture.end(ANN)
    assert not capture.frame(ANN, CAMERA, vp8[3], T0 + 2)  # a delta cannot begin a segment
    for i, frame in enumerate(vp8[6:9]):
        capture.frame(ANN, CAMERA, frame, T0 + 3 + i / 30)
    for i, frame in enumerate(vp9[:2]):  # a new codec: a new segment, anchored anew
        capture.frame(ANN, CAMERA, frame, T0 + 4 + i / 30)
    segments = sorted(capture.close(), key=lambda s: s.index)
    assert [(s.index, s.codec, s.frames) for s in segments] == [
        (0, VP8, 3),
        (1, VP8, 3),
        (2, VP9, 2),
    ]
    assert [s.first_pts for s in segments] == [90_000, 270_000, 360_000]
    assert capture.stats.skipped == 1
    assert_pictures_match(
        VP9,
        [f.data for f in read_ivf_file(segments[2].path).frames],
        list(encode(VP9).sources[:2]),
        (322, 178),
    )


def test_tiles_json_names_every_stream_and_follows_renames(tmp_path: Path) -> None:
    capture = _capture(tmp_path)
    video_dir = tmp_path / "video"
    frames = _frames(VP8)
    capture.frame(ANN, CAMERA, frames[0], T0 + 1)
    assert read_tiles(video_dir) == {ANN: CAMERA}
    capture.frame(SCREEN_KEY, SCREEN, frames[0], T0 + 1)
    assert read_tiles(video_dir) == {ANN: CAMERA, SCREEN_KEY: SCREEN}
    capture.rename(Speaker(key=ANN, display_name="Ann Lee"))
    tiles = read_tiles(video_dir)
    assert (tiles[ANN].name, tiles[SCREEN_KEY].name) == ("Ann Lee", "Ann Lee (screen)")
    assert tiles[SCREEN_KEY].screenshare
    capture.rename(Speaker(key="participants/z", display_name="Zed"))  # no tile: no change
    renamed = TileInfo(key=ANN, name="Annie", speaker_key=ANN)
    capture.frame(ANN, renamed, frames[1], T0 + 1.1)  # a frame under a newer name
    assert read_tiles(video_dir)[ANN].name == "Annie"
    assert capture.tiles == read_tiles(video_dir)
    assert len(capture.close()) == 2


def test_nothing_is_stored_before_start_or_after_close(tmp_path: Path) -> None:
    capture = VideoCapture(tmp_path / "video")
    frame = _frames(VP8)[0]
    assert not capture.started
    assert not capture.frame(ANN, CAMERA, frame, T0)
    capture.start(T0)
    capture.start(T0 + 50)  # once only
    assert capture.frame(ANN, CAMERA, frame, T0 + 0.5)
    assert capture.close() == capture.close()
    assert not capture.frame(ANN, CAMERA, frame, T0 + 1)
    assert [s.first_pts for s in list_segments(tmp_path / "video")] == [45_000]
    assert capture.stats.skipped == 2
