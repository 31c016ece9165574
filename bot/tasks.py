"""TaskSupervisor: every background task has an owner that logs its failure and awaits it."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class TaskSupervisor:
    """Owns the work that runs after a chat request has been acknowledged."""

    def __init__(self, *, concurrency: int = 8) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        # Bounded so a burst of commands queues instead of starving the acks (and the GIL).
        self._slots = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency

    def spawn(self, coro: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        """Run ``coro`` in the background; its exception is logged, never lost."""
        if self._closing:
            coro.close()
            raise RuntimeError("shutting down: not accepting new work")
        task = asyncio.create_task(self._run(coro), name=name, context=contextvars.copy_context())
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    async def _run(self, coro: Coroutine[Any, Any, None]) -> None:
        async with self._slots:
            await coro

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            logger.error("background task %s failed", task.get_name(), exc_info=exc)

    @property
    def can_start_now(self) -> bool:
        """Whether work spawned now would start at once rather than queue for a slot.

        Counts the tasks spawned but not yet running too: they take their slot first.
        """
        return len(self._tasks) < self._concurrency

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def join(self) -> None:
        """Wait for the work in flight (used by tests and graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self, *, grace: float = 5.0) -> None:
        """Stop accepting work, give running tasks ``grace`` seconds, then cancel and await."""
        self._closing = True
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
