"""Every Media API session of the sandbox, the faults per space, and the one pacing ticker."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any

from recorder.video.model import VideoCodec
from sandbox.google.time import rfc3339
from sandbox.meet_media.audio import FRAME_SECONDS, AudioLibrary
from sandbox.meet_media.offer import Offer
from sandbox.meet_media.reasons import UNGRACEFUL, Refused
from sandbox.meet_media.roster import ConferenceMedia, MediaParticipant
from sandbox.meet_media.session import MediaSession, SessionSettings
from sandbox.meet_media.video import VideoLibrary
from sandbox.meet_rest.records import ConferenceRecordState, SpaceRecord
from sandbox.meet_rest.store import MeetStore

logger = logging.getLogger(__name__)

MAX_LAG = 0.2  # a ticker further behind than this skips frames instead of bursting
HISTORY = 1000
VIDEO_CODECS = frozenset(codec.value for codec in VideoCodec)
VIDEO_SIDES = (64, 1920)
VIDEO_SIZES = f"each side {VIDEO_SIDES[0]} to {VIDEO_SIDES[1]}"


def parse_video_size(size: str) -> tuple[int, int] | None:
    """``"322x178"`` as (322, 178); None unless both sides are within `VIDEO_SIDES`."""
    width, _, height = size.lower().partition("x")
    if not (width.isdigit() and height.isdigit()):
        return None
    low, high = VIDEO_SIDES
    if not (low <= int(width) <= high and low <= int(height) <= high):
        return None
    return int(width), int(height)


@dataclass(frozen=True, slots=True)
class MediaFaults:
    """Per-space switches, kept until changed (``meet/media/faults``).

    Attributes:
        refuse: a refusal reason every ``connectActiveConference`` gets, or None.
        strip_ssrc: answer without ``a=ssrc``/``a=ssrc-group``/``a=msid`` lines.
        consent_delay: seconds between STATE_WAITING and STATE_JOINED.
        stats_interval: ``uploadIntervalSeconds`` of the media-stats configuration.
        exhausted_window: seconds an ungracefully ended session keeps the conference busy.
        video_size: ``"WxH"``: every video stream is sent at this size, whatever the
            canvases (e.g. an odd ``"322x178"``); None fits each canvas.
        video_codec: ``"VP8"``, ``"VP9"`` or ``"AV1"``: every video m-line that negotiated
            it sends it; None gives each stream its own codec.
    """

    refuse: str | None = None
    strip_ssrc: bool = False
    consent_delay: float = 0.1
    stats_interval: int = 10
    exhausted_window: float = 30.0
    video_size: str | None = None
    video_codec: str | None = None

    @property
    def forced_size(self) -> tuple[int, int] | None:
        return None if self.video_size is None else parse_video_size(self.video_size)

    @property
    def forced_codec(self) -> VideoCodec | None:
        return None if self.video_codec is None else VideoCodec(self.video_codec)


class MediaHub:
    """Meet's SFU for every conference: connects sessions and paces all their RTP.

    Attributes:
        connect_timeout: seconds a new session has to bring ICE and DTLS up.
        channel_timeout: seconds after DTLS for session-control and media-stats to open;
            a session missing either ends with REASON_SESSION_UNHEALTHY.
    """

    def __init__(
        self,
        *,
        store: MeetStore,
        clock: Callable[[], float] = time.monotonic,
        connect_timeout: float = 10.0,
        channel_timeout: float = 5.0,
    ) -> None:
        self._store = store
        self._clock = clock
        self.connect_timeout = connect_timeout
        self.channel_timeout = channel_timeout
        self.audio = AudioLibrary()
        self.video = VideoLibrary()
        self.faults: dict[str, MediaFaults] = {}
        self.sessions: deque[MediaSession] = deque(maxlen=HISTORY)
        self._live: set[MediaSession] = set()
        self._conferences: dict[str, ConferenceMedia] = {}
        self._last_ungraceful: dict[str, float] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._origin: float | None = None

    # -- what happens in the conference -------------------------------------------------

    def conference_started(self, record: ConferenceRecordState) -> None:
        """A call started: its clock starts now and its audio files start encoding."""
        conference = ConferenceMedia(record=record, started_at=self._clock())
        self._conferences[record.name] = conference
        self._sync(conference)

    def participants_changed(self, record: ConferenceRecordState) -> None:
        """Participants joined or left: update CSRCs and tell connected clients."""
        self._sync(self._conference(record))

    def conference_ended(self, record: ConferenceRecordState) -> None:
        """The call ended: every session on it gets REASON_CONFERENCE_ENDED."""
        for session in list(self._live):
            if session.conference.record is record:
                session.end("CONFERENCE_ENDED")
        self._conferences.pop(record.name, None)

    def _conference(self, record: ConferenceRecordState) -> ConferenceMedia:
        conference = self._conferences.get(record.name)
        if conference is None:
            # started behind the hub's back: place its start by the store's clock
            elapsed = max(0.0, (self._store.now() - record.start_time).total_seconds())
            conference = ConferenceMedia(record=record, started_at=self._clock() - elapsed)
            self._conferences[record.name] = conference
            self._sync(conference)
        return conference

    def _sync(self, conference: ConferenceMedia) -> None:
        joined, left = conference.sync(now=self._clock())
        for participant in joined:
            if participant.audio_path is not None:
                self._spawn(self._load_audio(participant, participant.audio_path))
        for session in self._live:
            if session.conference is conference:
                session.roster_changed(joined=joined, left=left)

    async def _load_audio(self, participant: MediaParticipant, path: str) -> None:
        participant.audio = await self.audio.load(path)

    # -- faults ---------------------------------------------------------------------------

    def faults_for(self, space: str) -> MediaFaults:
        return self.faults.get(space, MediaFaults())

    def set_faults(self, space: str, **changes: Any) -> MediaFaults:
        """Change some of a space's `MediaFaults`; the others keep their values."""
        self.faults[space] = replace(self.faults_for(space), **changes)
        return self.faults[space]

    # -- sessions -------------------------------------------------------------------------

    async def connect(
        self, *, space: SpaceRecord, offer: Offer, confirmation_timeout: float
    ) -> tuple[MediaSession, str]:
        """Answer a checked offer for the space's active conference.

        Returns:
            The new session and the SDP answer.

        Raises:
            Refused: NO_ACTIVE_CONFERENCE, an injected refusal, CONNECTIONS_EXHAUSTED, or
                INVALID_OFFER when aiortc cannot apply the offer.
        """
        faults = self.faults_for(space.name)
        if space.active_conference is None:
            raise Refused("NO_ACTIVE_CONFERENCE")
        if faults.refuse is not None:
            raise Refused(faults.refuse)
        conference = self._conference(self._store.conferences[space.active_conference])
        self._check_exhausted(conference, faults)
        session = MediaSession(
            conference=conference,
            space=space.name,
            offer=offer,
            settings=SessionSettings(
                consent_delay=faults.consent_delay,
                confirmation_timeout=confirmation_timeout,
                stats_interval=faults.stats_interval,
                strip_ssrc=faults.strip_ssrc,
                connect_timeout=self.connect_timeout,
                channel_timeout=self.channel_timeout,
                video_size=faults.forced_size,
                video_codec=faults.forced_codec,
            ),
            connected_at=rfc3339(self._store.now()),
            on_end=self._ended,
            videos=self.video,
        )
        self._live.add(session)  # before any await: a concurrent connect sees it
        try:
            answer = await session.answer()
        except BaseException as exc:
            self._live.discard(session)
            session.ended_reason = "INVALID_OFFER"
            await asyncio.shield(session.close())
            if isinstance(exc, ValueError):
                raise Refused("INVALID_OFFER", f"The offer cannot be applied: {exc}") from exc
            raise
        self.sessions.append(session)
        self._ensure_ticker()
        logger.info(
            "sandbox Meet media %s connected to %s", session.trace_id, conference.record.name
        )
        return session, answer

    def _check_exhausted(self, conference: ConferenceMedia, faults: MediaFaults) -> None:
        if any(session.conference is conference for session in self._live):
            raise Refused("CONNECTIONS_EXHAUSTED")
        ended = self._last_ungraceful.get(conference.record.name)
        if ended is not None and self._clock() - ended < faults.exhausted_window:
            raise Refused(
                "CONNECTIONS_EXHAUSTED",
                "The previous Meet Media API session of this conference has not timed out yet.",
            )

    def _ended(self, session: MediaSession) -> None:
        self._live.discard(session)
        if session.ended_reason in UNGRACEFUL:
            self._last_ungraceful[session.conference.record.name] = self._clock()
        self._spawn(session.close())

    def live_session(self, space: str) -> MediaSession | None:
        """The connected session of a space, if any."""
        return next((s for s in self._live if s.space == space), None)

    def describe(self, *, space: str | None = None) -> list[dict[str, Any]]:
        """Every session (oldest first), as ``GET meet/media`` lists them."""
        return [s.to_json() for s in self.sessions if space is None or s.space == space]

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- pacing ---------------------------------------------------------------------------

    def _ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.ensure_future(self._run_ticker())

    async def _run_ticker(self) -> None:
        """One 20 ms ticker for all sessions, scheduled from a fixed origin (no drift)."""
        clock = self._clock
        if self._origin is None:
            self._origin = clock()
        origin = self._origin
        index = int((clock() - origin) / FRAME_SECONDS) + 1
        while self._live:
            at = origin + index * FRAME_SECONDS
            late = clock() - at
            if late > MAX_LAG:
                skipped = int(late / FRAME_SECONDS)
                logger.warning("sandbox Meet media: ticker %d frames behind, skipping", skipped)
                index += skipped
                continue
            await asyncio.sleep(max(0.0, -late))
            for session in list(self._live):
                try:
                    await session.tick(index=index, at=at)
                except Exception:
                    logger.exception("sandbox Meet media %s: tick failed", session.trace_id)
                    session.end("SESSION_UNHEALTHY")
            index += 1

    async def close(self) -> None:
        """End every session (no status), then await every task the hub owns."""
        for session in list(self._live):
            session.end("SHUTDOWN")
        await self.audio.close()
        await self.video.close()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
            self._ticker = None
