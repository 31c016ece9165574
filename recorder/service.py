"""The recorder service: `start`, `stop`, status; one owned task per running recording."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from recorder.model import RecordingId
from recorder.ports import Outcome, RecordingJob
from recorder.session.options import SHUTDOWN, SessionOptions
from recorder.session.recording import RecordingSession
from recorder.transcribe.transcriber import Transcriber
from recorder.workdir import recover
from recorder.workers import WorkerPools, run_in

logger = logging.getLogger(__name__)


class RecorderBusy(Exception):
    """The process already runs as many recordings as it may."""


@dataclass(frozen=True, slots=True)
class Running:
    """A recording in progress: its session and the task that runs it."""

    session: RecordingSession
    task: asyncio.Task[None]


class Recorder:
    """Runs recordings in this process; the host learns of progress through each job's events.

    Args:
        options: timers and endpoints for every session.
        http: the shared HTTP session (signalling).
        max_concurrent: recordings at once; `start` raises `RecorderBusy` beyond it.
        transcriber: transcribes every job that asks for it, shared by all calls (the host
            owns and closes it); None records without transcripts.
        audio_workers: threads of the recorder's own pool for live mixing and speech checks.
        finalize_workers: threads of its own pool for writing the files of ended calls.
    """

    def __init__(
        self,
        *,
        options: SessionOptions,
        http: aiohttp.ClientSession,
        max_concurrent: int = 50,
        session_factory: Callable[..., RecordingSession] = RecordingSession,
        transcriber: Transcriber | None = None,
        audio_workers: int = 2,
        finalize_workers: int = 2,
    ) -> None:
        self._options = options
        self._http = http
        self._max = max_concurrent
        self._factory = session_factory
        self._transcriber = transcriber
        self._running: dict[RecordingId, Running] = {}
        self._closing = False
        self.pools = WorkerPools(audio_workers=audio_workers, finalize_workers=finalize_workers)

    def start(self, job: RecordingJob) -> RecordingSession:
        """Start recording ``job`` in the background; its outcome goes to ``job.events``."""
        if self._closing:
            raise RecorderBusy("the recorder is shutting down")
        if job.recording_id in self._running:
            return self._running[job.recording_id].session
        if len(self._running) >= self._max:
            raise RecorderBusy(f"already recording {len(self._running)} calls")
        session = self._factory(
            job=job,
            options=self._options,
            http=self._http,
            transcriber=self._transcriber,
            pools=self.pools,
        )
        task = asyncio.create_task(self._run(session), name=f"recording-{job.recording_id}")
        self._running[job.recording_id] = Running(session=session, task=task)
        return session

    def stop(self, recording_id: RecordingId, *, by: str) -> bool:
        """Ask a running recording to leave and finish its files; False if not running here."""
        running = self._running.get(recording_id)
        if running is None:
            return False
        running.session.request_stop(by=by)
        return True

    async def recover(self, work_dir: Path) -> Outcome:
        """Finish, as partial, what an earlier process left in ``work_dir`` (after a crash or
        restart), on the recorder's finalize threads; see `recorder.workdir.recover`."""
        return await run_in(self.pools.finalize, recover, work_dir)

    def get(self, recording_id: RecordingId) -> RecordingSession | None:
        running = self._running.get(recording_id)
        return running.session if running else None

    @property
    def active(self) -> tuple[RecordingId, ...]:
        return tuple(self._running)

    async def wait(self, recording_id: RecordingId) -> None:
        """Until that recording's outcome has been reported (tests, CLI)."""
        running = self._running.get(recording_id)
        if running is not None:
            await asyncio.shield(running.task)

    async def aclose(self) -> None:
        """Stop every recording (their files are finished as partial), await them, and shut
        the recorder's worker threads down."""
        self._closing = True
        for running in list(self._running.values()):
            running.session.request_stop(by=SHUTDOWN)
        tasks = [r.task for r in self._running.values()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.pools.aclose()

    async def _run(self, session: RecordingSession) -> None:
        job = session.job
        try:
            try:
                outcome = await session.run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # task boundary: never lose the report
                logger.exception("recording %s crashed", job.recording_id)
                outcome = Outcome(ok=False, partial=False, cause=f"the recorder crashed: {exc}")
            try:
                await job.events.finished(recording_id=job.recording_id, outcome=outcome)
            except Exception:
                logger.exception("recording %s: reporting the outcome failed", job.recording_id)
        finally:
            # only now: `aclose` and `wait` must also wait for the report (the host's database)
            self._running.pop(job.recording_id, None)
