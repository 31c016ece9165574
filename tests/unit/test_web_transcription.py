"""The speech engine from settings: checked at start, loaded once per process on first use."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from bot.settings import SettingsError, TranscriptionSettings
from bot.web.transcription import LazyEngine, build_transcriber
from tests.speech import speech


def test_transcription_off_means_no_transcriber() -> None:
    assert build_transcriber(TranscriptionSettings(enabled=False)) is None


def test_a_missing_model_stops_the_start_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="MEETBOT_TRANSCRIPTION_MODEL") as caught:
        build_transcriber(TranscriptionSettings(model=str(tmp_path / "no-such-model")))
    assert "does not exist" in str(caught.value)


async def test_the_model_is_loaded_at_first_use_and_shared(tmp_path: Path) -> None:
    # the default beam: greedy decoding of espeak's voice differs with the CPU's int8 kernels
    settings = TranscriptionSettings()
    transcriber = build_transcriber(settings)
    assert transcriber is not None
    try:
        audio = speech("The weather is cold today.", tmp_path, rate=16_000)
        pieces = await transcriber.transcribe(np.ascontiguousarray(audio, dtype=np.float32))
        assert "weather" in " ".join(p.text for p in pieces).lower()
        first, second = LazyEngine(settings), LazyEngine(settings)
        loaded = await asyncio.to_thread(first.load)
        assert await asyncio.to_thread(second.load) is loaded
    finally:
        await transcriber.aclose()
