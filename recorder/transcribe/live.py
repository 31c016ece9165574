"""One call's live transcript and mix: fed by the capture, done seconds after the call ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from recorder.model import Speaker
from recorder.transcribe.batch import split_pieces, take_batch
from recorder.transcribe.engine import Piece
from recorder.transcribe.hallucination import keep_speech
from recorder.transcribe.model import Segment, TranscriptionError
from recorder.transcribe.pipeline import AudioPipeline, Heard, Packets
from recorder.transcribe.transcriber import Transcriber
from recorder.transcribe.vad import RATE as VAD_RATE
from recorder.transcribe.vad import Utterance, VadOptions
from recorder.workers import run_in, shutdown

logger = logging.getLogger(__name__)

SegmentSink = Callable[[tuple[Segment, ...]], Awaitable[None]]
HOLD = 5.0
BATCH_SECONDS = 20.0
_MIN_SEGMENT = 0.01  # seconds: a segment always ends after it starts


@dataclass(frozen=True, slots=True)
class LiveResult:
    """What the live pipeline made of the call.

    Attributes:
        segments: the transcript, by start time, with the speakers' final names.
        mixed: the mixed recording (M4A) made during the call, or None if there is none
            (nobody was heard, or live mixing failed: mix after the call instead).
        mixed_seconds: how long ``mixed`` is.
        error: why the transcript is missing or incomplete, if it is.
    """

    segments: tuple[Segment, ...]
    mixed: Path | None
    mixed_seconds: float
    error: str | None


@dataclass(frozen=True, slots=True)
class _Said:
    key: str
    start: float
    end: float
    text: str


@dataclass(slots=True)
class _Queue:
    """One speaker's utterances waiting for the engine, and the task working through them."""

    waiting: deque[Utterance] = field(default_factory=deque)
    arrived: deque[float] = field(default_factory=deque)  # loop time each one was queued
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    @property
    def seconds(self) -> float:
        return sum(len(u.audio) for u in self.waiting) / VAD_RATE


