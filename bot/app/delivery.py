"""Where results go: the blob store and its signed links, the meeting page, transcripts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.ports.chat import ChatThreads
from bot.core.recording.retention import RetentionSweeper
from bot.core.transcripts.delivery import TranscriptDelivery
from bot.core.transcripts.live import LiveTranscripts
from bot.settings import Settings
from bot.web import files, meeting_page
from bot.web.publisher import BlobPublisher
from storage.repos.factory import Repos


@dataclass(frozen=True, slots=True)
class Outputs:
    """The stored files, the port that publishes them, and the meeting page's data."""

    files: files.FileServer
    publisher: BlobPublisher
    pages: meeting_page.MeetingPages


def build_outputs(file_server: files.FileServer, *, repos: Repos, base_url: str) -> Outputs:
    """One blob store and one link key behind downloads, the publisher and the page."""
    publisher = BlobPublisher(store=file_server.store, signer=file_server.signer, base_url=base_url)
    page_data = meeting_page.MeetingPages(
        recordings=repos.recordings,
        transcripts=repos.transcripts,
        meetings=repos.meetings,
        signer=file_server.signer,
        base_url=base_url,
    )
    return Outputs(files=file_server, publisher=publisher, pages=page_data)


def build_transcripts(
    outputs: Outputs, *, repos: Repos, threads: dict[str, ChatThreads]
) -> TranscriptDelivery:
    """Transcript files, the summary and the page link, posted in the meeting's thread."""
    return TranscriptDelivery(
        transcripts=repos.transcripts,
        recordings=repos.recordings,
        publisher=outputs.publisher,
        threads=threads,
        pages=outputs.pages.links(),
    )


def build_live(settings: Settings, *, threads: dict[str, ChatThreads]) -> LiveTranscripts:
    """The transcript message edited during the call."""
    return LiveTranscripts(threads=threads, interval=settings.transcription.live_interval)


def build_sweeper(
    settings: Settings, *, repos: Repos, delivery: TranscriptDelivery
) -> RetentionSweeper:
    """Deletes recordings and their files once they are older than the retention."""
    return RetentionSweeper(
        recordings=repos.recordings,
        delivery=delivery,
        retention_days=settings.storage.retention_days,
        interval=settings.storage.sweep_interval,
        clock=lambda: datetime.now(UTC),
    )
