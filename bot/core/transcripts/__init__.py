"""Transcripts in the thread: live during the call, delivered after it, shown again or deleted."""
