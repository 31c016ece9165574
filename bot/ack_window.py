"""The acknowledgement window: a command's first private answer rides on its ack if quick."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, Generic, TypeVar

from bot.tasks import TaskSupervisor

logger = logging.getLogger(__name__)

T = TypeVar("T")

ACK_WINDOW_SECONDS = 0.5
"""How long an acknowledgement waits for the command's first private answer.

Slack drops a request not acknowledged within 3 s (Chat: 30 s), and an ack's body is shown
at once, so a quick answer (help, list, a refusal, most database-only replies) is best sent
in it. Half a second is six times inside Slack's window, leaves room for a loaded machine and
the network, and is short enough that nobody waits on a slow command: past it the ack goes
out empty and the answer follows through ``response_url`` or the API. Work that cannot even
start (every background slot busy) is not waited for at all."""


class AnswerWindow(Generic[T]):
    """Carries one answer into the acknowledgement while the request is still open.

    The first answer offered before `close` becomes the ack's body; anything offered after
    is refused, and the caller sends it through the platform's API instead.
    """

    def __init__(self) -> None:
        self.answer: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._open = True

    def offer(self, body: T) -> bool:
        """Take ``body`` as the ack's body if the window is still open and empty."""
        if not self._open or self.answer.done():
            return False
        self.answer.set_result(body)
        return True

    def close(self) -> None:
        self._open = False


async def run_within_window(
    work: Coroutine[Any, Any, None],
    *,
    window: AnswerWindow[T],
    supervisor: TaskSupervisor,
    name: str,
    seconds: float = ACK_WINDOW_SECONDS,
) -> T | None:
    """Run ``work`` as an owned task; return its first answer offered within ``seconds``.

    None means acknowledge empty now: the work ended without a private answer, the window
    passed, or the work had to queue for a slot. Either way it continues (or ended) on its
    own and answers later, so nothing is done twice and nothing is lost.
    """
    can_start = supervisor.can_start_now
    task = supervisor.spawn(work, name=name)
    try:
        if can_start and seconds > 0:
            first: set[asyncio.Future[Any]] = {window.answer, task}
            await asyncio.wait(first, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        window.close()
    if window.answer.done():
        return window.answer.result()
    window.answer.cancel()
    if not task.done():
        logger.debug("%s still running after the ack window; it answers later", name)
    return None
