"""The real bot in the sandbox page, as a new user meets it: sign in, /meet new, End."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.web.sandbox_mode import start_sandbox
from bot.web.server import RunningServer
from tests.browser.cdp import chromium, chromium_available
from tests.fixtures_bot import sandbox_test_settings

pytestmark = pytest.mark.browser


@pytest.fixture
async def live_bot(tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = sandbox_test_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", data_dir=tmp_path / "data"
    )
    server = await start_sandbox(settings)
    try:
        yield server
    finally:
        await server.close()


async def test_new_meeting_and_end_from_the_page(live_bot: RunningServer, tmp_path: Path) -> None:
    if not chromium_available():
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (make browser-deps installs it)")
        pytest.skip("needs /usr/bin/chromium")
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.new_page(f"{live_bot.base_url}/sandbox/")
        await page.wait_for("document.body.dataset.ready === 'true'")

        await page.click("#google-signin")
        await page.wait_for(
            "document.getElementById('google-status').textContent.includes('Connected as')"
        )

        await page.click("#composer-input")
        await page.type_text("/meet new standup")
        await page.press_enter()
        await page.wait_for("!!document.querySelector('button[data-action-id=meet_end]')")
        card = await page.evaluate(
            "document.querySelector('button[data-action-id=meet_end]')"
            ".closest('.message').textContent"
        )
        assert "standup" in card
        assert "meet.google.com/" in card
        await page.screenshot(tmp_path / "card.png")

        await page.click("button[data-action-id=meet_end]")
        await page.wait_for("document.getElementById('confirm-ok').offsetParent !== null")
        await page.click("#confirm-ok")
        ended = await page.wait_for(
            "[...document.querySelectorAll('.message')].map(m => m.textContent)"
            ".find(t => t.includes('Ended at')) || null"
        )
        assert "standup" in ended
        assert "Closed by @Alice; no call was in progress." in ended
        assert await page.evaluate("!document.querySelector('button[data-action-id=meet_end]')")
        await page.screenshot(tmp_path / "ended.png")
