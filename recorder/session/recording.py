"""The recording session: one `RecordingJob` from Record to its `Outcome`, phase by phase.

Waiting is `waiting.py`'s, reconnecting `reconnect.py`'s, finishing `finish.py`'s; the
speaker reports are `speakers.py`'s and the client's callbacks land in `observer.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from recorder import lifecycle
from recorder.capture.capture import CallCapture
from recorder.capture.finalize import MIXED_NAME
from recorder.connection.client import MeetMediaClient
from recorder.connection.model import SessionEnd
from recorder.errors import Cancelled, RecorderError
from recorder.model import RecordingState
from recorder.ports import Outcome, RecordingJob, VideoRequest
from recorder.session.finish import Ending, Leftovers, finish
from recorder.session.observer import SessionObserver
from recorder.session.options import SessionOptions
from recorder.session.reconnect import connect, still_active, until_goodbye
from recorder.session.speakers import SpeakerReports
from recorder.session.waiting import wait_for_call, wait_joined
from recorder.signaling import MediaSignaling
from recorder.transcribe.live import LiveTranscript
from recorder.transcribe.model import Segment
from recorder.transcribe.transcriber import Transcriber
from recorder.video.session_video import SessionVideo
from recorder.workdir import WorkDir
from recorder.workers import WorkerPools

logger = logging.getLogger(__name__)

QUIET_HOLD = 20.0
"""Seconds a speaker's speech may wait for more when nobody watches the live transcript: one
engine call on 20 s of speech costs about what one on 2 s does (Whisper reads 30 s windows)."""


class RecordingSession:
    """Runs one `RecordingJob`; `run` returns its `Outcome` and never raises (but cancels).

    While the call runs, the capture's audio is also mixed and, with a ``transcriber`` and
    ``job.transcribe``, transcribed (segments go to ``job.events.transcribed``). With
    ``job.video``, each stream's video is stored in ``work_dir/video`` on the same call clock
    (`Outcome.video_dir`; composing the MP4 is the host's job); video never breaks audio.
    """

    def __init__(
        self,
        *,
        job: RecordingJob,
        options: SessionOptions,
        http: aiohttp.ClientSession,
        clock: Callable[[], float] = time.monotonic,
        transcriber: Transcriber | None = None,
        pools: WorkerPools | None = None,
    ) -> None:
        self.job = job
        self.work = WorkDir(job.work_dir)
        self.state = RecordingState.STARTING  # the host stores the row as starting
        self._own_pools = pools is None  # the recorder's shared pools, or this session's
        self._pools = pools or WorkerPools(audio_workers=1, finalize_workers=1)
        self._opts = options
        self._clock = clock
        self._signaling = MediaSignaling(
            session=http, base_url=options.media_base_url, tokens=job.tokens
        )
        self.live = LiveTranscript(
            mixed_dest=self.work.live / MIXED_NAME,
            transcriber=transcriber if job.transcribe else None,
            on_segments=self._transcribed,
            executor=self._pools.audio,
        )
        if not job.live_transcript:
            self.live.hold = QUIET_HOLD
        self.capture = CallCapture(work_dir=self.work.capture, clock=clock, listener=self.live)
        self.video: SessionVideo | None = None
        if job.video is not None:
            self.video = SessionVideo(self.work.video, on_failure=self._video_failed)
        self._stop = asyncio.Event()
        self.stopped_by: str | None = None
        self.client: MeetMediaClient | None = None
        self._speakers = SpeakerReports(
            events=job.events, recording_id=job.recording_id, stop=self._stop
        )

    @property
    def speaker_interval(self) -> float:
        """Seconds between two reports of who is in the call."""
        return self._speakers.interval

    @speaker_interval.setter
    def speaker_interval(self, seconds: float) -> None:
        self._speakers.interval = seconds

    def request_stop(self, *, by: str) -> None:
        """Leave the call and finish the files (Stop button, shutdown)."""
        if not self._stop.is_set():
            self.stopped_by = by
            self._stop.set()

    async def run(self) -> Outcome:
        self.live.start()
        try:
            return await self._run()
        finally:
            await self.live.abort()  # only does something if cancelled before it was closed
            if self.video is not None:
                self.video.close()  # likewise (idempotent): no IVF file left open
            if self._own_pools:
                await self._pools.aclose()

    async def _run(self) -> Outcome:
        reporter = asyncio.ensure_future(self._speakers.run())
        syncer = asyncio.ensure_future(self._keep_files_current())
        end: SessionEnd | None = None
        failure: RecorderError | None = None
        try:
            end = await self._record()
        except RecorderError as exc:
            logger.warning("recording failed: %s", exc)
            failure = exc
        finally:
            syncer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await syncer
            # not cancelled: a report may be mid-write in the host's database
            self._speakers.close()
            await reporter
        return await self._finish(Ending(end=end, failure=failure, stopped_by=self.stopped_by))

    async def _keep_files_current(self) -> None:
        """Pads quiet speakers' files with silence every second, so a crash loses little."""
        while True:
            await asyncio.sleep(1.0)
            if self.capture.started:
                self.capture.sync()

    # --- phases ---------------------------------------------------------------------------

    async def _record(self) -> SessionEnd:
        record = await wait_for_call(
            probe=self.job.probe,
            space=self.job.space,
            stop=self._stop,
            clock=self._clock,
            within=self._opts.call_timeout,
            poll_interval=self._opts.poll_interval,
        )
        if record is None:
            raise Cancelled(self.stopped_by)
        await self._state(RecordingState.STARTING, "the call is active", record)
        return await until_goodbye(
            self._one_session,
            attempts=self._opts.reconnect_attempts,
            still_active=lambda: still_active(self.job.probe, self.job.space),
            captured=lambda: self.capture.started,
        )

    async def _one_session(self, reconnecting: bool) -> SessionEnd | None:
        """Connect (retrying CONNECTIONS_EXHAUSTED on a reconnect), join, capture until the end.

        Returns None when asked to stop before joining, or the call ended while reconnecting.
        """
        client = await connect(
            self._open_client,
            video=self.video,
            request=self.job.video,
            options=self._opts,
            clock=self._clock,
            stop=self._stop,
            reconnecting=reconnecting,
        )
        if client is None:
            return None
        self.client = client
        try:
            await self._state(RecordingState.WAITING, "waiting to be admitted")
            joined = wait_joined(client, stop=self._stop, within=self._opts.admit_timeout)
            if not await joined:
                return client.ended.result() if client.ended.done() else None
            await self._capture_joined()
            return await self._until_end(client)
        finally:
            await client.close()
            if self.video is not None:
                self.video.end_all()  # a reconnect starts new segments

    async def _open_client(self, video: VideoRequest | None) -> MeetMediaClient:
        client = MeetMediaClient(
            signaling=self._signaling,
            space=self.job.space,
            observer=SessionObserver(
                capture=self.capture, video=self.video, speakers_changed=self._speakers.changed
            ),
            ice_servers=self._opts.ice_servers,
            confirmation_timeout=int(self._opts.admit_timeout),
            clock=self._clock,
            video=video,
        )
        await client.connect()
        return client

    async def _capture_joined(self) -> None:
        """Start capturing on the first join (a reconnect keeps writing the same files)."""
        if not self.capture.started:
            self.capture.start()
            if self.video is not None and self.capture.t0 is not None:
                self.video.start(self.capture.t0)  # the same call clock as the audio
        await self._state(RecordingState.RECORDING, "joined the call")

    async def _until_end(self, client: MeetMediaClient) -> SessionEnd:
        """Record until Meet ends the session or we are asked to stop (then leave)."""
        stop: asyncio.Future[Any] = asyncio.ensure_future(self._stop.wait())
        ended: asyncio.Future[Any] = client.ended
        try:
            await asyncio.wait({stop, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stop
        if client.ended.done():
            return client.ended.result()
        return await client.leave()

    async def _finish(self, ending: Ending) -> Outcome:
        left = Leftovers(
            capture=self.capture,
            video=self.video,
            live=self.live,
            work=self.work,
            executor=self._pools.finalize,
        )
        return await finish(
            ending, left, finalizing=lambda cause: self._state(RecordingState.FINALIZING, cause)
        )

    async def _transcribed(self, segments: tuple[Segment, ...]) -> None:
        await self.job.events.transcribed(recording_id=self.job.recording_id, segments=segments)

    async def _state(self, state: RecordingState, cause: str, record: str | None = None) -> None:
        lifecycle.check(self.state, state)
        self.state = state
        await self.job.events.state_changed(
            recording_id=self.job.recording_id,
            state=state,
            cause=cause,
            conference_record=record,
        )

    def _video_failed(self) -> None:
        if self.client is not None:
            self.client.stop_video()
