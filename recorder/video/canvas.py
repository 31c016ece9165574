"""The composed picture as yuv420p planes in numpy: paste tiles and fills, no RGB per frame.

Colours are limited-range BT.601 Y'CbCr, as the decoders output and x264 encodes by default.
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt

from recorder.video.layout import Rect

Plane = npt.NDArray[np.uint8]
Colour = tuple[int, int, int]
"""A (Y, Cb, Cr) triple."""

BLACK: Colour = (16, 128, 128)


@dataclass(frozen=True, slots=True)
class Planes:
    """A picture in yuv420p: full-size luma, half-size chroma (even width and height)."""

    y: Plane
    u: Plane
    v: Plane

    @property
    def width(self) -> int:
        """Width in pixels."""
        return int(self.y.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels."""
        return int(self.y.shape[0])

    @classmethod
    def solid(cls, width: int, height: int, colour: Colour) -> Planes:
        """A ``width`` x ``height`` picture of one colour."""
        y, u, v = colour
        return cls(
            y=np.full((height, width), y, np.uint8),
            u=np.full((height // 2, width // 2), u, np.uint8),
            v=np.full((height // 2, width // 2), v, np.uint8),
        )

    @classmethod
    def from_frame(cls, frame: av.VideoFrame) -> Planes:
        """Views on the planes of a yuv420p frame of even size (they keep the frame alive)."""
        y, u, v = (_plane(frame.planes[i]) for i in range(3))
        return cls(y=y, u=u, v=v)

    @classmethod
    def from_rgb(cls, rgb: npt.NDArray[np.uint8]) -> Planes:
        """Convert an (h, w, 3) RGB array of even size; chroma is the mean of each 2x2."""
        values = rgb.astype(np.float32)
        r, g, b = values[..., 0], values[..., 1], values[..., 2]
        y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
        u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
        v = 128 + 0.439 * r - 0.368 * g - 0.071 * b
        return cls(y=_bytes(y), u=_bytes(_quarter(u)), v=_bytes(_quarter(v)))


def rgb_colour(red: int, green: int, blue: int) -> Colour:
    """The (Y, Cb, Cr) of one RGB colour."""
    planes = Planes.from_rgb(np.array([[[red, green, blue]] * 2] * 2, np.uint8))
    return int(planes.y[0, 0]), int(planes.u[0, 0]), int(planes.v[0, 0])


class Canvas:
    """One reusable yuv420p frame buffer of even size."""

    def __init__(self, width: int, height: int) -> None:
        """Allocate a black canvas.

        Raises:
            ValueError: An odd or empty size.
        """
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(f"a yuv420p canvas needs an even size, not {width}x{height}")
        self.width, self.height = width, height
        self._buffer = np.empty(width * height * 3 // 2, np.uint8)
        luma, chroma = width * height, (width // 2) * (height // 2)
        self.y = self._buffer[:luma].reshape(height, width)
        self.u = self._buffer[luma : luma + chroma].reshape(height // 2, width // 2)
        self.v = self._buffer[luma + chroma :].reshape(height // 2, width // 2)
        self.fill(Rect(0, 0, width, height), BLACK)

    def fill(self, rect: Rect, colour: Colour) -> None:
        """Paint ``rect`` (even coordinates) one colour."""
        y, u, v = colour
        self.y[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width] = y
        half = _half(rect)
        self.u[half] = u
        self.v[half] = v

    def paste(self, planes: Planes, x: int, y: int) -> None:
        """Copy ``planes`` with its top left corner at (``x``, ``y``), both even."""
        self.y[y : y + planes.height, x : x + planes.width] = planes.y
        half = _half(Rect(x, y, planes.width, planes.height))
        self.u[half] = planes.u
        self.v[half] = planes.v

    def frame(self) -> av.VideoFrame:
        """A new frame holding a copy of the canvas."""
        rows = self._buffer.reshape(self.height * 3 // 2, self.width)
        return av.VideoFrame.from_ndarray(rows, format="yuv420p")


def _half(rect: Rect) -> tuple[slice, slice]:
    return (
        slice(rect.y // 2, (rect.y + rect.height) // 2),
        slice(rect.x // 2, (rect.x + rect.width) // 2),
    )


def _plane(plane: av.video.plane.VideoPlane) -> Plane:
    """A read-only view of a plane's pixels as (height, width), without the line padding."""
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
    pixels: Plane = rows[: plane.height, : plane.width]
    pixels.flags.writeable = False
    return pixels


def _quarter(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The mean of each 2x2 block."""
    h, w = values.shape
    blocks = values[: h // 2 * 2, : w // 2 * 2].reshape(h // 2, 2, w // 2, 2)
    result: npt.NDArray[np.float32] = blocks.mean(axis=(1, 3))
    return result


def _bytes(values: npt.NDArray[np.float32]) -> Plane:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)
