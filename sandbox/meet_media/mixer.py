"""One session's outgoing audio: silence before admission, then the mixed speakers' frames."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from sandbox.meet_media.audio import FRAME_SECONDS, OPUS_SILENCE
from sandbox.meet_media.roster import MediaParticipant
from sandbox.meet_media.rtp import RtpStream
from sandbox.meet_media.streams import LOUDEST_CSRC, StreamMixer

SILENCE_PACKETS = 10  # per stream, without CSRC, before the client is admitted


class SessionAudio:
    """The 3 virtual audio streams of a session and what was sent on them.

    Attributes:
        frames_by_participant: 20 ms frames sent per participant display name.
        talking: the participants (`present` keys) heard in the last frame.
    """

    def __init__(self, *, streams: Iterable[RtpStream]) -> None:
        self.streams = list(streams)
        self.frames_by_participant: Counter[str] = Counter()
        self._mixer: StreamMixer[str] = StreamMixer(streams=max(1, len(self.streams)))
        self._silence_left = SILENCE_PACKETS
        self.talking: frozenset[str] = frozenset()

    @property
    def ready(self) -> bool:
        return bool(self.streams) and self.streams[0].ready

    @property
    def packets_sent(self) -> int:
        return sum(stream.packets_sent for stream in self.streams)

    async def send_silence(self, *, index: int) -> None:
        """Pre-admission silence without CSRC (clients drop it), a few packets per stream."""
        if self._silence_left <= 0:
            return
        self._silence_left -= 1
        for stream in self.streams:
            await stream.send(tick=index, payload=OPUS_SILENCE, csrc=())

    async def send_speakers(
        self, *, index: int, at: float, present: Mapping[str, MediaParticipant]
    ) -> None:
        """Frame ``at`` (monotonic seconds) of everyone talking, mixed onto the streams.

        The stream with the loudest speaker carries CSRCs ``[speaker, 42]``, others
        ``[speaker]``.
        """
        levels: dict[str, int] = {}
        frames: dict[str, int] = {}
        for key, participant in present.items():
            audio = participant.audio
            if audio is None:
                continue
            frame = round((at - participant.speak_from) / FRAME_SECONDS)
            if 0 <= frame < len(audio) and audio.talking[frame]:
                levels[key] = audio.levels[frame]
                frames[key] = frame
        slots = self._mixer.assign(levels)
        self.talking = frozenset(slot.speaker for slot in slots)
        for slot in slots:
            speaker = present[slot.speaker]
            audio, frame = speaker.audio, frames[slot.speaker]
            assert audio is not None
            csrc = (speaker.csrc, LOUDEST_CSRC) if slot.loudest else (speaker.csrc,)
            await self.streams[slot.stream].send(
                tick=index, payload=audio.payloads[frame], csrc=csrc, level=audio.levels[frame]
            )
            self.frames_by_participant[speaker.display_name] += 1
