"""After the call: the work dir's stored video and mixed audio become ``recording.mp4``.

The mixed audio is hard-linked into the video dir when the results are delivered (the host
moves the original into its blob store), so composing can run later, in the background.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from recorder.capture.finalize import OutputFile
from recorder.video.activity import speaker_names, speech_activity
from recorder.video.compose import ComposeError, ComposeOptions, compose_mp4
from recorder.video.store import list_segments

logger = logging.getLogger(__name__)

VIDEO_DIR = "video"
CAPTURE_DIR = "capture"
AUDIO_NAME = "audio.m4a"
MP4_NAME = "recording.mp4"
MP4_TYPE = "video/mp4"
_OUT_DIR = "video-out"


def has_video(work_dir: Path) -> bool:
    """Whether ``work_dir`` holds at least one stored video frame."""
    return any(s.frames for s in list_segments(work_dir / VIDEO_DIR))


def keep_audio(work_dir: Path, mixed: Path) -> Path:
    """Keep the mixed audio for composing: a hard link (a copy across file systems)."""
    dest = work_dir / VIDEO_DIR / AUDIO_NAME
    dest.unlink(missing_ok=True)
    try:
        os.link(mixed, dest)
    except OSError:
        shutil.copyfile(mixed, dest)
    return dest


def compose_call(*, work_dir: Path, duration: float, options: ComposeOptions) -> OutputFile:
    """Compose the call in ``work_dir`` into one MP4 (blocking: run it in a worker thread).

    Raises:
        ComposeError: No video was stored, or the inputs cannot be read.
    """
    video_dir = work_dir / VIDEO_DIR
    capture_dir = work_dir / CAPTURE_DIR
    audio = video_dir / AUDIO_NAME
    if duration <= 0:
        raise ComposeError("the call has no length")
    out = work_dir / _OUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    result = compose_mp4(
        video_dir=video_dir,
        audio=audio if audio.exists() else None,
        activity=speech_activity(capture_dir),
        speakers=speaker_names(capture_dir),
        duration=duration,
        dest=out / MP4_NAME,
        options=options,
    )
    logger.info(
        "video composed: %.1fs of call in %.1fs (%d frames)",
        result.duration,
        result.seconds,
        result.frames,
    )
    return OutputFile(
        path=result.path,
        filename=MP4_NAME,
        content_type=MP4_TYPE,
        size=result.path.stat().st_size,
        duration=result.duration,
        speaker=None,
    )
