"""Where each tile goes on the composed picture: pure geometry, even numbers for yuv420p.

The main tile (the active speaker, or a screenshare) fills the canvas left of a strip of
thumbnails on the right; with no thumbnails it fills the whole canvas. Every tile is a
picture box with its label bar (the name) under it, across the box's width. A picture is
letterboxed into its box (`fit`): its aspect ratio kept, never cropped. Every rectangle has
even coordinates and sizes, so the 2x2-subsampled chroma planes line up exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

STRIP_SHARE = 5
"""The thumbnail strip is 1/5 of the canvas width."""
_MIN_PICTURE = 16  # a thumbnail picture box is never lower than this: extra tiles are left out


class CanvasOptions(Protocol):
    """What `canvas_size` needs of the compose options."""

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Rect:
    """A rectangle of the canvas, in pixels (even values when made by this module)."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class TileBox:
    """Where one tile goes."""

    key: str
    picture: Rect
    """The box the picture is letterboxed into."""
    label: Rect
    """The name bar under the picture box."""
    main: bool


@dataclass(frozen=True, slots=True)
class Layout:
    """Every tile shown on one composed frame."""

    width: int
    height: int
    tiles: tuple[TileBox, ...]

    @property
    def main(self) -> TileBox | None:
        """The large tile, if any."""
        return next((t for t in self.tiles if t.main), None)


def even(value: float) -> int:
    """``value`` rounded down to an even integer (never below 0)."""
    return max(0, int(value) // 2 * 2)


def label_height(box_height: int) -> int:
    """The label bar's height for a tile ``box_height`` high (picture and label)."""
    return even(min(36, max(16, box_height // 10)))


def gap(width: int) -> int:
    """Space between tiles on a canvas ``width`` wide."""
    return max(2, even(width / 160))


def canvas_size(options: CanvasOptions) -> tuple[int, int]:
    """The largest box any stream is shown in: the main tile alone on the canvas.

    Asking Meet for more than this would waste bandwidth and decoding ("no larger than
    needed", reference §3.5).
    """
    width, height = even(options.width), even(options.height)
    return width, height - label_height(height)


def arrange(main: str | None, thumbnails: Sequence[str], *, width: int, height: int) -> Layout:
    """Place the ``main`` tile and the ``thumbnails`` (in order) on a canvas.

    Args:
        main: The large tile's key, or None for thumbnails only.
        thumbnails: The other tiles' keys, top to bottom; those that would get a picture box
            lower than 16 pixels are left out.
        width: The canvas width (made even).
        height: The canvas height (made even).
    """
    width, height = even(width), even(height)
    tiles: list[TileBox] = []
    strip = _strip(thumbnails, width=width, height=height)
    main_width = width if not strip else width - even(width / STRIP_SHARE) - gap(width)
    if main is not None:
        tiles.append(_tile(main, Rect(0, 0, main_width, height), main=True))
    tiles += strip
    return Layout(width=width, height=height, tiles=tuple(tiles))


def fit(width: int, height: int, box: Rect) -> Rect:
    """A ``width`` x ``height`` picture scaled into ``box``: aspect kept, centred, even.

    Raises:
        ValueError: An empty picture.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"cannot fit a {width}x{height} picture")
    scale = min(box.width / width, box.height / height)
    w = min(box.width, max(2, even(width * scale + 0.5)))
    h = min(box.height, max(2, even(height * scale + 0.5)))
    return Rect(box.x + even((box.width - w) / 2), box.y + even((box.height - h) / 2), w, h)


def _tile(key: str, cell: Rect, *, main: bool) -> TileBox:
    """A tile filling ``cell``: the picture box above, the label bar at the bottom."""
    bar = label_height(cell.height)
    picture = Rect(cell.x, cell.y, cell.width, cell.height - bar)
    label = Rect(cell.x, cell.y + cell.height - bar, cell.width, bar)
    return TileBox(key=key, picture=picture, label=label, main=main)


def _strip(keys: Sequence[str], *, width: int, height: int) -> list[TileBox]:
    """Thumbnails stacked on the right, 16:9 boxes while they fit, centred vertically."""
    if not keys:
        return []
    space, strip_width = gap(width), even(width / STRIP_SHARE)
    natural = even(strip_width * 9 / 16)
    natural += label_height(natural + 16)
    fitting = max(1, (height - space) // (_MIN_PICTURE + 16 + space))
    keys = list(keys)[:fitting]
    cell = min(natural, even((height - space * (len(keys) + 1)) / len(keys)))
    total = len(keys) * cell + (len(keys) - 1) * space
    top = even((height - total) / 2)
    x = width - strip_width
    return [
        _tile(key, Rect(x, top + i * (cell + space), strip_width, cell), main=False)
        for i, key in enumerate(keys)
    ]
