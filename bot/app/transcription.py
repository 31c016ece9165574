"""The speech engine from settings: checked at start, loaded once per runtime on first use."""

from __future__ import annotations

import logging
import threading

import numpy as np

from bot.settings import SettingsError, TranscriptionSettings
from recorder.transcribe.engine import FasterWhisperEngine, Piece, load_engine, resolve_model
from recorder.transcribe.model import EngineError
from recorder.transcribe.transcriber import Transcriber

logger = logging.getLogger(__name__)

_Key = tuple[str, str | None, int, str, int, int]


class SpeechModels:
    """The loaded speech engines, one per distinct setting; the composition root owns one.

    Loading takes about a second and 100 MB, so every `LazyEngine` given the same
    `SpeechModels` shares what it loaded. Thread-safe: engines load in transcription threads.
    """

    def __init__(self) -> None:
        self._engines: dict[_Key, FasterWhisperEngine] = {}
        self._lock = threading.Lock()

    def load(self, settings: TranscriptionSettings) -> FasterWhisperEngine:
        """The engine for ``settings``, loading it now if no one has (blocking).

        Raises:
            EngineError: the model cannot be loaded.
        """
        s = settings
        key: _Key = (s.model, s.language, s.beam_size, s.compute_type, s.cpu_threads, s.workers)
        with self._lock:
            engine = self._engines.get(key)
            if engine is None:
                engine = self._engines[key] = load_engine(
                    model=s.model,
                    language=s.language or None,
                    beam_size=s.beam_size,
                    compute_type=s.compute_type,
                    cpu_threads=s.cpu_threads,
                    workers=s.workers,
                )
            return engine


class LazyEngine:
    """`SpeechEngine` that loads the model at its first utterance, in a transcription thread.

    A bot that never records never pays for the model; ``models`` keeps it once loaded.
    """

    def __init__(self, settings: TranscriptionSettings, *, models: SpeechModels) -> None:
        self._settings = settings
        self._models = models

    def transcribe(self, audio: np.ndarray) -> list[Piece]:
        return self.load().transcribe(audio)

    def load(self) -> FasterWhisperEngine:
        """The engine, loading it now if no one has (blocking).

        Raises:
            EngineError: the model cannot be loaded.
        """
        return self._models.load(self._settings)


def build_transcriber(
    settings: TranscriptionSettings, *, models: SpeechModels
) -> Transcriber | None:
    """The runtime's transcriber, or None when transcription is off.

    Raises:
        SettingsError: the configured model does not exist (checked without loading it).
    """
    if not settings.enabled:
        logger.info("transcription is off (MEETBOT_TRANSCRIPTION_ENABLED=false)")
        return None
    try:
        resolve_model(settings.model)
    except EngineError as exc:
        raise SettingsError(str(exc)) from exc  # it names MEETBOT_TRANSCRIPTION_MODEL
    return Transcriber(LazyEngine(settings, models=models), workers=settings.workers)
