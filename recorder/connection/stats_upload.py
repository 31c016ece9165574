"""The media-stats uploads Meet asks for: one owned task, re-armed by each configuration."""

from __future__ import annotations

import asyncio
import contextlib

from recorder.channels import media_stats
from recorder.connection.channels import DataChannels
from recorder.stats import ReceiveStats


class StatsUploads:
    """Uploads the receive stats every ``upload_interval`` Meet configures (0: none)."""

    def __init__(self, *, stats: ReceiveStats, channels: DataChannels) -> None:
        self._stats = stats
        self._channels = channels
        self._config: media_stats.StatsConfiguration | None = None
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.count = 0

    def on_message(self, message: str | bytes) -> None:
        config = media_stats.parse_update(message).configuration
        if config is None:
            return
        self._config = config  # a new configuration re-arms the one upload task
        self._changed.set()
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            self._changed.clear()
            config = self._config
            interval = config.upload_interval if config is not None else 0.0
            if config is None or interval <= 0:  # 0: Meet wants no uploads
                await self._changed.wait()
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), interval)
            if not self._changed.is_set():
                self._upload(config)

    def _upload(self, config: media_stats.StatsConfiguration) -> None:
        sections = media_stats.filter_sections(self._stats.sections(), config.allowlist)
        channel = self._channels.open(media_stats.LABEL)
        if sections and channel is not None:
            upload = media_stats.UploadMediaStats(
                request_id=self._channels.next_id(), sections=sections
            )
            channel.send(media_stats.encode_request(upload))
            self.count += 1
