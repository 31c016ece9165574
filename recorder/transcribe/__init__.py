"""Live transcription: per-speaker voice activity detection and speech-to-text during the call."""
