"""Run the speech engine for every call of the process, a bounded number of utterances at once."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from recorder.transcribe.engine import Piece, SpeechEngine
from recorder.transcribe.model import TranscriptionError

logger = logging.getLogger(__name__)

_RATE = 16_000


def _never() -> bool:
    return False


@dataclass(slots=True)
class _Job:
    audio: np.ndarray
    urgent: Callable[[], bool]
    result: asyncio.Future[list[Piece]]


class Transcriber:
    """Shared by all recordings: audio waits its turn for one of ``workers`` threads.

    The engine runs in this object's own thread pool, never the event loop's default
    executor, and at most ``workers`` jobs are handed to it at once: a call full of speech
    delays other calls' transcripts, never anyone's capture. Waiting jobs go oldest first,
    except that those whose ``urgent()`` says so (a call that has ended and waits for its
    last words) go before all others.

    Args:
        engine: the loaded speech engine (it must allow ``workers`` concurrent calls).
        workers: engine calls at once.
    """

    def __init__(self, engine: SpeechEngine, *, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.engine = engine
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="transcribe")
        self._waiting: list[_Job] = []
        self._running: set[asyncio.Future[tuple[list[Piece], float]]] = set()
        self._closed = False
        self.submitted = 0
        self.finished = 0
        self.failed = 0
        self.busy_seconds = 0.0
        self.audio_seconds = 0.0

    @property
    def queued(self) -> int:
        """Jobs waiting for a worker."""
        return sum(1 for job in self._waiting if not job.result.done())

    @property
    def running(self) -> int:
        """Jobs in the engine now (at most ``workers``)."""
        return len(self._running)

    def stats(self) -> dict[str, int | float]:
        """Counters for logs and benchmarks (busy seconds are worker wall-clock time)."""
        return {
            "workers": self.workers,
            "queued": self.queued,
            "running": self.running,
            "submitted": self.submitted,
            "finished": self.finished,
            "failed": self.failed,
            "busy_seconds": round(self.busy_seconds, 3),
            "audio_seconds": round(self.audio_seconds, 3),
        }

    async def transcribe(
        self, audio: np.ndarray, *, urgent: Callable[[], bool] = _never
    ) -> list[Piece]:
        """Recognize ``audio`` (float32 mono 16 kHz, at most ~30 s) when a worker is free.

        Args:
            audio: the speech.
            urgent: asked when a worker frees up; True jumps the queue.

        Raises:
            TranscriptionError: The engine failed, or the transcriber was closed.
        """
        if self._closed:
            raise TranscriptionError("the transcriber is closed")
        result: asyncio.Future[list[Piece]] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Job(audio, urgent, result))
        self.submitted += 1
        self._dispatch()
        return await result  # cancelling it leaves the job to be skipped

    def _dispatch(self) -> None:
        while len(self._running) < self.workers and self._waiting:
            job = self._next()
            if job.result.done():
                continue  # its caller gave up
            running = asyncio.wrap_future(self._pool.submit(self._run, job.audio))
            self._running.add(running)
            running.add_done_callback(functools.partial(self._done, job))

    def _next(self) -> _Job:
        """The first urgent job, else the oldest."""
        for index, job in enumerate(self._waiting):
            if job.urgent():
                return self._waiting.pop(index)
        return self._waiting.pop(0)

    def _run(self, audio: np.ndarray) -> tuple[list[Piece], float]:
        """In a worker: the engine call, timed, its failures translated."""
        started = time.monotonic()
        try:
            return self.engine.transcribe(audio), time.monotonic() - started
        except Exception as exc:  # the engine's boundary: whatever it raises
            logger.warning("speech engine failed on %.1f s of audio", len(audio) / _RATE)
            raise TranscriptionError(f"the speech engine failed: {exc}") from exc

    def _done(self, job: _Job, done: asyncio.Future[tuple[list[Piece], float]]) -> None:
        self._running.discard(done)
        self.audio_seconds += len(job.audio) / _RATE
        if done.cancelled():
            error: BaseException | None = TranscriptionError("the transcriber was closed")
        else:
            error = done.exception()
        if error is None:
            pieces, seconds = done.result()
            self.finished += 1
            self.busy_seconds += seconds
            if not job.result.done():
                job.result.set_result(pieces)
        else:
            self.failed += 1
            if not job.result.done():
                job.result.set_exception(error)
        if not self._closed:
            self._dispatch()

    async def aclose(self) -> None:
        """Refuse new work, fail what is waiting, let the running jobs finish."""
        if self._closed:
            return
        self._closed = True
        for job in self._waiting:
            if not job.result.done():
                job.result.set_exception(TranscriptionError("the transcriber was closed"))
        self._waiting.clear()
        await asyncio.gather(*self._running, return_exceptions=True)
        self._pool.shutdown(wait=False)
        logger.info("transcriber closed: %s", self.stats())
