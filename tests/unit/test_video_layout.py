"""Tile geometry: the main tile, the thumbnail strip, label bars, letterboxing, even sizes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from recorder.video.layout import Layout, Rect, arrange, canvas_size, fit, label_height


@dataclass(frozen=True)
class Options:
    width: int = 1280
    height: int = 720


def rects(layout: Layout) -> list[Rect]:
    return [r for t in layout.tiles for r in (t.picture, t.label)]


def assert_even_and_inside(layout: Layout) -> None:
    for r in rects(layout):
        assert all(v % 2 == 0 for v in (r.x, r.y, r.width, r.height)), r
        assert r.x >= 0
        assert r.y >= 0
        assert r.width > 0
        assert r.height > 0
        assert r.x + r.width <= layout.width
        assert r.y + r.height <= layout.height


def assert_disjoint(layout: Layout) -> None:
    boxes = rects(layout)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (
                a.x < b.x + b.width
                and b.x < a.x + a.width
                and a.y < b.y + b.height
                and b.y < a.y + a.height
            ), (a, b)


def test_main_alone_fills_the_canvas_with_its_label_under_it() -> None:
    layout = arrange("a", [], width=1280, height=720)
    (tile,) = layout.tiles
    assert tile.main
    assert layout.main is tile
    assert tile.picture == Rect(0, 0, 1280, 684)
    assert tile.label == Rect(0, 684, 1280, 36)
    assert canvas_size(Options()) == (1280, 684)


def test_thumbnails_form_a_strip_on_the_right() -> None:
    layout = arrange("main", ["b", "c", "d"], width=1280, height=720)
    assert [t.key for t in layout.tiles] == ["main", "b", "c", "d"]
    main, *thumbs = layout.tiles
    assert main.picture == Rect(0, 0, 1016, 684)
    for thumb in thumbs:
        assert not thumb.main
        assert thumb.picture.x == 1024
        assert thumb.picture.width == 256
        assert thumb.picture.height == 144  # 16:9 at the strip's width
        assert thumb.label.y == thumb.picture.y + thumb.picture.height
        assert thumb.label.height == label_height(160)
    tops = [t.picture.y for t in thumbs]
    assert tops == sorted(tops)
    centre = (thumbs[0].picture.y + thumbs[-1].label.y + thumbs[-1].label.height) / 2
    assert centre == pytest.approx(360, abs=2)
    assert_even_and_inside(layout)
    assert_disjoint(layout)


def test_many_thumbnails_shrink_and_the_overflow_is_left_out() -> None:
    layout = arrange("main", [f"t{i}" for i in range(40)], width=1280, height=720)
    thumbs = layout.tiles[1:]
    assert 8 < len(thumbs) < 40
    assert all(t.picture.height >= 16 for t in thumbs)
    assert_even_and_inside(layout)
    assert_disjoint(layout)


def test_no_main_tile() -> None:
    layout = arrange(None, ["a", "b"], width=1280, height=720)
    assert layout.main is None
    assert [t.key for t in layout.tiles] == ["a", "b"]


@pytest.mark.parametrize(("width", "height"), [(641, 361), (320, 180), (1920, 1080), (720, 1280)])
def test_any_canvas_gets_even_disjoint_tiles(width: int, height: int) -> None:
    layout = arrange("m", ["a", "b", "c"], width=width, height=height)
    assert layout.width % 2 == 0
    assert layout.height % 2 == 0
    assert_even_and_inside(layout)
    assert_disjoint(layout)
    assert canvas_size(Options(width, height))[0] == layout.width


@pytest.mark.parametrize(
    ("size", "box", "expected"),
    [
        ((640, 360), Rect(0, 0, 1016, 684), Rect(0, 56, 1016, 572)),  # wider box: bars above
        ((133, 141), Rect(1024, 112, 256, 144), Rect(1084, 112, 136, 144)),  # odd size
        ((360, 640), Rect(0, 0, 1280, 684), Rect(448, 0, 384, 684)),  # portrait
        ((1280, 684), Rect(0, 0, 1280, 684), Rect(0, 0, 1280, 684)),  # exact
        ((4000, 2), Rect(10, 10, 100, 100), Rect(10, 58, 100, 2)),  # never below 2
    ],
)
def test_fit_letterboxes_without_cropping(size: tuple[int, int], box: Rect, expected: Rect) -> None:
    got = fit(*size, box)
    assert got == expected
    assert got.x >= box.x
    assert got.y >= box.y
    assert got.x + got.width <= box.x + box.width
    assert got.y + got.height <= box.y + box.height


def test_fit_rejects_an_empty_picture() -> None:
    with pytest.raises(ValueError, match="0x10"):
        fit(0, 10, Rect(0, 0, 10, 10))
