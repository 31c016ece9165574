"""The shared transcriber: bounded workers of its own, urgent work first, failures typed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import numpy as np
import pytest

from recorder.transcribe.engine import Piece
from recorder.transcribe.model import TranscriptionError
from recorder.transcribe.transcriber import Transcriber
from tests.fixtures_bot import eventually


class GatedEngine:
    """A speech engine that holds each call until the test opens the gate."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.active = 0
        self.most = 0
        self.heard: list[float] = []
        self.threads: set[str] = set()

    def transcribe(self, audio: np.ndarray) -> list[Piece]:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
            self.threads.add(threading.current_thread().name)
        try:
            assert self.gate.wait(10)
            if audio[0] < 0:
                raise ValueError("the model cannot read this")
            with self.lock:
                self.heard.append(float(audio[0]))
            return [Piece(0.0, 1.0, f"said {audio[0]:g}", 0.0, -0.1)]
        finally:
            with self.lock:
                self.active -= 1


def audio(tag: float) -> np.ndarray:
    return np.full(16_000, tag, dtype=np.float32)


@pytest.fixture
def engine() -> GatedEngine:
    return GatedEngine()


async def test_at_most_workers_run_at_once_in_its_own_threads(engine: GatedEngine) -> None:
    transcriber = Transcriber(engine, workers=2)
    jobs = [asyncio.ensure_future(transcriber.transcribe(audio(n))) for n in range(1, 6)]

    await until(
        lambda: engine.active == 2 and transcriber.queued == 3,
        what="two engine calls and three waiting",
    )
    assert transcriber.running == 2
    await asyncio.sleep(0)  # the event loop is not blocked by the engine
    engine.gate.set()
    results = await asyncio.gather(*jobs)
    assert [r[0].text for r in results] == [f"said {n}" for n in range(1, 6)]
    assert engine.most == 2
    assert all(name.startswith("transcribe") for name in engine.threads)
    assert transcriber.stats()["finished"] == 5
    assert transcriber.audio_seconds == pytest.approx(5.0)
    await transcriber.aclose()


async def test_urgent_work_jumps_the_queue(engine: GatedEngine) -> None:
    transcriber = Transcriber(engine, workers=1)
    first = asyncio.ensure_future(transcriber.transcribe(audio(1)))
    await until(lambda: engine.active == 1, what="the first call")
    later = asyncio.ensure_future(transcriber.transcribe(audio(2)))
    urgent = asyncio.ensure_future(transcriber.transcribe(audio(3), urgent=lambda: True))
    last = asyncio.ensure_future(transcriber.transcribe(audio(4)))
    await until(lambda: transcriber.queued == 3, what="three waiting")
    engine.gate.set()
    await asyncio.gather(first, later, urgent, last)
    assert engine.heard == [1, 3, 2, 4]
    await transcriber.aclose()


async def test_engine_failures_are_transcription_errors(engine: GatedEngine) -> None:
    engine.gate.set()
    transcriber = Transcriber(engine, workers=1)
    with pytest.raises(TranscriptionError, match="cannot read this"):
        await transcriber.transcribe(audio(-1))
    assert (await transcriber.transcribe(audio(2)))[0].text == "said 2"
    assert (transcriber.failed, transcriber.finished) == (1, 1)
    await transcriber.aclose()


async def test_a_caller_that_gives_up_is_skipped(engine: GatedEngine) -> None:
    transcriber = Transcriber(engine, workers=1)
    first = asyncio.ensure_future(transcriber.transcribe(audio(1)))
    await until(lambda: engine.active == 1, what="the first call")
    dropped = asyncio.ensure_future(transcriber.transcribe(audio(2)))
    kept = asyncio.ensure_future(transcriber.transcribe(audio(3)))
    await asyncio.sleep(0)
    dropped.cancel()
    engine.gate.set()
    await asyncio.gather(first, kept)
    assert engine.heard == [1, 3]
    await transcriber.aclose()


async def test_closing_fails_the_waiting_and_refuses_new_work(engine: GatedEngine) -> None:
    transcriber = Transcriber(engine, workers=1)
    running = asyncio.ensure_future(transcriber.transcribe(audio(1)))
    waiting = asyncio.ensure_future(transcriber.transcribe(audio(2)))
    await until(lambda: engine.active == 1, what="the first call")
    closing = asyncio.ensure_future(transcriber.aclose())
    with pytest.raises(TranscriptionError, match="closed"):
        await waiting
    assert not closing.done()  # it waits for the engine call in progress
    engine.gate.set()
    await closing
    assert (await running)[0].text == "said 1"
    with pytest.raises(TranscriptionError, match="closed"):
        await transcriber.transcribe(audio(3))


def test_workers_must_be_positive(engine: GatedEngine) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Transcriber(engine, workers=0)


async def until(condition: Callable[[], bool], *, what: str) -> None:
    async def probe() -> bool:
        return condition()

    await eventually(probe, what=what)
