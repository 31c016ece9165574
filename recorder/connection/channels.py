"""The data channels by label: each bound to its handler, with numbered requests."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from recorder.channels.common import ChannelFormatError

logger = logging.getLogger(__name__)


class DataChannels:
    """The open data channels of one peer connection and its request ids."""

    def __init__(self) -> None:
        self._channels: dict[str, Any] = {}
        self._request_id = 0

    def bind(
        self,
        label: str,
        channel: Any,
        handler: Callable[[str | bytes], None],
        *,
        on_open: Callable[[], None] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        """Send ``channel``'s messages to ``handler``; a malformed one is logged and skipped."""
        self._channels[label] = channel

        def on_message(message: Any) -> None:
            try:
                handler(message)
            except ChannelFormatError as exc:
                logger.warning("%s: skipped a malformed message: %s", label, exc)

        channel.on("message", on_message)
        if on_open is not None:
            channel.on("open", on_open)
        if on_close is not None:
            channel.on("close", on_close)

    def open(self, label: str) -> Any | None:
        """The channel ``label`` if it is open, else None."""
        channel = self._channels.get(label)
        return channel if channel is not None and channel.readyState == "open" else None

    def next_id(self) -> int:
        self._request_id += 1
        return self._request_id
