"""Meet's own artifacts of a conference over Meet REST v2, in `MeetRestClient`'s manner.

The session, auth, retry policy and error mapping are `MeetRestClient`'s; this adds the
conference record, recordings, transcripts with their entries and smart notes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp

from bot.core.model import ConferenceRecord, ConferenceRecordName
from bot.core.ports.google import (
    ArtifactLists,
    ArtifactState,
    ConferenceArtifacts,
    MeetArtifact,
    TranscriptEntry,
)
from bot.google.meet import MeetRestClient, _optional_timestamp, _parse, _path, _record
from bot.settings import GoogleSettings
from recorder.retry import RetryPolicy

logger = logging.getLogger(__name__)

Json = dict[str, Any]

# Meet's largest page for recordings, transcripts, entries and smart notes.
MAX_PAGE = 100
_STATES = frozenset(state.value for state in ArtifactState)
# Where each kind keeps its file: (destination key, id key).
_DESTINATIONS = {
    "recordings": ("driveDestination", "file"),
    "transcripts": ("docsDestination", "document"),
    "smartNotes": ("docsDestination", "document"),
}


class MeetArtifactsClient(MeetRestClient):
    """`bot.core.ports.google.MeetArtifactsSource` over Meet REST v2."""

    def __init__(
        self,
        *,
        settings: GoogleSettings,
        session: aiohttp.ClientSession,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        page_size: int | None = None,
    ) -> None:
        """As `MeetRestClient`; without ``page_size`` every list asks for 100 (Meet's most
        for artifact lists; participants then come 100 per page rather than 250)."""
        super().__init__(
            settings=settings,
            session=session,
            retry=retry,
            timeout=timeout,
            page_size=page_size or MAX_PAGE,
        )

    async def fetch(self, *, token: str, record: ConferenceRecordName) -> ConferenceArtifacts:
        """The record, participants, artifacts and the entries of generated transcripts."""
        conference = await self.get_conference_record(token=token, record=record)
        lists = await self.list_artifacts(token=token, record=record)
        participants = await self.list_participants(token=token, record=record)
        entries = {
            transcript.name: tuple(
                await self.list_transcript_entries(token=token, transcript=transcript.name)
            )
            for transcript in lists.transcripts
            if transcript.generated
        }
        return ConferenceArtifacts(
            record=conference, participants=tuple(participants), lists=lists, entries=entries
        )

    async def get_conference_record(
        self, *, token: str, record: ConferenceRecordName
    ) -> ConferenceRecord:
        data = await self._get(token, record)
        return _parse(_record, data, "conference record")

    async def list_artifacts(self, *, token: str, record: ConferenceRecordName) -> ArtifactLists:
        """Recordings, transcripts and smart notes (every page of each)."""
        return ArtifactLists(
            recordings=tuple(await self._artifacts(token, record, "recordings")),
            transcripts=tuple(await self._artifacts(token, record, "transcripts")),
            smart_notes=tuple(await self._artifacts(token, record, "smartNotes")),
        )

    async def list_transcript_entries(
        self, *, token: str, transcript: str
    ) -> Sequence[TranscriptEntry]:
        """Every entry of ``conferenceRecords/{cr}/transcripts/{t}``, in time order."""
        items = await self._list_all(token, "transcriptEntries", _path(transcript, "/entries"))
        return [_parse(_entry, item, "transcript entry") for item in items]

    async def _artifacts(
        self, token: str, record: ConferenceRecordName, kind: str
    ) -> list[MeetArtifact]:
        items = await self._list_all(token, kind, _path(record, f"/{kind}"))
        parse = functools.partial(_artifact, kind)
        return [_parse(parse, item, kind) for item in items]


def _artifact(kind: str, data: Json) -> MeetArtifact:
    destination_key, id_key = _DESTINATIONS[kind]
    destination = data.get(destination_key) or {}
    raw_state = data.get("state")
    return MeetArtifact(
        name=str(data["name"]),
        state=ArtifactState(raw_state) if raw_state in _STATES else ArtifactState.UNSPECIFIED,
        start_time=_optional_timestamp(data.get("startTime")),
        end_time=_optional_timestamp(data.get("endTime")),
        file_id=destination.get(id_key) or None,
        export_uri=destination.get("exportUri") or None,
    )


def _entry(data: Json) -> TranscriptEntry:
    return TranscriptEntry(
        name=str(data["name"]),
        participant=str(data.get("participant", "")),
        text=str(data.get("text", "")),
        language_code=str(data.get("languageCode", "")),
        start_time=_optional_timestamp(data.get("startTime")),
        end_time=_optional_timestamp(data.get("endTime")),
    )
