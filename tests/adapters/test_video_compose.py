"""The call's MP4 from real VP8/VP9/AV1 encoder output, a real AAC mix and who talks when.

One scene for the main test, 6 s at 15 fps: Alice (VP8, 320x180 then 256x192 from a
keyframe at 4 s, flash at 2.0 s) and Carol (AV1) from 0.2 s; Bob (VP9, odd 133x141) joins at
1.0 s, pauses from 2.0 s (two segments) and is back at 4.6 s; Carol shares her screen (VP9)
from 4.0 s; Dave talks without any video. The audio is a quiet tone with a click at 2.0 s.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from recorder.capture.manifest import CaptureManifest, write_manifest
from recorder.capture.ogg import OggOpusWriter
from recorder.capture.opus import SILENCE_FRAME
from recorder.model import Speaker
from recorder.video.activity import speaker_names, speech_activity
from recorder.video.canvas import Planes
from recorder.video.compose import ComposeError, ComposeOptions, ComposeStopped, compose_mp4
from recorder.video.labels import placeholder
from recorder.video.layout import Layout, Rect, arrange
from recorder.video.model import EncodedFrame, VideoCodec
from recorder.video.scene import PLACEHOLDER_PREFIX
from recorder.video.sources import StreamSource
from recorder.video.store import VideoStore, list_segments
from recorder.video.tiles import TileInfo, screenshare_key, write_tiles
from sandbox.meet_media.video import open_encoder

FPS = 15
TICKS = 90_000 // FPS
CALL = 6.0
RATE = 48_000
WIDTH, HEIGHT = 1280, 720
RED, GREEN, BLUE, YELLOW = (200, 40, 40), (40, 190, 40), (40, 40, 220), (230, 220, 40)
WHITE = (255, 255, 255)
ALICE, BOB, CAROL, DAVE = "participants/alice", "participants/bob", "participants/carol", "d"
SCREEN = screenshare_key(CAROL, 7)
ACTIVITY = {
    ALICE: [(0.2, 2.5)],
    DAVE: [(0.5, 1.2)],
    BOB: [(2.6, 3.6)],
    CAROL: [(3.8, 6.0)],
}
COLOURS = {ALICE: RED, BOB: GREEN, CAROL: BLUE, SCREEN: YELLOW}


@dataclass(frozen=True)
class Clip:
    """Encoded frames of one stream, each with its pts."""

    codec: VideoCodec
    frames: tuple[tuple[int, bytes, bool, int, int], ...]  # pts, data, keyframe, w, h


def encode_clip(
    codec: VideoCodec,
    size: tuple[int, int],
    colours: Sequence[tuple[int, int, int]],
    *,
    first_pts: int,
    gop: int = 15,
) -> Clip:
    """One frame per colour (a solid picture with a darker moving square), 15 fps."""
    width, height = size
    context = open_encoder(codec, width=width, height=height, fps=FPS, gop=gop, bit_rate=800_000)
    packets = []
    for i, colour in enumerate(colours):
        rgb = np.empty((height, width, 3), np.uint8)
        rgb[:] = colour
        left = (i * 5) % max(1, width - 16)
        rgb[height // 4 : height // 4 + 16, left : left + 16] = [c * 3 // 4 for c in colour]
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        packets += context.encode(frame)
    packets += context.encode(None)
    assert len(packets) == len(colours)
    return Clip(
        codec,
        tuple(
            (first_pts + i * TICKS, bytes(p), bool(p.is_keyframe), width, height)
            for i, p in enumerate(packets)
        ),
    )


def frames_between(start: float, end: float) -> int:
    return round((end - start) * FPS)


@pytest.fixture(scope="module")
def clips() -> dict[str, list[Clip]]:
    """Each stream key's clips; a new list entry is a new segment."""
    flash = [WHITE if i == frames_between(0.2, 2.0) else RED for i in range(56)]
    return {
        ALICE: [
            joined(  # one segment, a new size from a keyframe at 4.0 s
                encode_clip(VideoCodec.VP8, (320, 180), flash, first_pts=18_000),
                encode_clip(VideoCodec.VP8, (256, 192), [RED] * 30, first_pts=360_000),
            )
        ],
        BOB: [
            encode_clip(VideoCodec.VP9, (133, 141), [GREEN] * 16, first_pts=90_000),
            encode_clip(VideoCodec.VP9, (133, 141), [GREEN] * 21, first_pts=414_000),
        ],
        CAROL: [encode_clip(VideoCodec.AV1, (320, 180), [BLUE] * 87, first_pts=18_000)],
        SCREEN: [encode_clip(VideoCodec.VP9, (480, 270), [YELLOW] * 30, first_pts=360_000)],
    }


