"""TaskSupervisor: service loops take no command slot and are cancelled at once at close."""

from __future__ import annotations

import asyncio

import pytest

from bot.tasks import TaskSupervisor


async def test_service_loop_takes_no_slot_and_is_cancelled_at_close() -> None:
    supervisor = TaskSupervisor(concurrency=1)
    started = asyncio.Event()

    async def loop() -> None:
        started.set()
        await asyncio.Event().wait()  # runs until cancelled

    supervisor.run_until_close(loop(), name="service-loop")
    await started.wait()
    assert supervisor.can_start_now
    assert supervisor.pending == 0
    await supervisor.join()  # the work in flight only: the loop does not hold it up

    await supervisor.aclose(grace=60.0)

    assert asyncio.all_tasks() == {asyncio.current_task()}
    with pytest.raises(RuntimeError, match="shutting down"):
        supervisor.run_until_close(loop(), name="too-late")
