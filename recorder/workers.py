"""The recorder's own bounded worker threads, never the event loop's default executor.

Transcription has its pool in `recorder.transcribe.transcriber.Transcriber`; these are the
two others: ``audio`` (the live mix and speech detection of every call) and ``finalize``
(writing a call's files when it ends). A stuck transcription or a slow composer cannot hold
up a finalize, and the loop's default executor (DNS lookups, ``to_thread``) stays free.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class WorkerPools:
    """Two owned thread pools; `aclose` shuts both down and waits for their threads.

    Args:
        audio_workers: threads for live mixing and speech detection (all calls share them).
        finalize_workers: calls whose files are written at once.
    """

    def __init__(self, *, audio_workers: int = 2, finalize_workers: int = 2) -> None:
        self.audio = ThreadPoolExecutor(max_workers=audio_workers, thread_name_prefix="audio")
        self.finalize = ThreadPoolExecutor(
            max_workers=finalize_workers, thread_name_prefix="finalize"
        )

    async def aclose(self) -> None:
        """Refuse new work and wait for the running work (idempotent)."""
        await shutdown(self.audio)
        await shutdown(self.finalize)


async def run_in(executor: Executor, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in ``executor``, awaited from the loop."""
    call = functools.partial(fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(executor, call)


async def shutdown(executor: Executor) -> None:
    """Shut ``executor`` down and wait for its threads from a thread of our own (joining in
    the loop would block it; the default executor is what we keep free)."""
    done = asyncio.get_running_loop().create_future()
    loop = asyncio.get_running_loop()

    def join() -> None:
        try:
            executor.shutdown(wait=True, cancel_futures=True)
        finally:
            loop.call_soon_threadsafe(_resolve, done)

    threading.Thread(target=join, name="executor-shutdown", daemon=True).start()
    await done


def _resolve(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)
