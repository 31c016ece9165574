"""The recorder's public API, typed (the names load lazily: see `recorder/__init__.py`)."""

from recorder.capture.finalize import FinalizeResult, OutputFile
from recorder.errors import (
    CallNotActive,
    Cancelled,
    ConnectRefused,
    Disconnected,
    MediaAuthError,
    MediaLost,
    NoAudio,
    NotAdmitted,
    RecorderError,
    RefusalReason,
    SignalingError,
)
from recorder.lifecycle import LIVE_STATES, TERMINAL_STATES, InvalidTransition
from recorder.model import RecordingId, RecordingState, Speaker
from recorder.ports import (
    ConferenceProbe,
    Outcome,
    RecordingEvents,
    RecordingJob,
    TokenSource,
    VideoRequest,
)
from recorder.service import Recorder, RecorderBusy
from recorder.session.options import SessionOptions
from recorder.transcribe import formats as transcript_formats
from recorder.transcribe.model import Segment
from recorder.video.compose import ComposeError, ComposeOptions, ComposeStopped
from recorder.video.deliver import (
    MP4_TYPE,
    PendingVideo,
    compose_call,
    has_video,
    keep_audio,
    read_pending,
    write_pending,
)
from recorder.workdir import WorkDir

__all__ = [
    "LIVE_STATES",
    "MP4_TYPE",
    "TERMINAL_STATES",
    "CallNotActive",
    "Cancelled",
    "ComposeError",
    "ComposeOptions",
    "ComposeStopped",
    "ConferenceProbe",
    "ConnectRefused",
    "Disconnected",
    "FinalizeResult",
    "InvalidTransition",
    "MediaAuthError",
    "MediaLost",
    "NoAudio",
    "NotAdmitted",
    "Outcome",
    "OutputFile",
    "PendingVideo",
    "Recorder",
    "RecorderBusy",
    "RecorderError",
    "RecordingEvents",
    "RecordingId",
    "RecordingJob",
    "RecordingState",
    "RefusalReason",
    "Segment",
    "SessionOptions",
    "SignalingError",
    "Speaker",
    "TokenSource",
    "VideoRequest",
    "WorkDir",
    "compose_call",
    "has_video",
    "keep_audio",
    "read_pending",
    "transcript_formats",
    "write_pending",
]
