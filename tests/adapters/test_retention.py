"""The retention sweep on real parts, with an injected clock: what is due goes, and says so."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.recording.retention import RetentionSweeper
from bot.core.transcripts.delivery import thread_target
from recorder.model import RecordingState
from tests.adapters.sandbox_server import eventually
from tests.fixtures_transcripts import SEGMENTS, Stack, ago, delivery_stack

RETENTION_NOTE = (
    ":wastebasket: The recording, transcript and download links were deleted automatically "
    "at the end of this workspace's retention period."
)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with delivery_stack(tmp_path) as running:
        yield running


def _sweeper(stack: Stack, days: float | None = 30, interval: float = 3600) -> RetentionSweeper:
    return RetentionSweeper(
        recordings=stack.recordings,
        delivery=stack.delivery,
        retention_days=days,
        interval=interval,
        clock=stack.clock,
    )


async def _notes(stack: Stack, parent: str) -> list[str]:
    return [m["text"] for m in await stack.thread(parent) if ":wastebasket:" in m["text"]]


async def test_sweep_deletes_what_ended_before_the_retention_period(stack: Stack) -> None:
    parents = [await stack.parent(f"card {i}") for i in range(3)]
    old = await stack.recording(parent=parents[0], ended_at=ago(days=40), space="spaces/a")
    failed = await stack.recording(
        parent=parents[1], ended_at=ago(days=31), state=RecordingState.FAILED, space="spaces/b"
    )
    recent = await stack.recording(parent=parents[2], ended_at=ago(days=29), space="spaces/c")
    live = await stack.recording(parent=None, state=RecordingState.RECORDING, space="spaces/d")
    target = await thread_target(stack.recordings, old)
    await stack.delivery.deliver(old, segments=SEGMENTS, duration=10.0, target=target)
    sweeper = _sweeper(stack)

    assert await sweeper.sweep_once() == 2

    assert await _notes(stack, parents[0]) == [RETENTION_NOTE]
    assert await _notes(stack, parents[1]) == [RETENTION_NOTE]
    assert await _notes(stack, parents[2]) == []
    assert await stack.recordings.files(recording_id=old.id) == []
    assert await stack.transcripts.segments(recording_id=old.id) == []
    assert await stack.recordings.deleted_at(recording_id=failed.id) == stack.clock.now
    for kept in (recent, live):
        assert await stack.recordings.deleted_at(recording_id=kept.id) is None
        assert len(await stack.transcripts.segments(recording_id=kept.id)) == len(SEGMENTS)
    causes = [cause for *_, cause, _at in await stack.recordings.events(recording_id=old.id)]
    assert "deleted by retention" in causes

    assert await sweeper.sweep_once() == 0
    stack.clock.now += timedelta(days=2)
    assert await sweeper.sweep_once() == 1
    assert await _notes(stack, parents[2]) == [RETENTION_NOTE]
    assert await stack.recordings.deleted_at(recording_id=live.id) is None


async def test_no_retention_period_keeps_everything(stack: Stack) -> None:
    recording = await stack.recording(parent=None, ended_at=ago(days=3650))
    sweeper = _sweeper(stack, days=None)

    assert await sweeper.sweep_once() == 0
    await asyncio.wait_for(sweeper.run(), timeout=5)  # returns at once: nothing to do

    assert await stack.recordings.deleted_at(recording_id=recording.id) is None


async def test_a_failing_deletion_does_not_stop_the_sweep(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = await stack.recording(parent=None, ended_at=ago(days=60), space="spaces/a")
    fine = await stack.recording(parent=None, ended_at=ago(days=50), space="spaces/b")
    for recording in (broken, fine):
        target = await thread_target(stack.recordings, recording)
        await stack.delivery.deliver(recording, segments=SEGMENTS, duration=10.0, target=target)
    real_delete = stack.store.delete

    async def flaky_delete(*, key: str) -> bool:  # a disk error on one recording's files
        if key.startswith(f"recordings/{broken.id}/"):
            raise PermissionError(13, "Permission denied", key)
        return await real_delete(key=key)

    monkeypatch.setattr(stack.store, "delete", flaky_delete)
    sweeper = _sweeper(stack)

    assert await sweeper.sweep_once() == 1
    assert await stack.recordings.deleted_at(recording_id=fine.id) is not None
    assert await stack.recordings.deleted_at(recording_id=broken.id) is None

    monkeypatch.setattr(stack.store, "delete", real_delete)
    assert await sweeper.sweep_once() == 1  # the next sweep finishes the job
    assert await stack.recordings.deleted_at(recording_id=broken.id) is not None


async def test_run_sweeps_periodically(stack: Stack) -> None:
    sweeper = _sweeper(stack, days=1, interval=0.01)
    task = asyncio.create_task(sweeper.run())
    try:
        recording = await stack.recording(parent=None, ended_at=ago(days=2))

        async def deleted() -> bool:
            return await stack.recordings.deleted_at(recording_id=recording.id) is not None

        await eventually(deleted, within=5, what="the periodic sweep")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
