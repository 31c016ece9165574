"""What a peer connection reports (states, participants, media) and how its session ends."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from recorder.errors import MediaLost
from recorder.model import Speaker
from recorder.signaling import Answer
from recorder.video.model import EncodedFrame
from recorder.video.tiles import TileInfo

MEDIA_LOST = "MEDIA_LOST"


class ClientState(StrEnum):
    NEW = "new"
    CONNECTING = "connecting"
    WAITING = "waiting"
    JOINED = "joined"
    DISCONNECTED = "disconnected"


class Signaling(Protocol):
    async def connect(self, *, space: str, offer: str, confirmation_timeout: int) -> Answer: ...


class MediaObserver(Protocol):
    """What the client reports; called on the event loop, must not block."""

    def on_state(self, state: ClientState) -> None: ...

    def on_speakers(self, present: tuple[Speaker, ...], renamed: tuple[Speaker, ...]) -> None: ...

    def on_audio(
        self, *, speaker: Speaker, payload: bytes, ssrc: int, seq: int, rtp_ts: int, arrival: float
    ) -> None: ...

    def on_video(self, *, key: str, tile: TileInfo, frame: EncodedFrame, arrival: float) -> bool:
        """One whole encoded frame of the video stream ``key`` (a participant's camera or a
        screenshare; ``tile`` names it); ``arrival`` is on the client's clock. Return whether
        it was stored: False (e.g. not capturing yet) makes the client ask for a keyframe."""
        ...

    def on_video_end(self, *, key: str) -> None:
        """The stream ``key`` stopped (switched away, video off, left, session over)."""
        ...


@dataclass(frozen=True, slots=True)
class SessionEnd:
    """How the session ended: a ``REASON_*`` from Meet, or `MEDIA_LOST` (no goodbye)."""

    reason: str

    @property
    def graceful(self) -> bool:
        return self.reason != MEDIA_LOST


def lost_error(end: SessionEnd) -> MediaLost:
    return MediaLost(f"the media connection ended without a reason ({end.reason})")
