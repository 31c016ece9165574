"""``meetbot record <link>``: record a call from the command line, as a linked Google account."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import sys
import uuid
from pathlib import Path

import aiohttp

from bot.app.database import open_database
from bot.app.wiring import session_options
from bot.core.accounts.google_access import GoogleAccess
from bot.core.model import ChatUser
from bot.core.recording.access import SpaceProbe, UserTokens
from bot.core.service import space_from_ref
from bot.google.meet import MeetRestClient
from bot.google.oauth import HttpGoogleOAuth
from bot.settings import Settings, SettingsError
from recorder.model import RecordingId, RecordingState, Speaker
from recorder.ports import Outcome, RecordingJob
from recorder.service import Recorder
from recorder.transcribe.engine import load_engine
from recorder.transcribe.model import EngineError, Segment
from recorder.transcribe.transcriber import Transcriber
from storage.db import make_sessionmaker
from storage.repos.accounts import SqlAccountRepo

logger = logging.getLogger(__name__)


class _Printer:
    """Progress on stderr; the outcome is kept for the summary."""

    def __init__(self) -> None:
        self.outcome: Outcome | None = None

    async def state_changed(
        self,
        *,
        recording_id: RecordingId,
        state: RecordingState,
        cause: str,
        conference_record: str | None = None,
    ) -> None:
        print(f"meetbot record: {state.value} ({cause})", file=sys.stderr)

    async def speakers_changed(
        self, *, recording_id: RecordingId, present: tuple[Speaker, ...]
    ) -> None:
        names = ", ".join(s.display_name for s in present)
        print(f"meetbot record: in the call: {names}", file=sys.stderr)

    async def transcribed(
        self, *, recording_id: RecordingId, segments: tuple[Segment, ...]
    ) -> None:
        for segment in segments:
            print(
                f"meetbot record: [{segment.start:7.1f} s] "
                f"{segment.speaker.display_name}: {segment.text}",
                file=sys.stderr,
            )

    async def finished(self, *, recording_id: RecordingId, outcome: Outcome) -> None:
        self.outcome = outcome


async def record(
    settings: Settings, *, ref: str, user: str | None, out_dir: Path, max_seconds: float | None
) -> int:
    """Record ``ref`` until the call ends (or ``max_seconds``); print a JSON summary."""
    space = space_from_ref(ref)
    if space is None:
        raise SettingsError(f"not a Meet link, meeting code or space name: {ref}")
    database = await open_database(settings)
    try:
        accounts = SqlAccountRepo(
            sessions=make_sessionmaker(database.engine), cipher=database.cipher
        )
        chat_user = await _pick_user(accounts, user)
        transcriber = await _transcriber(settings)
        async with aiohttp.ClientSession() as http:
            oauth = HttpGoogleOAuth(settings=settings.google, redirect_uri="", session=http)
            google = GoogleAccess(accounts=accounts, oauth=oauth)
            meet = MeetRestClient(settings=settings.google, session=http)
            printer = _Printer()
            recorder = Recorder(
                options=session_options(settings), http=http, transcriber=transcriber
            )
            job = RecordingJob(
                recording_id=RecordingId(uuid.uuid4().hex),
                space=space,
                work_dir=settings.storage.recordings_dir() / f"cli-{uuid.uuid4().hex}",
                tokens=UserTokens(google=google, user=chat_user),
                probe=SpaceProbe(google=google, meet=meet, user=chat_user),
                events=printer,
            )
            try:
                recorder.start(job)
                await _until_done(recorder, job.recording_id, max_seconds)
            finally:
                await recorder.aclose()
                if transcriber is not None:
                    await transcriber.aclose()
    finally:
        await database.engine.dispose()
    return _summarize(printer.outcome, out_dir)


async def _transcriber(settings: Settings) -> Transcriber | None:
    """The speech engine from the transcription settings, loaded now (None when disabled)."""
    options = settings.transcription
    if not options.enabled:
        return None
    try:
        engine = await asyncio.to_thread(
            load_engine,
            model=options.model,
            language=options.language,
            beam_size=options.beam_size,
            compute_type=options.compute_type,
            cpu_threads=options.cpu_threads,
            workers=options.workers,
        )
    except EngineError as exc:
        raise SettingsError(str(exc)) from exc
    return Transcriber(engine, workers=options.workers)


async def _until_done(recorder: Recorder, recording_id: RecordingId, limit: float | None) -> None:
    """Until the recording's outcome is reported; past ``limit`` seconds it is stopped (its
    files finished) and waited for. No task of its own: `Recorder.wait` shields the
    recorder's task, which the recorder owns."""
    try:
        async with asyncio.timeout(limit):
            await recorder.wait(recording_id)
    except TimeoutError:
        recorder.stop(recording_id, by="the command line (time limit)")
        await recorder.wait(recording_id)


async def _pick_user(accounts: SqlAccountRepo, user: str | None) -> ChatUser:
    """``platform:team:user``, or the only linked account."""
    if user is not None:
        platform, team, user_id = user.split(":", 2)
        return ChatUser(platform, team, user_id)  # type: ignore[arg-type]
    users = await accounts.linked_users(limit=2)
    if len(users) != 1:
        raise SettingsError("pass --user platform:team:user (which linked Google account to use)")
    return users[0]


def _summarize(outcome: Outcome | None, out_dir: Path) -> int:
    if outcome is None or not outcome.ok or outcome.result is None:
        cause = outcome.cause if outcome else "no outcome"
        print(json.dumps({"ok": False, "cause": cause}))
        return 1
    out_dir.mkdir(parents=True, exist_ok=True)
    result = outcome.result
    files = []
    for output in ([result.mixed] if result.mixed else []) + list(result.speakers):
        target = out_dir / output.filename
        shutil.move(output.path, target)
        files.append(
            {
                "path": str(target),
                "seconds": round(output.duration, 2),
                "bytes": output.size,
                "speaker": output.speaker.display_name if output.speaker else None,
            }
        )
    print(
        json.dumps(
            {
                "ok": True,
                "partial": outcome.partial,
                "cause": outcome.cause,
                "duration": round(outcome.duration, 2),
                "files": files,
                "transcript": [
                    {
                        "speaker": s.speaker.display_name,
                        "start": round(s.start, 2),
                        "end": round(s.end, 2),
                        "text": s.text,
                    }
                    for s in outcome.segments
                ],
                "transcript_error": outcome.transcript_error,
            },
            indent=2,
        )
    )
    return 0
