"""One recording from Record to files: wait for the call, join, capture, reconnect, finalize."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from recorder import lifecycle
from recorder.capture.capture import CallCapture
from recorder.capture.finalize import MIXED_NAME, FinalizeError, finalize
from recorder.connection.client import MeetMediaClient
from recorder.connection.model import MEDIA_LOST, ClientState, SessionEnd
from recorder.errors import (
    CallNotActive,
    Cancelled,
    ConnectRefused,
    Disconnected,
    MediaLost,
    NoAudio,
    NotAdmitted,
    RecorderError,
    RefusalReason,
)
from recorder.model import RecordingState, Speaker
from recorder.ports import Outcome, RecordingJob
from recorder.signaling import MediaSignaling
from recorder.transcribe.live import LiveTranscript
from recorder.transcribe.model import Segment
from recorder.transcribe.transcriber import Transcriber
from recorder.video.model import EncodedFrame
from recorder.video.session_video import SessionVideo
from recorder.video.tiles import TileInfo
from recorder.workdir import WorkDir
from recorder.workers import WorkerPools, run_in

logger = logging.getLogger(__name__)

SHUTDOWN = "shutdown"
QUIET_HOLD = 20.0
"""Seconds a speaker's speech may wait for more when nobody watches the live transcript: one
engine call on 20 s of speech costs about what one on 2 s does (Whisper reads 30 s windows)."""
_GOODBYES = {"REASON_CONFERENCE_ENDED", "REASON_CLIENT_LEFT", "REASON_USER_STOPPED"}
_INVALID_OFFER = RefusalReason.INVALID_OFFER


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """Timers and endpoints; see `bot.settings.RecorderSettings` for their meaning."""

    media_base_url: str
    ice_servers: tuple[str, ...]
    call_timeout: float
    poll_interval: float
    admit_timeout: float
    reconnect_window: float
    reconnect_attempts: int


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
        self._present: tuple[Speaker, ...] = ()
        self._dirty = asyncio.Event()
        self._reporting = True
        self.speaker_interval = 2.0

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
        reporter = asyncio.ensure_future(self._report_speakers())
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
            self._reporting = False
            self._dirty.set()
            await reporter
        return await self._finish(end=end, failure=failure)

    async def _keep_files_current(self) -> None:
        """Pads quiet speakers' files with silence every second, so a crash loses little."""
        while True:
            await asyncio.sleep(1.0)
            if self.capture.started:
                self.capture.sync()

    async def _report_speakers(self) -> None:
        """Tells the host who is in the call, at most once per `speaker_interval`."""
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            if not self._reporting:
                return
            await self.job.events.speakers_changed(
                recording_id=self.job.recording_id, present=self._present
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.speaker_interval)

    # --- phases ---------------------------------------------------------------------------

    async def _record(self) -> SessionEnd:
        record = await self._wait_for_call()
        await self._state(RecordingState.STARTING, "the call is active", record)
        attempts = 0
        while True:
            end = await self._one_session(reconnecting=attempts > 0)
            if end is None or end.reason in _GOODBYES:
                return end or SessionEnd(reason="REASON_CLIENT_LEFT")
            if attempts >= self._opts.reconnect_attempts or not await self._still_active():
                if self.capture.started:
                    return end
                raise MediaLost(f"the connection to Meet was lost ({end.reason})")
            attempts += 1
            logger.warning("media lost (%s); reconnecting, attempt %d", end.reason, attempts)

    async def _wait_for_call(self) -> str | None:
        deadline = self._clock() + self._opts.call_timeout
        while not self._stop.is_set():
            record = await self.job.probe.active_conference(space=self.job.space)
            if record is not None:
                return record
            if self._clock() >= deadline:
                raise CallNotActive("nobody started the call in time")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._opts.poll_interval)
        raise Cancelled(self.stopped_by)

    async def _one_session(self, *, reconnecting: bool) -> SessionEnd | None:
        """Connect (retrying CONNECTIONS_EXHAUSTED on a reconnect), join, capture until the end.

        Returns None when asked to stop before joining, or the call ended while reconnecting.
        """
        client = await self._connect(reconnecting=reconnecting)
        if client is None:
            return None
        self.client = client
        try:
            await self._state(RecordingState.WAITING, "waiting to be admitted")
            if not await self._wait_joined(client):
                return client.ended.result() if client.ended.done() else None
            if not self.capture.started:
                self.capture.start()
                if self.video is not None and self.capture.t0 is not None:
                    self.video.start(self.capture.t0)  # the same call clock as the audio
            await self._state(RecordingState.RECORDING, "joined the call")
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
        finally:
            await client.close()
            if self.video is not None:
                self.video.end_all()  # a reconnect starts new segments

    async def _wait_joined(self, client: MeetMediaClient) -> bool:
        stop = asyncio.ensure_future(self._stop.wait())
        joined = asyncio.ensure_future(client.wait_joined(within=self._opts.admit_timeout))
        try:
            await asyncio.wait({stop, joined}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stop
        if not joined.done():
            joined.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await joined
            await client.leave()
            return False
        if joined.result():
            return True
        if client.ended.done():
            end = client.ended.result()
            if end.reason in _GOODBYES:
                raise Disconnected(end.reason)
            raise MediaLost(f"the connection ended before Meet admitted us ({end.reason})")
        raise NotAdmitted("Meet did not let the recorder in (nobody consented in time)")

    async def _connect(self, *, reconnecting: bool) -> MeetMediaClient | None:
        deadline = self._clock() + self._opts.reconnect_window
        while True:
            video = self.job.video if self.video is not None and self.video.on else None
            client = MeetMediaClient(
                signaling=self._signaling,
                space=self.job.space,
                observer=_Observer(self),
                ice_servers=self._opts.ice_servers,
                confirmation_timeout=int(self._opts.admit_timeout),
                clock=self._clock,
                video=video,
            )
            try:
                await client.connect()
            except ConnectRefused as exc:
                if self.video is not None and video is not None and exc.reason is _INVALID_OFFER:
                    self.video.stop(f"Meet refused the offer with video ({exc})")
                    continue  # at once, audio only: video never costs the audio
                retry = _retry_reconnect(exc, reconnecting, self._clock() < deadline)
                if retry is None:
                    return None
                if not retry:
                    raise
                delay = min(self._opts.poll_interval, max(0.0, deadline - self._clock()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                if self._stop.is_set():
                    return None
                continue
            return client

    async def _still_active(self) -> bool:
        try:
            return await self.job.probe.active_conference(space=self.job.space) is not None
        except Exception:
            logger.warning("could not check whether the call is still running", exc_info=True)
            return True

    async def _finish(
        self, *, end: SessionEnd | None = None, failure: RecorderError | None = None
    ) -> Outcome:
        summary = self.capture.close()
        video_dir = self.video.close() if self.video is not None else None
        speakers = tuple(t.speaker for t in summary.tracks)
        partial = (
            failure is not None
            or self.stopped_by == SHUTDOWN
            or (end is not None and end.reason not in _GOODBYES)
        )
        cause = _cause(end, failure, self.stopped_by)
        if not self.capture.started or not summary.voiced:
            await self.live.close(duration=summary.duration)
            if failure is None and not self.capture.started and self.stopped_by is not None:
                failure = Cancelled(self.stopped_by)  # stopped while Meet held us for consent
            error = failure or NoAudio("no audio was captured: nobody spoke while we were in")
            return Outcome(
                ok=False,
                partial=False,
                cause=_cause(None, error, None),
                error=error,
                duration=summary.duration,
                speakers=speakers,
                stopped_by=self.stopped_by,
            )
        await self._state(RecordingState.FINALIZING, cause)
        live = await self.live.close(duration=summary.duration)
        try:
            result = await run_in(
                self._pools.finalize,
                finalize,
                work_dir=self.work.capture,
                out_dir=self.work.out,
                duration=summary.duration,
                premixed=live.mixed,
            )
        except (FinalizeError, OSError) as exc:
            logger.exception("finalizing failed")
            error = RecorderError(f"the files could not be written: {exc}")
            return Outcome(
                ok=False,
                partial=partial,
                cause=str(error),
                error=error,
                duration=summary.duration,
                speakers=speakers,
                segments=live.segments,
                transcript_error=live.error,
                video_dir=video_dir,
            )
        return Outcome(
            ok=result.voiced,
            partial=partial,
            cause=cause,
            error=failure,
            result=result,
            duration=result.duration,
            speakers=speakers,
            stopped_by=self.stopped_by,
            segments=live.segments,
            transcript_error=live.error,
            video_dir=video_dir,
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

    def speakers_changed(self, present: tuple[Speaker, ...]) -> None:
        if present != self._present:
            self._present = present
            self._dirty.set()

    def _video_failed(self) -> None:
        if self.client is not None:
            self.client.stop_video()


def _retry_reconnect(exc: ConnectRefused, reconnecting: bool, in_window: bool) -> bool | None:
    """True: try again soon; False: give up (raise); None: the call is over (stop quietly)."""
    if exc.reason is RefusalReason.NO_ACTIVE_CONFERENCE and reconnecting:
        return None
    if exc.reason is RefusalReason.CONNECTIONS_EXHAUSTED:
        return in_window
    return False


def _cause(end: SessionEnd | None, failure: RecorderError | None, stopped_by: str | None) -> str:
    if failure is not None:
        return str(failure)
    if stopped_by == SHUTDOWN:
        return "the bot was shut down during the call"
    if stopped_by is not None:
        return f"stopped by {stopped_by}"
    reason = end.reason if end is not None else "REASON_CLIENT_LEFT"
    return {
        "REASON_CONFERENCE_ENDED": "the call ended",
        "REASON_USER_STOPPED": "someone in the call stopped the recording",
        "REASON_CLIENT_LEFT": "the recorder left the call",
        "REASON_SESSION_UNHEALTHY": "Meet ended the session as unhealthy",
        MEDIA_LOST: "the connection to Meet was lost",
    }.get(reason, f"Meet ended the session ({reason})")


class _Observer:
    """Forwards the client's callbacks to the capture and the session."""

    def __init__(self, session: RecordingSession) -> None:
        self._session = session

    def on_state(self, state: ClientState) -> None:
        logger.debug("client state %s", state.value)

    def on_speakers(self, present: tuple[Speaker, ...], renamed: tuple[Speaker, ...]) -> None:
        for speaker in renamed:
            self._session.capture.rename(speaker)
            if self._session.video is not None:
                self._session.video.rename(speaker)
        self._session.speakers_changed(present)

    def on_audio(
        self, *, speaker: Speaker, payload: bytes, ssrc: int, seq: int, rtp_ts: int, arrival: float
    ) -> None:
        self._session.capture.audio(
            speaker=speaker, payload=payload, ssrc=ssrc, seq=seq, rtp_ts=rtp_ts, arrival=arrival
        )

    def on_video(self, *, key: str, tile: TileInfo, frame: EncodedFrame, arrival: float) -> bool:
        video = self._session.video
        return video is not None and video.frame(key, tile, frame, arrival)

    def on_video_end(self, *, key: str) -> None:
        if self._session.video is not None:
            self._session.video.end(key)
