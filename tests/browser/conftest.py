"""The browser tests' bot: the real one in sandbox mode, on its own loopback port."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.sandbox_mode import start_sandbox
from bot.app.server import RunningServer
from tests.browser.cdp import chromium_available
from tests.fixtures_bot import sandbox_test_settings


@pytest.fixture
async def live_bot(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """The real bot in sandbox mode; Chromium is required under CI, else the test skips."""
    if not chromium_available():
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (make browser-deps installs it)")
        pytest.skip("needs /usr/bin/chromium")
    settings = sandbox_test_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", data_dir=tmp_path / "data"
    )
    server = await start_sandbox(settings)
    try:
        yield server
    finally:
        await server.close()
