"""TaskSupervisor: the owner of the bot's background work; it logs failures, awaits at close."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class TaskSupervisor:
    """Owns the work that runs after a chat request has been acknowledged (bounded slots,
    a grace period at close) and the service loops that run until shutdown (the retention
    sweep: no slot, cancelled at once at close)."""

    def __init__(self, *, concurrency: int = 8) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: set[asyncio.Task[None]] = set()
        self._closing = False
        # Bounded so a burst of commands queues instead of starving the acks (and the GIL).
        self._slots = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency

    def spawn(self, coro: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        """Run ``coro`` in the background; its exception is logged, never lost."""
        if self._closing:
            coro.close()
            raise RuntimeError("shutting down: not accepting new work")
        # owner: this supervisor; `aclose` cancels what outlives the grace, and awaits it
        task = asyncio.create_task(self._run(coro), name=name, context=contextvars.copy_context())
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def run_until_close(self, coro: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run the service loop ``coro`` until `aclose` cancels it; it takes no slot."""
        if self._closing:
            coro.close()
            raise RuntimeError("shutting down: not starting new work")
        # owner: this supervisor; `aclose` cancels and awaits it first
        task = asyncio.create_task(coro, name=name)
        self._loops.add(task)
        task.add_done_callback(self._done)

    async def _run(self, coro: Coroutine[Any, Any, None]) -> None:
        async with self._slots:
            await coro

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._loops.discard(task)
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
        """Stop accepting work and cancel the service loops; give the work in flight
        ``grace`` seconds, then cancel it; await every task."""
        self._closing = True
        loops = list(self._loops)
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
