"""The Meet Media API recorder's public API: the bot imports these names and nothing deeper.

Names load on first use (PEP 562): importing one light module (``recorder.retry``, the video
codecs the sandbox reuses) does not pull in the whole recorder. Their types are declared in
``__init__.pyi``; a unit test keeps the two lists equal.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, tuple[str, str]] = {
    # the service: start, stop, status (active, get, wait), recover, aclose
    "Recorder": ("recorder.service", "Recorder"),
    "RecorderBusy": ("recorder.service", "RecorderBusy"),
    "SessionOptions": ("recorder.session.options", "SessionOptions"),
    # a job, what it reports, how it ends
    "RecordingJob": ("recorder.ports", "RecordingJob"),
    "RecordingEvents": ("recorder.ports", "RecordingEvents"),
    "ConferenceProbe": ("recorder.ports", "ConferenceProbe"),
    "TokenSource": ("recorder.ports", "TokenSource"),
    "VideoRequest": ("recorder.ports", "VideoRequest"),
    "Outcome": ("recorder.ports", "Outcome"),
    "FinalizeResult": ("recorder.capture.finalize", "FinalizeResult"),
    "OutputFile": ("recorder.capture.finalize", "OutputFile"),
    "RecordingId": ("recorder.model", "RecordingId"),
    "RecordingState": ("recorder.model", "RecordingState"),
    "Speaker": ("recorder.model", "Speaker"),
    # the state machine
    "LIVE_STATES": ("recorder.lifecycle", "LIVE_STATES"),
    "TERMINAL_STATES": ("recorder.lifecycle", "TERMINAL_STATES"),
    "InvalidTransition": ("recorder.lifecycle", "InvalidTransition"),
    # the work directory (Recorder.recover finishes one a crash left)
    "WorkDir": ("recorder.workdir", "WorkDir"),
    # errors
    "RecorderError": ("recorder.errors", "RecorderError"),
    "SignalingError": ("recorder.errors", "SignalingError"),
    "MediaAuthError": ("recorder.errors", "MediaAuthError"),
    "ConnectRefused": ("recorder.errors", "ConnectRefused"),
    "RefusalReason": ("recorder.errors", "RefusalReason"),
    "CallNotActive": ("recorder.errors", "CallNotActive"),
    "Cancelled": ("recorder.errors", "Cancelled"),
    "NotAdmitted": ("recorder.errors", "NotAdmitted"),
    "NoAudio": ("recorder.errors", "NoAudio"),
    "Disconnected": ("recorder.errors", "Disconnected"),
    "MediaLost": ("recorder.errors", "MediaLost"),
    # transcripts
    "Segment": ("recorder.transcribe.model", "Segment"),
    "transcript_formats": ("recorder.transcribe.formats", ""),
    # video after the call
    "ComposeOptions": ("recorder.video.compose", "ComposeOptions"),
    "ComposeError": ("recorder.video.compose", "ComposeError"),
    "ComposeStopped": ("recorder.video.compose", "ComposeStopped"),
    "compose_call": ("recorder.video.deliver", "compose_call"),
    "MP4_TYPE": ("recorder.video.deliver", "MP4_TYPE"),
    "PendingVideo": ("recorder.video.deliver", "PendingVideo"),
    "has_video": ("recorder.video.deliver", "has_video"),
    "keep_audio": ("recorder.video.deliver", "keep_audio"),
    "read_pending": ("recorder.video.deliver", "read_pending"),
    "write_pending": ("recorder.video.deliver", "write_pending"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import an exported name on first use and keep it in the package's namespace."""
    try:
        module_name, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'recorder' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = getattr(module, attr) if attr else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
