"""Shutdown closes every resource of the composition root even when one close fails."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.app.lifecycle import GOOGLE_HTTP, RESOURCES
from bot.app.runtime import RUNTIME
from bot.app.sandbox_mode import start_sandbox
from bot.core.recording.artifacts import ArtifactsFlow
from tests.fixtures_bot import sandbox_test_settings


async def test_one_failing_close_leaves_the_others_closed(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    async def broken(self: ArtifactsFlow) -> None:
        raise RuntimeError("the artifacts port would not close")

    monkeypatch.setattr(ArtifactsFlow, "aclose", broken)  # a rare fault, forced at a port
    settings = sandbox_test_settings(database_url=database_url, data_dir=tmp_path / "data")
    server = await start_sandbox(settings)
    app = server.app
    runtime, resources, google_http = app[RUNTIME], app[RESOURCES], app[GOOGLE_HTTP]

    with caplog.at_level(logging.ERROR, logger="bot.app.lifecycle"):
        await server.close()

    assert resources.failed == ["Meet artifacts"]
    assert resources.closed[0] == "retention sweep"
    assert resources.closed[-4:] == [
        "task supervisor",
        "Slack HTTP session",
        "Google HTTP session",
        "database engine",
    ]
    assert {"recorder", "live transcripts"} <= set(resources.closed)
    assert google_http.closed
    for pool in (runtime.recorder.pools.audio, runtime.recorder.pools.finalize):
        with pytest.raises(RuntimeError, match="shutdown"):
            pool.submit(print)
    assert "closing Meet artifacts failed" in caplog.text
