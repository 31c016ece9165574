"""The speech engine from settings: checked at start, loaded once per process on first use."""

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
_ENGINES: dict[_Key, FasterWhisperEngine] = {}
_LOCK = threading.Lock()


class LazyEngine:
    """`SpeechEngine` that loads the model at its first utterance, in a transcription thread.

    Loading takes about a second and 100 MB; a bot that never records never pays it. The
    loaded model is shared by every `LazyEngine` of the process with the same settings.
    """

    def __init__(self, settings: TranscriptionSettings) -> None:
        self._settings = settings

    def transcribe(self, audio: np.ndarray) -> list[Piece]:
        return self.load().transcribe(audio)

    def load(self) -> FasterWhisperEngine:
        """The engine, loading it now if no one has (blocking).

        Raises:
            EngineError: the model cannot be loaded.
        """
        s = self._settings
        key: _Key = (s.model, s.language, s.beam_size, s.compute_type, s.cpu_threads, s.workers)
        with _LOCK:
            engine = _ENGINES.get(key)
            if engine is None:
                engine = _ENGINES[key] = load_engine(
                    model=s.model,
                    language=s.language or None,
                    beam_size=s.beam_size,
                    compute_type=s.compute_type,
                    cpu_threads=s.cpu_threads,
                    workers=s.workers,
                )
            return engine


def build_transcriber(settings: TranscriptionSettings) -> Transcriber | None:
    """The process's transcriber, or None when transcription is off.

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
    return Transcriber(LazyEngine(settings), workers=settings.workers)