def joined(a: Clip, b: Clip) -> Clip:
    return Clip(a.codec, a.frames + b.frames)


def write_video(video_dir: Path, clips: dict[str, list[Clip]]) -> None:
    """Store the clips in call order through VideoStore, a segment per clip."""
    store = VideoStore(video_dir)
    events = []
    for key, parts in clips.items():
        for n, clip in enumerate(parts):
            for pts, data, keyframe, w, h in clip.frames:
                events.append((pts, key, n, EncodedFrame(clip.codec, data, keyframe, pts, 0, w, h)))
    current: dict[str, int] = {}
    for pts, key, n, frame in sorted(events, key=lambda e: (e[0], e[1])):
        if current.setdefault(key, n) != n:
            store.end(key)
            current[key] = n
        assert store.write(key, frame, pts)
    store.close()
    write_tiles(
        video_dir,
        [
            TileInfo(ALICE, "Alice", ALICE),
            TileInfo(BOB, "Bob", BOB),
            TileInfo(CAROL, "Carol", CAROL),
            TileInfo(SCREEN, "Carol (screen)", CAROL, screenshare=True),
        ],
    )


def write_audio(path: Path, seconds: float, *, click: float | None = 2.0) -> Path:
    """A quiet 220 Hz tone with a 2 ms full-scale click at ``click`` s, as AAC in M4A."""
    total = round(seconds * RATE)
    samples = (0.05 * np.sin(2 * np.pi * 220 * np.arange(total) / RATE)).astype(np.float32)
    if click is not None:
        at = round(click * RATE)
        samples[at : at + 96] = 0.95
    with av.open(str(path), "w", format="ipod", options={"movflags": "+faststart"}) as out:
        stream: Any = out.add_stream("aac", rate=RATE, layout="mono")
        for start in range(0, total, 1024):
            chunk = samples[start : start + 1024].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.sample_rate, frame.pts = RATE, start
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


@pytest.fixture(scope="module")
def composed(
    tmp_path_factory: pytest.TempPathFactory, clips: dict[str, list[Clip]]
) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("compose")
    write_video(root / "video", clips)
    audio = write_audio(root / "recording.m4a", CALL)
    result = compose_mp4(
        video_dir=root / "video",
        audio=audio,
        activity=ACTIVITY,
        duration=CALL,
        dest=root / "out" / "call.mp4",
        speakers={DAVE: "Dave Jones"},
    )
    return {"result": result, "pictures": decode_video(result.path), "path": result.path}


