"""One session's outgoing video: the client's layout, who each stream shows, and the frames.

Nothing is sent before a successful ``setAssignment``. Canvas ``i`` of the layout is shown on
video stream ``i`` (m-line order); a stream carries the media entry `relevance` picks, at
the canvas's size (`video.fit_size`) and the layout's frame rate, from the entry's encoded
loop for the stream's codec. Switching entries, a loop restart and a keyframe request all
continue from a keyframe.
"""

from __future__ import annotations

import functools
import logging
import math
from collections import Counter
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass

from recorder.video.model import VideoCodec
from sandbox.meet_media import messages
from sandbox.meet_media.relevance import Candidate, VideoSelector
from sandbox.meet_media.roster import VideoSource
from sandbox.meet_media.rtp import SenderPort
from sandbox.meet_media.video import FPS, Feed, LoopKey, VideoLibrary, fit_size
from sandbox.meet_media.video_rtp import VideoFrame, VideoRtpStream

logger = logging.getLogger(__name__)

CODEC_ORDER = (VideoCodec.VP8, VideoCodec.VP9, VideoCodec.AV1)


@dataclass(frozen=True, slots=True)
class Layout:
    """An accepted ``setAssignment``: canvas ids, each canvas's send size, frame rate."""

    label: object
    canvas_ids: tuple[int, ...]
    sizes: tuple[tuple[int, int], ...]
    fps: int


def stream_codec(
    index: int, negotiated: Sequence[VideoCodec], forced: VideoCodec | None
) -> VideoCodec:
    """The codec stream ``index`` sends: the i-th negotiated (VP8, VP9, AV1 order), cyclically;
    ``forced`` instead when it was negotiated there."""
    if forced is not None and forced in negotiated:
        return forced
    ordered = [codec for codec in CODEC_ORDER if codec in negotiated]
    return ordered[index % len(ordered)]


class VideoPlayer:
    """What one stream shows and how far into that entry's loop it is."""

    def __init__(self, stream: VideoRtpStream) -> None:
        self.stream = stream
        self.source: VideoSource | None = None
        self.key: LoopKey | None = None
        self.position = 0
        self.keyframe_wanted = False
        self.next_due: float | None = None

    @property
    def entry_id(self) -> int | None:
        return None if self.source is None else self.source.entry_id

    def show(self, source: VideoSource | None, key: LoopKey | None) -> None:
        """Carry ``source`` from ``key``'s loop, from its first frame (a keyframe)."""
        if source is not None and key is not None:
            logger.debug("sandbox Meet media: stream %d now shows %s", self.stream.ssrc, key)
        self.source, self.key = source, key
        self.position, self.keyframe_wanted, self.next_due = 0, False, None


