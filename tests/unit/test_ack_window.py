"""run_within_window: the first answer in time is the ack; the work is owned either way."""

from __future__ import annotations

import asyncio
import time

from bot.ack_window import AnswerWindow, run_within_window
from bot.tasks import TaskSupervisor


async def _answers(window: AnswerWindow[str], gate: asyncio.Event, log: list[str]) -> None:
    """Answer at once, then do the rest of the work once ``gate`` opens."""
    window.offer("first")
    await gate.wait()
    log.append("rest done")


async def test_the_first_answer_is_returned_and_the_work_goes_on_owned() -> None:
    supervisor = TaskSupervisor(concurrency=2)
    window, gate, log = AnswerWindow[str](), asyncio.Event(), []
    answer = await run_within_window(
        _answers(window, gate, log), window=window, supervisor=supervisor, name="t", seconds=5
    )
    assert answer == "first"
    assert supervisor.pending == 1
    assert log == []
    gate.set()
    await supervisor.join()
    assert log == ["rest done"]


async def test_past_the_window_the_ack_is_empty_and_a_later_answer_is_refused() -> None:
    supervisor = TaskSupervisor(concurrency=2)
    window, late, offered = AnswerWindow[str](), asyncio.Event(), []

    async def slow() -> None:
        await late.wait()
        offered.append(window.offer("late"))  # the caller then sends it another way

    started = time.monotonic()
    answer = await run_within_window(
        slow(), window=window, supervisor=supervisor, name="t", seconds=0.05
    )
    assert answer is None
    assert 0.05 <= time.monotonic() - started < 2
    late.set()
    await supervisor.join()
    assert offered == [False]


async def test_work_that_ends_without_an_answer_is_acked_without_waiting() -> None:
    supervisor = TaskSupervisor(concurrency=2)
    window = AnswerWindow[str]()

    async def silent() -> None:
        return None

    started = time.monotonic()
    answer = await run_within_window(
        silent(), window=window, supervisor=supervisor, name="t", seconds=30
    )
    assert answer is None
    assert time.monotonic() - started < 5  # it did not wait the 30 s window


async def test_work_that_must_queue_for_a_slot_is_acked_at_once() -> None:
    supervisor = TaskSupervisor(concurrency=1)
    holding, busy = asyncio.Event(), asyncio.Event()

    async def hold_the_slot() -> None:
        holding.set()
        await busy.wait()

    supervisor.spawn(hold_the_slot(), name="busy")
    await holding.wait()
    assert not supervisor.can_start_now
    window, log = AnswerWindow[str](), []
    gate = asyncio.Event()
    gate.set()

    started = time.monotonic()
    answer = await run_within_window(
        _answers(window, gate, log), window=window, supervisor=supervisor, name="t", seconds=30
    )
    assert answer is None
    assert time.monotonic() - started < 5
    busy.set()
    await supervisor.join()
    assert log == ["rest done"]  # it ran once its turn came; its answer went elsewhere
    assert not window.offer("again")


async def test_work_spawned_in_the_same_step_counts_against_the_slots() -> None:
    supervisor = TaskSupervisor(concurrency=2)
    gate = asyncio.Event()

    async def wait() -> None:
        await gate.wait()

    supervisor.spawn(wait(), name="a")
    assert supervisor.can_start_now
    supervisor.spawn(wait(), name="b")  # neither has run yet, both hold a slot already
    assert not supervisor.can_start_now
    gate.set()
    await supervisor.join()
    assert supervisor.can_start_now
