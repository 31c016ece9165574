"""After the call: the work dir's stored video and mixed audio become ``recording.mp4``.

The mixed audio is hard-linked into the video dir when the results are delivered (the host
moves the original into its blob store), so composing can run later, in the background.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from recorder.capture.finalize import OutputFile
from recorder.video.activity import speaker_names, speech_activity
from recorder.video.compose import ComposeError, ComposeOptions, compose_mp4
from recorder.video.store import list_segments
from recorder.workdir import WorkDir

logger = logging.getLogger(__name__)

AUDIO_NAME = "audio.m4a"
MP4_NAME = "recording.mp4"
MP4_TYPE = "video/mp4"
PENDING_NAME = "pending.json"


@dataclass(frozen=True, slots=True)
class PendingVideo:
    """A work dir whose MP4 is still owed to a thread: what a restart needs to resume it."""

    recording_id: str
    duration: float
    notice: tuple[str, str] | None
    """The "composing" message to edit in place: (channel id, message id)."""


def write_pending(work_dir: Path, pending: PendingVideo) -> None:
    """Mark ``work_dir`` as owing its MP4 (atomically: a temp file, then ``os.replace``)."""
    doc = {
        "recording_id": pending.recording_id,
        "duration": pending.duration,
        "notice": list(pending.notice) if pending.notice else None,
    }
    path = WorkDir(work_dir).video / PENDING_NAME
    tmp = path.with_name(f".{PENDING_NAME}.tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)


def read_pending(work_dir: Path) -> PendingVideo | None:
    """The mark `write_pending` left in ``work_dir``; None without one, or if it is unreadable."""
    path = WorkDir(work_dir).video / PENDING_NAME
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        notice = doc.get("notice")
        return PendingVideo(
            recording_id=str(doc["recording_id"]),
            duration=float(doc["duration"]),
            notice=(str(notice[0]), str(notice[1])) if notice else None,
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        logger.warning("unreadable %s: the video of %s is not resumed", PENDING_NAME, work_dir)
        return None


def has_video(work_dir: Path) -> bool:
    """Whether ``work_dir`` holds at least one stored video frame."""
    return any(s.frames for s in list_segments(WorkDir(work_dir).video))


def keep_audio(work_dir: Path, mixed: Path) -> Path:
    """Keep the mixed audio for composing: a hard link (a copy across file systems)."""
    dest = WorkDir(work_dir).video / AUDIO_NAME
    dest.unlink(missing_ok=True)
    try:
        os.link(mixed, dest)
    except OSError:
        shutil.copyfile(mixed, dest)
    return dest


def compose_call(
    *,
    work_dir: Path,
    duration: float,
    options: ComposeOptions,
    stop: threading.Event | None = None,
) -> OutputFile:
    """Compose the call in ``work_dir`` into one MP4 (blocking: run it in a worker thread).

    Raises:
        ComposeError: No video was stored, or the inputs cannot be read.
        ComposeStopped: ``stop`` was set while composing.
    """
    work = WorkDir(work_dir)
    video_dir, capture_dir = work.video, work.capture
    audio = video_dir / AUDIO_NAME
    if duration <= 0:
        raise ComposeError("the call has no length")
    out = work.video_out
    out.mkdir(parents=True, exist_ok=True)
    result = compose_mp4(
        video_dir=video_dir,
        audio=audio if audio.exists() else None,
        activity=speech_activity(capture_dir),
        speakers=speaker_names(capture_dir),
        duration=duration,
        dest=out / MP4_NAME,
        options=options,
        stop=stop,
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
