"""The recording side: what a recording hands its results to, and the flow that runs it."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from bot.app.delivery import Outputs, build_live, build_transcripts
from bot.app.google import GoogleSide, build_artifacts
from bot.app.video import build_video
from bot.core.ports.chat import ChatThreads
from bot.core.recording.artifacts import ArtifactsFlow
from bot.core.recording.flow import RecordingFlow, Transcription
from bot.core.recording.video import VideoDelivery
from bot.core.transcripts.delivery import TranscriptDelivery
from bot.core.transcripts.live import LiveTranscripts
from bot.settings import Settings
from recorder.service import Recorder
from recorder.transcribe.transcriber import Transcriber
from storage.repos.factory import Repos


@dataclass(frozen=True, slots=True)
class Deliveries:
    """Where a recording's results go: transcripts, the live message, Meet's artifacts,
    the video (None when off)."""

    transcripts: TranscriptDelivery
    live: LiveTranscripts
    artifacts: ArtifactsFlow
    video: VideoDelivery | None


@dataclass(frozen=True, slots=True)
class RecordingSide:
    """The recorder, its transcriber (None when off), its deliveries and the flow."""

    recorder: Recorder
    transcriber: Transcriber | None
    deliveries: Deliveries
    flow: RecordingFlow


def build_deliveries(
    settings: Settings,
    *,
    repos: Repos,
    google: GoogleSide,
    outputs: Outputs,
    threads: dict[str, ChatThreads],
    session: aiohttp.ClientSession,
) -> Deliveries:
    """Each delivery posts in the recording's thread on its platform."""
    return Deliveries(
        transcripts=build_transcripts(outputs, repos=repos, threads=threads),
        live=build_live(settings, threads=threads),
        artifacts=build_artifacts(settings, google=google, session=session),
        video=build_video(
            settings.video,
            publisher=outputs.publisher,
            recordings=repos.recordings,
            threads=threads,
            pages=outputs.pages.links(),
        ),
    )


def build_recording_flow(
    settings: Settings,
    *,
    repos: Repos,
    recorder: Recorder,
    transcribing: bool,
    google: GoogleSide,
    outputs: Outputs,
    threads: dict[str, ChatThreads],
    deliveries: Deliveries,
) -> RecordingFlow:
    """Record from chat: the recorder's job, its files published, its results delivered."""
    return RecordingFlow(
        recordings=repos.recordings,
        meetings=repos.meetings,
        recorder=recorder,
        publisher=outputs.publisher,
        threads=threads,
        google=google.access,
        meet=google.meet,
        work_root=settings.storage.recordings_dir(),
        transcription=_transcription(settings, repos=repos, deliveries=deliveries)
        if transcribing
        else None,
        artifacts=deliveries.artifacts if settings.artifacts.enabled else None,
        video=deliveries.video,
    )


def _transcription(settings: Settings, *, repos: Repos, deliveries: Deliveries) -> Transcription:
    return Transcription(
        repo=repos.transcripts,
        delivery=deliveries.transcripts,
        live=deliveries.live,
        live_by_default=settings.transcription.live_message,
    )
