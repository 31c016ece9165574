"""The speech engine from settings: checked at start, loaded once per runtime on first use."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from bot.app.transcription import LazyEngine, SpeechModels, build_transcriber
from bot.settings import SettingsError, TranscriptionSettings
from tests.speech import speech


def test_transcription_off_means_no_transcriber() -> None:
    assert build_transcriber(TranscriptionSettings(enabled=False), models=SpeechModels()) is None


def test_a_missing_model_stops_the_start_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="MEETBOT_TRANSCRIPTION_MODEL") as caught:
        build_transcriber(
            TranscriptionSettings(model=str(tmp_path / "no-such-model")), models=SpeechModels()
        )
    assert "does not exist" in str(caught.value)


async def test_the_model_is_loaded_at_first_use_and_shared(tmp_path: Path) -> None:
    # the default beam: greedy decoding of espeak's voice differs with the CPU's int8 kernels
    settings, models = TranscriptionSettings(), SpeechModels()
    transcriber = build_transcriber(settings, models=models)
    assert transcriber is not None
    try:
        audio = speech("The weather is cold today.", tmp_path, rate=16_000)
        pieces = await transcriber.transcribe(np.ascontiguousarray(audio, dtype=np.float32))
        assert "weather" in " ".join(p.text for p in pieces).lower()
        first, second = LazyEngine(settings, models=models), LazyEngine(settings, models=models)
        loaded = await asyncio.to_thread(first.load)
        assert await asyncio.to_thread(second.load) is loaded
    finally:
        await transcriber.aclose()


async def test_each_runtime_loads_its_own_model_once_however_many_threads_ask() -> None:
    settings = TranscriptionSettings()
    models, other_runtime = SpeechModels(), SpeechModels()

    loaded = await asyncio.gather(*(asyncio.to_thread(models.load, settings) for _ in range(4)))

    assert all(engine is loaded[0] for engine in loaded)
    assert await asyncio.to_thread(other_runtime.load, settings) is not loaded[0]
