"""Name bars under the tiles and placeholder tiles, drawn once per (name, size) with Pillow.

Both come out as opaque yuv420p `Planes`, ready to paste: the text is blended into its bar
when it is drawn, so painting a frame is a plain copy. A placeholder stands in for someone
who talks without a picture: a dark box with their initials in a coloured disc.
"""

from __future__ import annotations

import functools
import logging
import threading
import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from recorder.video.canvas import Planes

logger = logging.getLogger(__name__)

BAR_RGB = (32, 33, 36)
TEXT_RGB = (232, 234, 237)
PLACEHOLDER_RGB = (48, 49, 52)
_DISCS = ((26, 115, 232), (217, 48, 37), (24, 128, 56), (249, 171, 0), (161, 66, 244))
_FONT_FILES = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf")
_ELLIPSIS = "…"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
_DRAWING = threading.Lock()  # a FreeType face is not safe to use from two threads at once


@functools.lru_cache(maxsize=256)
def label(name: str, width: int, height: int) -> Planes:
    """A ``width`` x ``height`` bar (even) with ``name`` on it, left-aligned, cut to fit."""
    padding = height // 2
    image = Image.new("RGB", (width, height), BAR_RGB)
    with _DRAWING:
        font = _font(max(8, round(height * 0.62)))
        text = _shorten(name, font, width - 2 * padding)
        draw = ImageDraw.Draw(image)
        draw.text((padding, height / 2), text, fill=TEXT_RGB, font=font, anchor="lm")
    return Planes.from_rgb(np.asarray(image, np.uint8))


@functools.lru_cache(maxsize=64)
def placeholder(name: str, width: int, height: int) -> Planes:
    """A ``width`` x ``height`` tile (even) for ``name``: their initials in a disc."""
    image = Image.new("RGB", (width, height), PLACEHOLDER_RGB)
    draw = ImageDraw.Draw(image)
    radius = max(2, min(width, height) // 4)
    cx, cy = width / 2, height / 2
    disc = _DISCS[zlib.crc32(name.encode()) % len(_DISCS)]
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=disc)
    with _DRAWING:
        font = _font(max(6, round(radius * 0.9)))
        draw.text((cx, cy), initials(name), fill=TEXT_RGB, font=font, anchor="mm")
    return Planes.from_rgb(np.asarray(image, np.uint8))


def initials(name: str) -> str:
    """Up to two initials: "Ada Lovelace" -> "AL", "bob" -> "B", "" -> "?"."""
    words = [w for w in name.replace("(", " ").replace(")", " ").split() if w[0].isalnum()]
    letters = [w[0] for w in words[:1] + words[1:][-1:]]
    return "".join(letters).upper() or "?"


def _shorten(text: str, font: Font, room: int) -> str:
    """``text``, or its longest prefix with an ellipsis that fits ``room`` pixels."""
    if font.getlength(text) <= room:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle].rstrip() + _ELLIPSIS) <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + _ELLIPSIS if low else ""


@functools.lru_cache(maxsize=32)
def _font(size: int) -> Font:
    """A sans-serif font of ``size`` pixels: a system one if found, else Pillow's own."""
    for name in _FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    logger.info("labels: no system font found, using Pillow's default")
    return ImageFont.load_default(size)