class SessionVideo:
    """The video streams of a session and what was sent on them.

    Attributes:
        frames_by_participant: pictures sent per entry (``Ann``, ``Ann (screen)``).
        keyframe_requests: RTCP PLI/FIR received for the streams.
    """

    def __init__(
        self,
        *,
        ports: Sequence[SenderPort],
        library: VideoLibrary,
        forced_codec: VideoCodec | None = None,
        forced_size: tuple[int, int] | None = None,
    ) -> None:
        self._library = library
        self._forced_size = forced_size
        self.players: list[VideoPlayer] = []
        for index, port in enumerate(ports):
            negotiated = [c for c in CODEC_ORDER if port.payload_type(c.mime_type) is not None]
            if not negotiated:
                logger.warning("sandbox Meet media: no VP8/VP9/AV1 on video m-line %s", port.mid)
                continue
            codec = stream_codec(index, negotiated, forced_codec)
            player = VideoPlayer(VideoRtpStream(port=port, codec=codec))
            port.on_keyframe_request(functools.partial(self._keyframe_request, player))
            self.players.append(player)
        self.frames_by_participant: Counter[str] = Counter()
        self.keyframe_requests = 0
        self._layout: Layout | None = None
        self._selector: VideoSelector[int] = VideoSelector()
        self._known: tuple[int, ...] = ()

    def _keyframe_request(self, player: VideoPlayer) -> None:
        self.keyframe_requests += 1
        player.keyframe_wanted = True

    def set_layout(self, request: messages.Json) -> None:
        """Take an accepted ``setAssignment`` (checked by `messages.check_assignment`)."""
        layout = request["setAssignment"]["layoutModel"]
        rate = messages.frame_rate(request)
        fps = FPS if rate is None else max(1, min(FPS, math.floor(rate)))
        sizes = [
            self._forced_size or fit_size(width, height)
            for width, height in messages.canvas_sizes(request)
        ]
        self._layout = Layout(
            label=layout.get("label"),
            canvas_ids=tuple(int(canvas["id"]) for canvas in layout["canvases"]),
            sizes=tuple(sizes),
            fps=fps,
        )
        self._known = ()  # the sizes may have changed: prefetch again

    def update(self, sources: Sequence[VideoSource], *, talking: Collection[Hashable]) -> bool:
        """Pick what each stream shows now.

        Args:
            sources: the published entries with video.
            talking: the participant sessions talking now.

        Returns:
            Whether any stream now shows another entry (the snapshot must be re-pushed).
        """
        layout = self._layout
        if layout is None:
            return False
        candidates = [Candidate(s.entry_id, s.participant.session, s.screenshare) for s in sources]
        count = min(len(layout.canvas_ids), len(self.players))
        held = self._selector.assign(candidates, talking=talking, streams=count)
        by_id = {source.entry_id: source for source in sources}
        changed = False
        for index, player in enumerate(self.players):
            entry_id = held[index] if index < count else None
            source = None if entry_id is None else by_id.get(entry_id)
            key = None if source is None else self._key(source, player, index)
            if player.entry_id != (None if source is None else source.entry_id):
                changed = True
                player.show(source, key)
            elif key != player.key:
                player.show(source, key)
        self._prefetch(sources, count)
        return changed

    def _key(self, source: VideoSource, player: VideoPlayer, index: int) -> LoopKey:
        assert self._layout is not None
        width, height = self._layout.sizes[index]
        feed = Feed.SCREEN if source.screenshare else Feed.CAMERA
        name = source.participant.display_name
        return LoopKey(name, feed, player.stream.codec, width, height, self._layout.fps)

    def _prefetch(self, sources: Sequence[VideoSource], count: int) -> None:
        """Encode what is shown first, then every entry for every stream (quick switches)."""
        known = tuple(source.entry_id for source in sources)
        if known == self._known:
            return
        self._known = known
        for player in self.players[:count]:
            if player.key is not None:
                self._library.request(player.key)
        for index, player in enumerate(self.players[:count]):
            for source in sources:
                self._library.request(self._key(source, player, index))

    def snapshot(self) -> messages.Json:
        """The ``videoAssignment`` resource for the current layout."""
        assert self._layout is not None
        canvases: list[messages.Json] = []
        for index, canvas_id in enumerate(self._layout.canvas_ids):
            player = self.players[index] if index < len(self.players) else None
            canvas: messages.Json = {"canvasId": canvas_id}
            if player is not None and player.source is not None:
                canvas.update(ssrc=player.stream.ssrc, mediaEntryId=player.source.entry_id)
            canvases.append(canvas)
        return messages.video_assignment(self._layout.label, canvases)

    async def send(self, *, index: int, at: float) -> None:
        """Send the pictures due at pacing tick ``index`` (``at`` monotonic seconds).

        Raises:
            ConnectionError: the transport is gone.
        """
        layout = self._layout
        if layout is None:
            return
        for player in self.players:
            if player.source is None or player.key is None or not player.stream.ready:
                continue
            loop = self._library.get(player.key)
            if loop is None:
                continue
            if player.next_due is None:
                player.next_due = at
            if at < player.next_due - 1e-6:
                continue
            if player.keyframe_wanted:
                player.position = loop.nearest_keyframe(player.position)
                player.keyframe_wanted = False
            at_frame = player.position
            frame = VideoFrame(
                loop.frames[at_frame], loop.keyframes[at_frame], player.key.width, player.key.height
            )
            await player.stream.send(tick=index, frame=frame, csrc=player.source.csrc)
            self.frames_by_participant[player.source.label] += 1
            player.position = (at_frame + 1) % len(loop)
            player.next_due += 1 / layout.fps
            if player.next_due < at:  # fell behind (a stalled loop): do not burst
                player.next_due = at + 1 / layout.fps

    def describe(self) -> list[messages.Json]:
        """Each stream as ``GET meet/media`` reports it."""
        return [
            {
                "ssrc": player.stream.ssrc,
                "codec": str(player.stream.codec),
                "mediaEntryId": player.entry_id,
                "width": None if player.key is None else player.key.width,
                "height": None if player.key is None else player.key.height,
                "frames_sent": player.stream.frames_sent,
                "packets_sent": player.stream.packets_sent,
            }
            for player in self.players
        ]
