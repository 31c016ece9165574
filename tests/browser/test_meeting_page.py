"""The meeting page in headless Chromium: it loads a real M4A, and clicks seek the player."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.core.model import FileKind
from recorder.model import Speaker
from recorder.transcribe.model import Segment
from tests.adapters.meeting_page_server import (
    blob,
    page_app,
    store_recording,
    stored_world,
    write_m4a,
)
from tests.browser.cdp import Page, chromium, chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium"),
]

SECONDS = 6.0
ALICE = Speaker(key="participants/a", display_name="Alice Martin")
BOB = Speaker(key="participants/b", display_name="Bob Ünal <dev>")
SEGMENTS = [
    Segment(speaker=ALICE, start=0.5, end=2.0, text="Good morning, shall we start?"),
    Segment(speaker=BOB, start=1.8, end=3.8, text="Yes — the release is <ready> & tested."),
    Segment(speaker=ALICE, start=4.0, end=5.6, text="Great, then we ship it today."),
]


def _player_time_within(low: float, high: float) -> str:
    return (
        "(() => { const t = document.getElementById('player').currentTime;"
        f" return t >= {low} && t < {high}; }})()"
    )


async def _current_lines(page: Page) -> list[int]:
    found = await page.evaluate(
        "JSON.stringify([...document.querySelectorAll('.line.current')]"
        ".map((n) => Number(n.dataset.i)))"
    )
    return list(json.loads(found))


async def test_page_plays_seeks_on_click_and_fits_a_phone(tmp_path: Path) -> None:
    audio = write_m4a(tmp_path / "recording.m4a", seconds=SECONDS, freqs=(440, 660, 880))
    async with stored_world(tmp_path) as world:
        recording_id = await store_recording(
            world,
            title="Release check-in",
            speakers=[ALICE, BOB],
            segments=SEGMENTS,
            blobs=[blob(audio, kind=FileKind.MIXED, content_type="audio/mp4", duration=SECONDS)],
            duration=SECONDS,
        )
        link = world.pages.links().link(recording_id=recording_id)
        path = link.removeprefix(world.pages.base_url)
        async with (
            TestServer(page_app(world), host="127.0.0.1", port=0) as server,
            chromium(tmp_path / "profile") as browser,
        ):
            page = await browser.new_page(str(server.make_url(path)))
            await page.wait_for("document.body.dataset.ready === 'true'")
            await page.evaluate(
                "window.errors = []; addEventListener('error', (e) => errors.push(e.message)); 1"
            )
            # The M4A came through /files/<token> under the page's CSP and decoded.
            await page.wait_for("document.getElementById('player').readyState >= 1")
            assert await page.evaluate("document.getElementById('player').duration") == (
                pytest.approx(SECONDS, abs=0.1)
            )
            await page.screenshot(tmp_path / "meeting-desktop.png")

            await page.click('.line[data-i="2"]')
            await page.wait_for(_player_time_within(4.0, 5.6))
            assert 2 in await _current_lines(page)

            await page.click("#timeline")  # its centre: half of the call
            await page.wait_for(_player_time_within(SECONDS / 2 - 0.1, SECONDS / 2 + 0.75))
            assert 1 in await _current_lines(page)
            assert float(
                await page.evaluate("document.getElementById('playhead').getAttribute('x1')")
            ) == (pytest.approx(500, abs=130))

            await page.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
            )
            await page.wait_for("window.innerWidth === 390")
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            await page.screenshot(tmp_path / "meeting-phone.png")
            assert overflow <= 0
            assert await page.evaluate("errors") == []
