"""One recording from Record to files: wait for the call, join, capture, reconnect, finish."""

from recorder.session.options import SHUTDOWN, SessionOptions
from recorder.session.recording import RecordingSession

__all__ = ["SHUTDOWN", "RecordingSession", "SessionOptions"]
