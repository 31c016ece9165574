"""What the composed picture shows at one moment: which tiles, which one is large, in order.

Tiles are the stored streams that have a picture at that moment (`sources`), plus a
placeholder for each speaker who has none, from their first words to shortly after their
last, so that everyone who talks is visible. The main tile is a screenshare whenever one has
a picture (the latest one to start), else the active speaker's (`timeline`), else the
previous main tile while it is still shown, else the first tile. The others are thumbnails
in order of first appearance in the call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from recorder.video.layout import Layout, arrange
from recorder.video.model import CLOCK_RATE
from recorder.video.sources import LINGER, Picture, StreamSource
from recorder.video.tiles import TileInfo
from recorder.video.timeline import SpeakerTimeline

PLACEHOLDER_PREFIX = "\0speaker:"
"""Tile keys of placeholders (no stream key starts with a NUL)."""
_SCREENSHARE = "/screenshare/"
_LAYOUTS = 256  # layouts kept for reuse


@dataclass(frozen=True, slots=True)
class Shown:
    """One tile on the frame."""

    key: str
    name: str
    picture: Picture | None
    """None for a placeholder."""
    source: StreamSource | None


@dataclass(frozen=True, slots=True)
class Frame:
    """The whole frame: where tiles go and what each shows."""

    layout: Layout
    tiles: Mapping[str, Shown]


@dataclass(frozen=True, slots=True)
class _Stream:
    info: TileInfo
    source: StreamSource
    order: tuple[float, str]


class Scene:
    """Decide each frame's tiles, for increasing call times."""

    def __init__(
        self,
        sources: Sequence[StreamSource],
        *,
        tiles: Mapping[str, TileInfo],
        timeline: SpeakerTimeline,
        names: Mapping[str, str],
        width: int,
        height: int,
    ) -> None:
        """Prepare the scene.

        Args:
            sources: One per stream key.
            tiles: What each stream key shows (from ``tiles.json``); missing keys are
                guessed: a camera of the participant of that key, or their screenshare.
            timeline: The speech of the call.
            names: Speaker key to display name, for placeholders and missing tiles.
            width: Canvas width.
            height: Canvas height.
        """
        self._timeline = timeline
        self._names = names
        self._size = (width, height)
        self._streams = [
            _Stream(
                info=tiles.get(s.key) or guess_tile(s.key, names),
                source=s,
                order=((s.first_pts or 0) / CLOCK_RATE, s.key),
            )
            for s in sources
        ]
        self._camera_names = {
            s.info.speaker_key: s.info.name for s in self._streams if not s.info.screenshare
        }
        self._layouts: dict[tuple[str | None, tuple[str, ...]], Layout] = {}
        self._main: str | None = None

    def at(self, t: float) -> Frame:
        """The frame at ``t`` seconds since call t=0 (never less than the previous ``t``)."""
        pts = round(t * CLOCK_RATE)
        streams = [(s, pic) for s in self._streams if (pic := s.source.at(pts)) is not None]
        cameras = {s.info.speaker_key for s, _ in streams if not s.info.screenshare}
        placeholders = [k for k in sorted(self._timeline.speakers) if self._waits(k, t, cameras)]
        active = self._timeline.at(t, cameras | set(placeholders))
        ordered: list[tuple[tuple[float, str], Shown, TileInfo | None]] = [
            (s.order, Shown(s.info.key, s.info.name, pic, s.source), s.info) for s, pic in streams
        ]
        for key in placeholders:
            span = self._timeline.span(key)
            shown = Shown(PLACEHOLDER_PREFIX + key, self._name(key), None, None)
            ordered.append(((span[0] if span else t, shown.key), shown, None))
        ordered.sort(key=lambda item: item[0])
        main = self._choose_main(ordered, active)
        thumbnails = tuple(shown.key for _, shown, _ in ordered if shown.key != main)
        return Frame(
            layout=self._layout(main, thumbnails),
            tiles={shown.key: shown for _, shown, _ in ordered},
        )

    def _waits(self, speaker: str, t: float, cameras: set[str]) -> bool:
        """Whether ``speaker`` needs a placeholder at ``t``: talking around now, no picture."""
        span = self._timeline.span(speaker)
        return speaker not in cameras and span is not None and span[0] <= t <= span[1] + LINGER

    def _choose_main(
        self,
        ordered: list[tuple[tuple[float, str], Shown, TileInfo | None]],
        active: str | None,
    ) -> str | None:
        screens = [(s.picture, s.key) for _, s, info in ordered if info and info.screenshare]
        if screens:
            self._main = max(screens, key=lambda x: (_segment_start(x[0]), x[1]))[1]
            return self._main
        keys = [shown.key for _, shown, _ in ordered]
        if active is not None:
            own = [
                s.key
                for _, s, info in ordered
                if info and not info.screenshare and info.speaker_key == active
            ]
            self._main = own[0] if own else PLACEHOLDER_PREFIX + active
        elif self._main not in keys:
            self._main = keys[0] if keys else None
        return self._main

    def _layout(self, main: str | None, thumbnails: tuple[str, ...]) -> Layout:
        layout = self._layouts.get((main, thumbnails))
        if layout is None:
            if len(self._layouts) >= _LAYOUTS:
                self._layouts.clear()
            width, height = self._size
            layout = arrange(main, thumbnails, width=width, height=height)
            self._layouts[(main, thumbnails)] = layout
        return layout

    def _name(self, speaker: str) -> str:
        return self._names.get(speaker) or self._camera_names.get(speaker) or speaker


def guess_tile(key: str, names: Mapping[str, str]) -> TileInfo:
    """The tile of a stream missing from ``tiles.json``: a camera, or a screenshare key."""
    owner, screen, _ = key.partition(_SCREENSHARE)
    if screen:
        return TileInfo(key, f"{names.get(owner, owner)} (screen)", owner, screenshare=True)
    return TileInfo(key, names.get(key, key), key)


def _segment_start(picture: Picture | None) -> int:
    return (picture.segment.first_pts or 0) if picture else 0
