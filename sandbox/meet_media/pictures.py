"""What the emulator's cameras and screenshares show: moving test pictures with a name on them.

Every picture sequence is periodic over ``count`` frames, so a loop of them replays without
a jump. A camera is a gradient in the participant's own colour with sliding bars and a
circling box, the name drawn large across the middle; a screenshare looks like a slide
(light background, a title bar "<name>'s screen", lines of "text") with a moving pointer.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFont

Rgb = tuple[int, int, int]
Picture = np.ndarray  # (height, width, 3) uint8 RGB

_BARS = 4  # bars across the picture
_BAR_TRAVEL = 2  # bar periods travelled per loop (whole, so the loop is seamless)


def colour_of(name: str) -> Rgb:
    """A saturated colour of its own for each name (stable across runs)."""
    hue = int.from_bytes(hashlib.sha256(name.encode()).digest()[:2], "big") / 65536
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.65, 0.8)
    return round(red * 255), round(green * 255), round(blue * 255)


def text_mask(text: str, *, width: int, height: int, size: int) -> tuple[np.ndarray, int, int]:
    """``text`` rendered as an alpha mask (0..1) no wider than ``width`` minus margins.

    Returns:
        The mask and its (x, y) position centred in a ``width`` x ``height`` picture.
    """
    size = max(8, size)
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = (round(v) for v in font.getbbox(text))
    room = max(8, width - width // 10)
    if right - left > room:  # too wide: shrink to fit
        size = max(8, size * room // (right - left))
        font = ImageFont.load_default(size=size)
        left, top, right, bottom = (round(v) for v in font.getbbox(text))
    image = Image.new("L", (max(1, right - left), max(1, bottom - top)))
    ImageDraw.Draw(image).text((-left, -top), text, font=font, fill=255)
    mask = np.asarray(image, dtype=np.float32) / 255
    return mask, (width - mask.shape[1]) // 2, (height - mask.shape[0]) // 2


def _paint(picture: Picture, mask: np.ndarray, x: int, y: int, colour: Rgb) -> None:
    """Blend ``colour`` into ``picture`` through ``mask`` placed at (x, y), clipped."""
    height, width = picture.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + mask.shape[1]), min(height, y + mask.shape[0])
    if x0 >= x1 or y0 >= y1:
        return
    alpha = mask[y0 - y : y1 - y, x0 - x : x1 - x, None]
    region = picture[y0:y1, x0:x1].astype(np.float32)
    region += (np.asarray(colour, np.float32) - region) * alpha
    picture[y0:y1, x0:x1] = region.astype(np.uint8)


def camera_pictures(name: str, *, width: int, height: int, count: int) -> Iterator[Picture]:
    """A camera loop of ``count`` pictures: gradient, sliding bars, circling box, the name."""
    colour = np.asarray(colour_of(name), np.float32)
    ys = np.linspace(0.35, 1.0, height, dtype=np.float32)[:, None, None]
    shade = np.broadcast_to(colour * ys, (height, width, 3))
    mask, text_x, text_y = text_mask(name, width=width, height=height, size=height // 4)
    pad = max(2, height // 40)
    band = np.full((mask.shape[0] + 2 * pad, width), 0.45, np.float32)
    plain, lit = shade.astype(np.uint8), (shade * 0.65 + 255 * 0.35 * ys).astype(np.uint8)
    for picture in (plain, lit):
        _paint(picture, band, 0, text_y - pad, (0, 0, 0))
    period = max(2.0, width / _BARS)
    xs = np.arange(width, dtype=np.float32)
    box = max(4, min(width, height) // 8)
    for index in range(count):
        phase = index / count
        bars = (xs + phase * _BAR_TRAVEL * period) % period < period / 3
        picture = np.where(bars[None, :, None], lit, plain)
        angle = 2 * math.pi * phase
        box_x = int(width / 2 + math.cos(angle) * (width / 2 - box) - box / 2)
        box_y = int(height / 2 + math.sin(angle) * (height / 2 - box) - box / 2)
        picture[max(0, box_y) : box_y + box, max(0, box_x) : box_x + box] = 255
        _paint(picture, mask, text_x, text_y, (255, 255, 255))
        yield picture


def screen_pictures(name: str, *, width: int, height: int, count: int) -> Iterator[Picture]:
    """A screenshare loop of ``count`` pictures: a slide with a title and a moving pointer."""
    slide = np.full((height, width, 3), 246, np.uint8)
    bar = max(8, height // 6)
    slide[:bar] = colour_of(name)
    title, title_x, _ = text_mask(f"{name}'s screen", width=width, height=bar, size=bar * 2 // 3)
    _paint(slide, title, title_x, (bar - title.shape[0]) // 2, (255, 255, 255))
    line = max(2, height // 30)
    for row, length in enumerate((0.8, 0.65, 0.72, 0.5, 0.6, 0.35)):
        top = bar + line * 2 + row * line * 3
        if top + line > height:
            break
        left = width // 12
        slide[top : top + line, left : left + int(width * length)] = (150, 150, 160)
    pointer = _pointer_mask(max(6, height // 12))
    for index in range(count):
        angle = 2 * math.pi * index / count
        x = int(width / 2 + math.sin(angle) * width / 3)
        y = int(height * 0.6 + math.sin(2 * angle) * height / 4)
        picture = slide.copy()
        _paint(picture, pointer[0], x, y, (255, 255, 255))
        _paint(picture, pointer[1], x, y, (20, 20, 20))
        yield picture


def _pointer_mask(size: int) -> tuple[np.ndarray, np.ndarray]:
    """A mouse pointer (arrow) as an outline mask and a fill mask."""
    outline = Image.new("L", (size, size + size // 2))
    fill = Image.new("L", outline.size)
    arrow = [(0, 0), (0, size), (size * 3 // 10, size * 3 // 4), (size * 3 // 5, size * 6 // 5),
             (size * 3 // 4, size * 11 // 10), (size * 9 // 20, size * 13 // 20),
             (size * 4 // 5, size * 13 // 20)]  # fmt: skip
    ImageDraw.Draw(outline).polygon(arrow, fill=255, outline=255, width=max(1, size // 8))
    ImageDraw.Draw(fill).polygon(arrow, fill=255)
    return np.asarray(outline, np.float32) / 255, np.asarray(fill, np.float32) / 255
