"""Call capture: per-speaker Ogg Opus files on the call clock, and the finished outputs."""

from recorder.capture.capture import CallCapture, CaptureListener, CaptureSummary, TrackSummary
from recorder.capture.finalize import FinalizeError, FinalizeResult, OutputFile, finalize
from recorder.capture.manifest import CaptureManifest, read_manifest, write_manifest

__all__ = [
    "CallCapture",
    "CaptureListener",
    "CaptureManifest",
    "CaptureSummary",
    "FinalizeError",
    "FinalizeResult",
    "OutputFile",
    "TrackSummary",
    "finalize",
    "read_manifest",
    "write_manifest",
]
