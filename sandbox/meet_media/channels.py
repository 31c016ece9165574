"""The server's data channels of one session: sending JSON frames and publishing the roster."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Any

from sandbox.meet_media.messages import (
    Json,
    encode,
    media_entry_resource,
    participant_resource,
    screenshare_entry_resource,
)
from sandbox.meet_media.roster import MediaParticipant, VideoSource

logger = logging.getLogger(__name__)

SESSION_CONTROL = "session-control"
MEDIA_STATS = "media-stats"
PARTICIPANTS = "participants"
MEDIA_ENTRIES = "media-entries"
VIDEO_ASSIGNMENT = "video-assignment"
LABELS = frozenset({SESSION_CONTROL, MEDIA_STATS, PARTICIPANTS, MEDIA_ENTRIES, VIDEO_ASSIGNMENT})
REQUIRED = frozenset({SESSION_CONTROL, MEDIA_STATS})


class Channels:
    """The channels the client opened, by label (DCEP, reliable and ordered)."""

    def __init__(self) -> None:
        self._open: dict[str, Any] = {}

    def add(self, channel: Any) -> bool:
        """Keep a channel the client opened; False for an unknown or repeated label."""
        label = channel.label
        if label not in LABELS or label in self._open:
            logger.warning("sandbox Meet media: unexpected data channel %r", label)
            return False
        self._open[label] = channel
        return True

    def is_open(self, label: str) -> bool:
        channel = self._open.get(label)
        return channel is not None and channel.readyState == "open"

    @property
    def required_open(self) -> bool:
        return all(self.is_open(label) for label in REQUIRED)

    def send(self, label: str, message: Json) -> bool:
        """Send one JSON text frame; False if that channel is not open."""
        return self.send_text(label, encode(message))

    def send_text(self, label: str, text: str) -> bool:
        """Send ``text`` as it is (fault injection sends malformed frames this way)."""
        if not self.is_open(label):
            return False
        self._open[label].send(text)
        return True

    async def drain(self, *, within: float) -> None:
        """Wait (bounded) until what was sent has left the channels' buffers."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if all(channel.bufferedAmount == 0 for channel in self._open.values()):
                return
            await asyncio.sleep(0.01)


@dataclass(frozen=True, slots=True)
class Published:
    """The resource ids a participant session was published with."""

    participant: MediaParticipant
    entry: int
    person: int
    screen: int | None = None
    """The screenshare's media entry, if it presents one."""

    def entries(self) -> list[Json]:
        found = [media_entry_resource(self.participant, self.entry)]
        if self.screen is not None:
            found.append(screenshare_entry_resource(self.participant, self.screen))
        return found


class RosterPublisher:
    """``participants`` and ``media-entries`` snapshots and deletions, with resource ids.

    A media entry is always sent before its participant (cross-channel ordering is not
    guaranteed, so clients must cope with an entry naming an unknown participant).
    """

    def __init__(self, *, channels: Channels) -> None:
        self._channels = channels
        self._ids = itertools.count(1)
        self._published: dict[str, Published] = {}  # by participant session name

    def publish(self, *, joined: list[MediaParticipant], left: list[MediaParticipant]) -> None:
        """Snapshots for who joined, deletions for who left."""
        entries, people, gone_entries, gone_people = [], [], [], []
        for participant in joined:
            if participant.session in self._published:
                continue
            entry, person = next(self._ids), next(self._ids)
            screen = next(self._ids) if participant.screenshare else None
            published = Published(participant, entry, person, screen)
            self._published[participant.session] = published
            entries += published.entries()
            people.append(participant_resource(participant, person))
        for participant in left:
            known = self._published.pop(participant.session, None)
            if known is not None:
                for entry_id in (known.entry, known.screen):
                    if entry_id is not None:
                        gone_entries.append({"id": entry_id, "mediaEntry": True})
                gone_people.append({"id": known.person, "participant": True})
        self._send(MEDIA_ENTRIES, entries, gone_entries)
        self._send(PARTICIPANTS, people, gone_people)

    def replay(self, label: str) -> None:
        """Everything published so far, for a channel that opened late."""
        if label == MEDIA_ENTRIES:
            entries = [e for p in self._published.values() for e in p.entries()]
            self._send(label, entries, [])
        elif label == PARTICIPANTS:
            people = [
                participant_resource(p.participant, p.person) for p in self._published.values()
            ]
            self._send(label, people, [])

    def video_sources(self) -> list[VideoSource]:
        """The published media entries with video, in the order they were published."""
        sources = []
        for published in self._published.values():
            if published.participant.video:
                sources.append(VideoSource(published.entry, published.participant))
            if published.screen is not None:
                sources.append(VideoSource(published.screen, published.participant, True))
        return sources

    def _send(self, label: str, resources: list[Json], deleted: list[Json]) -> None:
        message: Json = {}
        if resources:
            message["resources"] = resources
        if deleted:
            message["deletedResources"] = deleted
        if message:
            self._channels.send(label, message)