def decode_video(path: Path) -> list[tuple[float, np.ndarray]]:
    """Every picture of the MP4 as (time, RGB array)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [
            (float(f.pts * stream.time_base), f.to_ndarray(format="rgb24"))
            for f in container.decode(stream)
        ]


def at(pictures: list[tuple[float, np.ndarray]], t: float) -> np.ndarray:
    return min(pictures, key=lambda p: abs(p[0] - t))[1]


def region(picture: np.ndarray, rect: Rect, margin: int = 8) -> np.ndarray:
    return picture[
        rect.y + margin : rect.y + rect.height - margin,
        rect.x + margin : rect.x + rect.width - margin,
    ]


def mean_colour(picture: np.ndarray, rect: Rect) -> np.ndarray:
    """Mean RGB of the middle of ``rect`` (where any letterboxed picture is)."""
    cx, cy = rect.x + rect.width // 2, rect.y + rect.height // 2
    return picture[cy - 12 : cy + 12, cx - 12 : cx + 12].reshape(-1, 3).mean(axis=0)


def assert_shows(picture: np.ndarray, shown: Layout, *expected: tuple[int, int, int] | str) -> None:
    """Each tile of ``shown`` holds a picture of its colour, or the placeholder of a name."""
    assert len(shown.tiles) == len(expected)
    for tile, want in zip(shown.tiles, expected, strict=True):
        box = tile.picture
        if isinstance(want, str):
            drawn = placeholder(want, box.width, box.height)
            got = Planes.from_rgb(np.ascontiguousarray(region(picture, box, 0)))
            assert np.abs(got.y.astype(int) - drawn.y).mean() < 6, (tile.key, want)
        else:
            colour = mean_colour(picture, box)
            assert np.abs(colour - want).max() < 25, (tile.key, want, colour)


def layout(main: str, *thumbs: str) -> Layout:
    return arrange(main, thumbs, width=WIDTH, height=HEIGHT)


def test_tracks_are_h264_and_aac_as_long_as_the_call(composed: dict[str, Any]) -> None:
    result = composed["result"]
    assert (result.width, result.height, result.frames) == (WIDTH, HEIGHT, CALL * FPS)
    assert result.duration == pytest.approx(CALL)
    with av.open(str(composed["path"])) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264"
        assert (video.codec_context.width, video.codec_context.height) == (WIDTH, HEIGHT)
        assert video.codec_context.pix_fmt == "yuv420p"
        assert audio.codec_context.name == "aac"
        assert float(video.duration * video.time_base) == pytest.approx(CALL, abs=1 / FPS)
        assert float(audio.duration * audio.time_base) == pytest.approx(CALL, abs=0.05)
    assert len(composed["pictures"]) == CALL * FPS
    assert not list(composed["path"].parent.glob(".*partial"))


def test_black_before_anyone_has_a_picture(composed: dict[str, Any]) -> None:
    first = at(composed["pictures"], 0.0)
    assert first.max() < 40


def test_active_speaker_is_large_and_others_are_thumbnails(composed: dict[str, Any]) -> None:
    pictures = composed["pictures"]
    dave = PLACEHOLDER_PREFIX + DAVE
    # 0.3 s: Alice talks; Carol is a thumbnail
    assert_shows(at(pictures, 0.3), layout(ALICE, CAROL), RED, BLUE)
    # 1.0 s: Dave talks (no video: a placeholder) but Alice is held; Bob (odd size) joined
    shown = layout(ALICE, CAROL, dave, BOB)
    assert_shows(at(pictures, 1.0), shown, RED, BLUE, "Dave Jones", GREEN)
    # 3.0 s: Bob talks; his picture, held since his stream paused at 2.0 s, is large
    shown = layout(BOB, ALICE, CAROL, dave)
    assert_shows(at(pictures, 3.0), shown, GREEN, RED, BLUE, "Dave Jones")


def test_screenshare_takes_the_main_tile(composed: dict[str, Any]) -> None:
    pictures = composed["pictures"]
    bob = PLACEHOLDER_PREFIX + BOB
    # 4.3 s: Carol talks and shares her screen; Alice is 256x192 now; Bob's stream paused
    # more than 2 s ago: his placeholder, as he talked lately; Dave's is gone
    shown = layout(SCREEN, ALICE, CAROL, bob)
    assert_shows(at(pictures, 4.3), shown, YELLOW, RED, BLUE, "Bob")
    # 5.0 s: Bob's stream is back
    assert_shows(at(pictures, 5.0), layout(SCREEN, ALICE, CAROL, BOB), YELLOW, RED, BLUE, GREEN)


def test_labels_are_drawn_under_tiles(composed: dict[str, Any]) -> None:
    frame = at(composed["pictures"], 3.0)
    for tile in layout(BOB, ALICE, CAROL, PLACEHOLDER_PREFIX + DAVE).tiles:
        bar = region(frame, tile.label, 0).astype(int)
        assert np.abs(np.median(bar) - 0) > 15  # a bar, not the black background
        assert (bar.min(axis=2) > 150).sum() > 20  # light text on it


def test_flash_and_click_stay_in_sync(composed: dict[str, Any]) -> None:
    pictures = composed["pictures"]
    main = layout(ALICE, CAROL, PLACEHOLDER_PREFIX + DAVE, BOB).tiles[0].picture
    window = [(t, mean_colour(p, main).mean()) for t, p in pictures if 1.0 <= t <= 3.0]
    flash_at = max(window, key=lambda item: item[1])[0]
    assert flash_at == pytest.approx(2.0, abs=0.5 / FPS)
    assert click_time(composed["path"]) == pytest.approx(flash_at, abs=1 / FPS)


def click_time(path: Path) -> float:
    """When the loudest sample of the file's audio plays, on the file's timeline."""
    best, when = 0.0, 0.0
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            samples = np.abs(frame.to_ndarray()[0])
            peak = int(samples.argmax())
            if samples[peak] > best:
                best = float(samples[peak])
                when = float(frame.pts * stream.time_base) + peak / frame.sample_rate
    return when


def test_silent_track_without_audio_and_short_audio_is_padded(
    tmp_path: Path, clips: dict[str, list[Clip]]
) -> None:
    write_video(tmp_path / "video", {CAROL: clips[CAROL]})
    options = ComposeOptions(width=320, height=180)
    short = write_audio(tmp_path / "short.m4a", 2.0, click=1.0)
    for audio in (None, short):
        result = compose_mp4(
            video_dir=tmp_path / "video",
            audio=audio,
            activity={},
            duration=4.0,
            dest=tmp_path / "out.mp4",
            options=options,
        )
        with av.open(str(result.path)) as container:
            video, sound = container.streams.video[0], container.streams.audio[0]
            assert float(video.duration * video.time_base) == pytest.approx(4.0, abs=1 / FPS)
            assert float(sound.duration * sound.time_base) == pytest.approx(4.0, abs=0.05)
    assert click_time(tmp_path / "out.mp4") == pytest.approx(1.0, abs=0.01)


def test_nothing_to_compose(tmp_path: Path) -> None:
    (tmp_path / "video").mkdir()
    dest = tmp_path / "call.mp4"
    with pytest.raises(ComposeError):
        compose_mp4(video_dir=tmp_path / "video", audio=None, activity={}, duration=3.0, dest=dest)
    with pytest.raises(ComposeError):
        compose_mp4(
            video_dir=tmp_path / "missing", audio=None, activity={}, duration=3.0, dest=dest
        )
    assert list(tmp_path.iterdir()) == [tmp_path / "video"]


def test_unreadable_audio(tmp_path: Path, clips: dict[str, list[Clip]]) -> None:
    write_video(tmp_path / "video", {CAROL: clips[CAROL]})
    (tmp_path / "broken.m4a").write_bytes(b"not audio at all")
    dest = tmp_path / "call.mp4"
    with pytest.raises(ComposeError):
        compose_mp4(
            video_dir=tmp_path / "video",
            audio=tmp_path / "broken.m4a",
            activity={},
            duration=2.0,
            dest=dest,
            options=ComposeOptions(width=320, height=180),
        )
    assert not dest.exists()
    assert not list(tmp_path.glob(".*partial"))


def test_decoder_error_skips_to_the_next_keyframe(
    tmp_path: Path, clips: dict[str, list[Clip]]
) -> None:
    clip = clips[ALICE][0]  # VP8, keyframes every 15 frames
    store = VideoStore(tmp_path)
    for i, (pts, data, keyframe, w, h) in enumerate(clip.frames[:40]):
        broken = data[:3] if i == 20 else data  # libvpx rejects it
        frame = EncodedFrame(VideoCodec.VP8, broken, keyframe, pts, 0, w, h)
        store.write(ALICE, frame, pts)
    store.close()
    source = StreamSource(ALICE, list_segments(tmp_path))
    shown = [source.at(pts) for pts, *_ in clip.frames[:40]]
    assert source.errors >= 1
    assert all(p is not None for p in shown)
    # the picture froze at the damaged frame and moved again from the keyframe at frame 30
    serials = [p.serial for p in shown if p is not None]
    assert serials[30] > serials[29] == serials[20]
    assert source.skipped > 0


RATE_OPUS = 48_000


def opus_tone(seconds: float) -> list[bytes]:
    """Voiced 20 ms Opus packets of a 300 Hz tone (real libopus output)."""
    encoder: Any = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = RATE_OPUS, "mono", "flt"
    encoder.bit_rate = 32_000
    packets: list[bytes] = []
    for start in range(0, round(seconds * RATE_OPUS), 960):
        wave = 0.3 * np.sin(2 * math.pi * 300 * np.arange(start, start + 960) / RATE_OPUS)
        frame = av.AudioFrame.from_ndarray(
            wave.astype(np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate, frame.pts = RATE_OPUS, start
        packets += [bytes(p) for p in encoder.encode(frame)]
    return packets


def test_speech_activity_from_a_crashed_capture(tmp_path: Path) -> None:
    voiced = opus_tone(1.2)
    ann, bob = Speaker("participants/ann", "Ann"), Speaker("participants/bob", "Bob")
    plan = {  # seconds of (voiced?, duration)
        "ann.ogg": [(False, 0.5), (True, 1.0), (False, 0.3), (True, 0.6), (False, 2.0)],
        "bob.ogg": [(False, 2.0), (True, 1.0), (False, 1.4)],
    }
    for name, parts in plan.items():
        writer = OggOpusWriter(path=tmp_path / name, serial=len(name), flush_interval=0.2)
        for talking, seconds in parts:
            count = round(seconds * 50)
            for packet in voiced[:count] if talking else [SILENCE_FRAME] * count:
                writer.write(packet)
        writer.close()
    # the process died while writing Bob's last page: the file ends inside it
    cut = tmp_path / "bob.ogg"
    cut.write_bytes(cut.read_bytes()[:-40])
    write_manifest(
        tmp_path,
        CaptureManifest(
            started_at=datetime.now(UTC), speakers=((ann, "ann.ogg"), (bob, "bob.ogg"))
        ),
    )
    activity = speech_activity(tmp_path)
    assert activity.keys() == {ann.key, bob.key}
    (start, end), *rest = activity[ann.key]
    assert not rest  # the 0.3 s pause is bridged
    assert (start, end) == (pytest.approx(0.5, abs=0.03), pytest.approx(2.4, abs=0.03))
    assert activity[bob.key] == [(pytest.approx(2.0, abs=0.03), pytest.approx(3.0, abs=0.03))]
    assert speech_activity(tmp_path, merge_gap=0.2)[ann.key][1][0] == pytest.approx(1.8, abs=0.03)
    assert speaker_names(tmp_path) == {ann.key: "Ann", bob.key: "Bob"}
    assert speech_activity(tmp_path / "nowhere") == {}


def test_a_stop_ends_composing_and_writes_nothing(
    tmp_path: Path, clips: dict[str, list[Clip]]
) -> None:
    write_video(tmp_path / "video", {CAROL: clips[CAROL]})
    stop = threading.Event()
    stop.set()
    with pytest.raises(ComposeStopped, match="stopped at 0.0 s"):
        compose_mp4(
            video_dir=tmp_path / "video",
            audio=None,
            activity={},
            duration=4.0,
            dest=tmp_path / "out" / "call.mp4",
            options=ComposeOptions(width=320, height=180),
            stop=stop,
        )
    assert list((tmp_path / "out").iterdir()) == []  # no MP4, no partial file
