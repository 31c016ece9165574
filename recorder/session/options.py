"""A session's timers and endpoints, and the reasons that end it for good."""

from __future__ import annotations

from dataclasses import dataclass

SHUTDOWN = "shutdown"
"""Who stopped a recording when the bot shuts down (the outcome is partial)."""
GOODBYES = frozenset({"REASON_CONFERENCE_ENDED", "REASON_CLIENT_LEFT", "REASON_USER_STOPPED"})
"""Meet's reasons that end the session on purpose: no reconnect, the outcome is whole."""


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """Timers and endpoints; see `bot.settings.RecorderSettings` for their meaning."""

    media_base_url: str
    ice_servers: tuple[str, ...]
    call_timeout: float
    poll_interval: float
    admit_timeout: float
    reconnect_window: float
    reconnect_attempts: int
