"""Name bars and placeholder tiles: drawn once per size, opaque yuv420p, text that fits."""

from __future__ import annotations

import numpy as np
import pytest

from recorder.video.canvas import BLACK, Canvas, Planes, rgb_colour
from recorder.video.labels import BAR_RGB, initials, label, placeholder
from recorder.video.layout import Rect


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Ada Lovelace", "AL"), ("bob", "B"), ("", "?"), ("Jean-Luc de la Tour", "JT"), ("é", "É")],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_a_label_is_a_bar_with_light_text_on_the_left() -> None:
    bar = label("Alice", 256, 16)
    assert (bar.width, bar.height) == (256, 16)
    assert (bar.u.shape, bar.v.shape) == ((8, 128), (8, 128))
    y, _, _ = rgb_colour(*BAR_RGB)
    assert int(np.median(bar.y)) == pytest.approx(y, abs=2)
    text = np.argwhere(bar.y > 150)
    assert len(text) > 20
    assert text[:, 1].max() < 128  # short name: left half only
    assert label("Alice", 256, 16) is bar  # drawn once


def test_a_long_name_is_cut_to_fit() -> None:
    bar = label("Bartholomew " * 20, 200, 20)
    text_columns = np.argwhere(bar.y > 150)[:, 1]
    assert text_columns.max() < 200 - 5  # the right padding stays free


def test_placeholder_has_a_disc_with_initials_in_the_middle() -> None:
    tile = placeholder("Dave Jones", 256, 144)
    assert (tile.width, tile.height) == (256, 144)
    corner, middle = tile.y[:20, :20], tile.y[62:82, 118:138]
    assert corner.std() < 1  # plain background
    assert middle.std() > 5  # letters on the disc
    chroma = (int(tile.u[36, 50]) - 128, int(tile.v[36, 50]) - 128)  # on the disc
    assert max(map(abs, chroma)) > 5  # a coloured disc


def test_canvas_paints_planes_and_fills_in_yuv420p() -> None:
    canvas = Canvas(64, 32)
    assert (canvas.y == BLACK[0]).all()
    canvas.paste(Planes.solid(8, 4, (200, 50, 60)), 10, 6)
    canvas.fill(Rect(0, 0, 2, 2), (90, 100, 110))
    frame = canvas.frame()
    assert (frame.width, frame.height, frame.format.name) == (64, 32, "yuv420p")
    y = frame.to_ndarray()[:32]
    assert (y[6:10, 10:18] == 200).all()
    assert y[0, 0] == 90
    assert (canvas.u[3:5, 5:9] == 50).all()
    assert (canvas.v[3:5, 5:9] == 60).all()
    with pytest.raises(ValueError, match="even"):
        Canvas(63, 32)
