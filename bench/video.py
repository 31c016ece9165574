"""Video cost: composing the call's MP4 from stored streams, and capturing video live.

``compose``: builds ``--minutes`` of a call with three camera streams (VP8, VP9 and AV1 at
640x360, 15 fps; a 10 s loop of real encoder output per stream, encoded once and repeated),
the mixed AAC audio and speakers taking turns, then runs `compose_mp4` at its defaults
(1280x720, 15 fps, x264 veryfast, CRF 23) and measures it:

``capture``: see ``bench/video_capture.py`` (the bot's CPU per recorded minute with three
cameras, against the same call recorded audio only).

    python bench/video.py [--part compose|capture|all] [--minutes 1] [--threads 0]

Prints one JSON object with a section per part: the call's and the composer's seconds, CPU
seconds (all threads) per minute of call, the real-time factor and the MP4's size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recorder.video.compose import ComposeOptions, compose_mp4  # noqa: E402
from recorder.video.model import CLOCK_RATE, EncodedFrame, VideoCodec  # noqa: E402
from recorder.video.store import VideoStore  # noqa: E402
from recorder.video.tiles import TileInfo, write_tiles  # noqa: E402
from sandbox.meet_media.video import open_encoder  # noqa: E402

FPS = 15
LOOP = 10 * FPS  # frames encoded per stream, repeated for the call's length
SIZE = (640, 360)
RATE = 48_000
PEOPLE = (
    ("participants/ann", "Ann", VideoCodec.VP8),
    ("participants/ben", "Ben", VideoCodec.VP9),
    ("participants/cy", "Cy", VideoCodec.AV1),
)
TURN = 8.0  # seconds each speaker talks in turn


def _picture(width: int, height: int, index: int, hue: int) -> av.VideoFrame:
    """A webcam-like frame: a still shaded background and a moving, textured head."""
    ys, xs = np.mgrid[0:height, 0:width]
    rgb = np.empty((height, width, 3), np.uint8)
    rgb[..., 0] = 60 + (xs * 80 // width + hue) % 120
    rgb[..., 1] = 70 + ys * 60 // height
    rgb[..., 2] = 90 + (hue * 3) % 100
    cx = width / 2 + width / 8 * np.sin(index / 20)
    cy = height / 2 + height / 16 * np.cos(index / 13)
    head = ((xs - cx) / (width / 7)) ** 2 + ((ys - cy) / (height / 3.5)) ** 2 < 1
    texture = (xs * 3 + ys * 5 + index * 7) % 64
    skin = texture[head]
    rgb[head] = np.stack([180 + skin // 2, 140 + skin // 3, np.full_like(skin, 120)], axis=-1)
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


def _encode_loop(codec: VideoCodec, hue: int) -> list[tuple[bytes, bool]]:
    width, height = SIZE
    context = open_encoder(codec, width=width, height=height, fps=FPS, gop=LOOP, bit_rate=600_000)
    packets = []
    for i in range(LOOP):
        frame = _picture(*SIZE, i, hue)
        frame.pts = i
        packets += context.encode(frame)
    packets += context.encode(None)
    return [(bytes(p), bool(p.is_keyframe)) for p in packets]


def _write_video(video_dir: Path, seconds: float) -> None:
    store = VideoStore(video_dir)
    loops = {key: _encode_loop(codec, 40 * i) for i, (key, _, codec) in enumerate(PEOPLE)}
    for index in range(round(seconds * FPS)):
        pts = index * CLOCK_RATE // FPS
        for key, _, codec in PEOPLE:
            data, keyframe = loops[key][index % LOOP]
            store.write(key, EncodedFrame(codec, data, keyframe), pts)
    store.close()
    write_tiles(video_dir, [TileInfo(key, name, key) for key, name, _ in PEOPLE])


def _write_audio(path: Path, seconds: float) -> None:
    with av.open(str(path), "w", format="ipod", options={"movflags": "+faststart"}) as out:
        stream: Any = out.add_stream("aac", rate=RATE, layout="mono")
        total = round(seconds * RATE)
        for start in range(0, total, 1024):
            count = min(1024, total - start)
            wave = 0.1 * np.sin(2 * np.pi * 220 * np.arange(start, start + count) / RATE)
            frame = av.AudioFrame.from_ndarray(
                wave.astype(np.float32).reshape(1, -1), format="flt", layout="mono"
            )
            frame.sample_rate, frame.pts = RATE, start
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def _activity(seconds: float) -> dict[str, list[tuple[float, float]]]:
    """Speakers talk in turns of `TURN` s, each turn overlapping the next by 1 s."""
    activity: dict[str, list[tuple[float, float]]] = {key: [] for key, _, _ in PEOPLE}
    for turn in range(int(seconds // TURN) + 1):
        key = PEOPLE[turn % len(PEOPLE)][0]
        activity[key].append((turn * TURN, min(seconds, (turn + 1) * TURN + 1)))
    return activity


def compose(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Compose ``--minutes`` of a three-stream call; return the figures."""
    seconds = args.minutes * 60
    _write_video(work / "video", seconds)
    _write_audio(work / "recording.m4a", seconds)
    options = ComposeOptions(threads=args.threads, preset=args.preset)
    cpu, wall = time.process_time(), time.perf_counter()
    result = compose_mp4(
        video_dir=work / "video",
        audio=work / "recording.m4a",
        activity=_activity(seconds),
        duration=seconds,
        dest=work / "call.mp4",
        options=options,
    )
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "call_seconds": round(result.duration, 2),
        "streams": len(PEOPLE),
        "stream_size": f"{SIZE[0]}x{SIZE[1]}@{FPS}",
        "output": f"{result.width}x{result.height}@{options.frame_rate}",
        "x264": {"preset": options.preset, "crf": options.crf, "threads": options.threads},
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "cpu_seconds_per_call_minute": round(cpu / (seconds / 60), 2),
        "realtime_factor": round(seconds / wall, 2),
        "mp4_bytes": result.path.stat().st_size,
    }


def capture(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Record ``--minutes`` of a call with three cameras through the bot; return the figures."""
    from video_capture import run  # the bench directory is on sys.path when run as a script

    return asyncio.run(run(args.minutes, work))


PARTS: dict[str, Callable[[argparse.Namespace, Path], dict[str, Any]]] = {
    "compose": compose,
    "capture": capture,
}
"""Each part measures one cost; ``--part all`` runs them all."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=[*PARTS, "all"], default="all")
    parser.add_argument("--minutes", type=float, default=1.0, help="length of the call")
    parser.add_argument("--threads", type=int, default=0, help="x264 threads (0: x264 picks)")
    parser.add_argument("--preset", default=ComposeOptions().preset, help="x264 preset")
    args = parser.parse_args()
    result = {}
    for name, run in PARTS.items():
        if args.part in (name, "all"):
            with tempfile.TemporaryDirectory(prefix=f"meetbot-bench-video-{name}-") as tmp:
                result[name] = run(args, Path(tmp))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
