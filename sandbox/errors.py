"""The error the Slack and Chat stand-ins raise when a request to the bot cannot be sent."""

from __future__ import annotations


class SendError(Exception):
    """The request cannot be sent as asked (unknown channel, message, button...)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