class LiveTranscript:
    """Decode, mix and transcribe one call while it runs.

    The capture hands over every packet it writes (`packet`, cheap: it only appends); an
    owned task takes what came every ``interval`` seconds and runs it through an
    `AudioPipeline` in ``executor``'s threads; finished utterances queue per speaker for the shared
    `Transcriber` (those that pile up go together, see `recorder.transcribe.batch`), and
    their segments go to ``on_segments`` as they come. `close` finishes it all.

    Args:
        mixed_dest: where the live mix (M4A) goes.
        transcriber: the process's transcriber; None only mixes.
        on_segments: awaited with each utterance's segments as they are produced.
        interval: seconds between runs of the pipeline.
        vad: voice detection tuning.
        hold: seconds a speaker's speech may wait so more of it goes in one engine call
            (Whisper costs nearly as much for 2 s as for 20 s); the end of the call and
            ``batch_seconds`` of waiting speech release it at once.
        batch_seconds: waiting speech that is worth an engine call without holding more.
        executor: the threads for the pipeline (the recorder's audio pool); without one,
            this transcript owns a thread of its own until `close` or `abort`.
    """

    def __init__(
        self,
        *,
        mixed_dest: Path,
        transcriber: Transcriber | None = None,
        on_segments: SegmentSink | None = None,
        interval: float = 0.5,
        vad: VadOptions | None = None,
        hold: float = HOLD,
        batch_seconds: float = BATCH_SECONDS,
        executor: Executor | None = None,
    ) -> None:
        self._owned = executor is None
        self._executor = executor or ThreadPoolExecutor(1, thread_name_prefix="audio")
        self._transcriber = transcriber
        self._on_segments = on_segments
        self._interval = interval
        self.hold = hold
        self._batch_seconds = batch_seconds
        self._pipeline = AudioPipeline(
            mixed_dest=mixed_dest, detect=transcriber is not None, vad=vad
        )
        self._inbox: dict[str, Packets] = {}
        self._speakers: dict[str, Speaker] = {}
        self._said: list[_Said] = []
        self._queues: dict[str, _Queue] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self._closing = False
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._accepting = True
        self._error: str | None = None
        self._result: LiveResult | None = None
        self.utterances = 0
        self.batches = 0  # engine jobs (several utterances of a speaker may share one)
        self.dropped = 0  # utterances that held nothing but the engine's inventions
        # (utterances the speech check rejected never reach the engine: ``stats()["rejected"]``)

    # --- the capture's listener (on the event loop, per packet) ------------------------------

    def packet(self, key: str, payload: bytes, samples: int) -> None:
        """One packet the capture wrote for speaker ``key`` (silence padding included)."""
        if self._accepting:
            batch = self._inbox.get(key)
            if batch is None:
                batch = self._inbox[key] = []
            batch.append((payload, samples))

    def speaker(self, speaker: Speaker) -> None:
        """A speaker's (new) display name."""
        self._speakers[speaker.key] = speaker

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the owned batching task (idempotent)."""
        if self._task is None and self._result is None:
            self._task = asyncio.create_task(self._run(), name="live-transcript")

    async def close(self, *, duration: float) -> LiveResult:
        """Finish: the last packets, speech still open, pending transcriptions, the mix.

        Takes about as long for a short call as for a long one: only the last batch and the
        last utterances are left. Never raises for a transcription failure (see ``error``).

        Args:
            duration: the call's length in seconds (the mix is cut or padded to it).
        """
        if self._result is not None:
            return self._result
        self._closing = True  # what is left of this call now goes before live calls' speech
        for queue in self._queues.values():
            queue.changed.set()
        self._stop.set()
        if self._task is not None:
            await self._task
        heard: list[Heard] = []
        mixed, seconds = None, 0.0
        if self._accepting:
            inbox, self._inbox = self._inbox, {}
            self._accepting = False
            try:
                heard, mixed, seconds = await run_in(self._executor, self._finish, inbox, duration)
            except Exception as exc:  # boundary: the recording is kept, with a post-hoc mix
                logger.exception("finishing the live transcript failed")
                self._error = self._error or f"live transcription failed: {exc}"
        for item in heard:
            self._submit(item)
        while self._pending:
            for outcome in await asyncio.gather(*self._pending, return_exceptions=True):
                if isinstance(outcome, Exception):
                    logger.error("transcribing an utterance failed", exc_info=outcome)
                    self._error = self._error or f"live transcription failed: {outcome}"
        await self._release()
        self._result = LiveResult(
            segments=self.segments(),
            mixed=mixed,
            mixed_seconds=seconds,
            error=self._error,
        )
        logger.info("live transcript closed: %s", self.stats())
        return self._result

    async def abort(self) -> None:
        """Stop everything now (the recording was cancelled); nothing more is reported."""
        self._accepting = False
        self._stop.set()
        tasks = [t for t in (self._task, *self._pending) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._release()

    async def _release(self) -> None:
        if self._owned:
            await shutdown(self._executor)

    def segments(self) -> tuple[Segment, ...]:
        """The transcript so far, by start time, with the speakers' current names."""
        said = sorted(self._said, key=lambda s: (s.start, s.end, s.key))
        return tuple(self._segment(s) for s in said)

    def stats(self) -> dict[str, float | int]:
        """Counters for logs and benchmarks (CPU seconds of each pipeline stage)."""
        cpu = {f"{stage}_cpu_s": round(v, 3) for stage, v in self._pipeline.seconds.items()}
        return {
            "audio_s": round(self._pipeline.audio_seconds, 1),
            "utterances": self.utterances,
            "batches": self.batches,
            "rejected": self._pipeline.rejected,
            "dropped": self.dropped,
            "segments": len(self._said),
            **cpu,
        }

    # --- packets ------------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)
            if self._stop.is_set() or not self._inbox:
                continue
            inbox, self._inbox = self._inbox, {}
            try:
                heard = await run_in(self._executor, self._pipeline.process, inbox)
            except Exception as exc:  # task boundary: the recording goes on without us
                logger.exception("live transcription stopped")
                self._broken(f"live transcription stopped: {exc}")
                return
            for item in heard:
                self._submit(item)

    def _finish(
        self, inbox: dict[str, Packets], duration: float
    ) -> tuple[list[Heard], Path | None, float]:
        """In a worker: the last batch, open speech, and the finished mix."""
        heard = self._pipeline.process(inbox) if inbox else []
        heard += self._pipeline.flush()
        mixed, seconds = self._pipeline.close_mix(duration=duration)
        return heard, mixed, seconds

    def _broken(self, error: str) -> None:
        self._accepting = False
        self._inbox = {}
        self._error = self._error or error

    # --- utterances --------------------------------------------------------------------------

    def _submit(self, heard: Heard) -> None:
        """Queue an utterance behind its speaker's others; one engine job per speaker at once."""
        if self._transcriber is None:
            return
        self.utterances += 1
        queue = self._queues.get(heard.key)
        if queue is None:
            queue = self._queues[heard.key] = _Queue()
        queue.waiting.append(heard.utterance)
        queue.arrived.append(asyncio.get_running_loop().time())
        queue.changed.set()
        if queue.task is None or queue.task.done():
            queue.task = asyncio.create_task(self._work(self._transcriber, heard.key, queue))
            self._pending.add(queue.task)
            queue.task.add_done_callback(self._pending.discard)

    async def _work(self, transcriber: Transcriber, key: str, queue: _Queue) -> None:
        """Transcribe the speaker's waiting utterances, together when several have piled up."""
        while queue.waiting:
            await self._held(queue)
            batch = take_batch(queue.waiting)
            for _ in batch.utterances:
                queue.arrived.popleft()
            self.batches += 1
            try:
                pieces = await transcriber.transcribe(batch.audio, urgent=self._is_closing)
            except TranscriptionError as exc:
                self._failed(key, exc)
                continue
            said = []
            for utterance, share in zip(batch.utterances, split_pieces(batch, pieces), strict=True):
                kept = keep_speech(share)
                self.dropped += not kept
                said += _place(key, utterance, kept)
            if said:
                self._said += said
                await self._report(said)

    async def _held(self, queue: _Queue) -> None:
        """Until the speaker's waiting speech is worth an engine call (or the call ended)."""
        loop = asyncio.get_running_loop()
        while not self._closing and queue.seconds < self._batch_seconds:
            left = queue.arrived[0] + self.hold - loop.time()
            if left <= 0:
                return
            queue.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queue.changed.wait(), left)

    def _is_closing(self) -> bool:
        return self._closing

    def _failed(self, key: str, exc: TranscriptionError) -> None:
        level = logging.WARNING if self._error is None else logging.DEBUG
        logger.log(level, "utterances of %s could not be transcribed: %s", key, exc)
        self._error = self._error or str(exc)

    async def _report(self, said: list[_Said]) -> None:
        if self._on_segments is None:
            return
        try:
            await self._on_segments(tuple(self._segment(s) for s in said))
        except Exception:  # the host's callback must not stop the transcript
            logger.exception("reporting transcript segments failed")

    def _segment(self, said: _Said) -> Segment:
        speaker = self._speakers.get(said.key) or Speaker(said.key, said.key)
        return Segment(speaker=speaker, start=said.start, end=said.end, text=said.text)


def _place(key: str, utterance: Utterance, pieces: list[Piece]) -> list[_Said]:
    """Put an utterance's pieces on the call clock, within the utterance."""
    first = utterance.start / VAD_RATE
    last = utterance.end / VAD_RATE
    said = []
    for piece in pieces:
        start = min(first + max(0.0, piece.start), last - _MIN_SEGMENT)
        end = min(first + piece.end, last)
        said.append(_Said(key, start, max(end, start + _MIN_SEGMENT), piece.text))
    return said
