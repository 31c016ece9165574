"""The session's ears on the client: audio and video to the capture, speakers to the reports."""

from __future__ import annotations

import logging
from collections.abc import Callable

from recorder.capture.capture import CallCapture
from recorder.connection.model import ClientState
from recorder.model import Speaker
from recorder.video.model import EncodedFrame
from recorder.video.session_video import SessionVideo
from recorder.video.tiles import TileInfo

logger = logging.getLogger(__name__)


class SessionObserver:
    """Forwards the client's callbacks to the capture and the session."""

    def __init__(
        self,
        *,
        capture: CallCapture,
        video: SessionVideo | None,
        speakers_changed: Callable[[tuple[Speaker, ...]], None],
    ) -> None:
        self._capture = capture
        self._video = video
        self._speakers_changed = speakers_changed

    def on_state(self, state: ClientState) -> None:
        logger.debug("client state %s", state.value)

    def on_speakers(self, present: tuple[Speaker, ...], renamed: tuple[Speaker, ...]) -> None:
        for speaker in renamed:
            self._capture.rename(speaker)
            if self._video is not None:
                self._video.rename(speaker)
        self._speakers_changed(present)

    def on_audio(
        self, *, speaker: Speaker, payload: bytes, ssrc: int, seq: int, rtp_ts: int, arrival: float
    ) -> None:
        self._capture.audio(
            speaker=speaker, payload=payload, ssrc=ssrc, seq=seq, rtp_ts=rtp_ts, arrival=arrival
        )

    def on_video(self, *, key: str, tile: TileInfo, frame: EncodedFrame, arrival: float) -> bool:
        return self._video is not None and self._video.frame(key, tile, frame, arrival)

    def on_video_end(self, *, key: str) -> None:
        if self._video is not None:
            self._video.end(key)
