"""A recording whose process was killed mid-call is finished as partial at the next start."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.app.runtime import Runtime
from recorder.model import RecordingState
from tests.fixtures_bot import SandboxBot, recording_under_card

# Captures 3 s of Ann's speech on a fake clock, then is killed with SIGKILL: no close().
_KILLED_MID_CALL = """
import os, signal, sys
import signal
import subprocess
import sys
from pathlib import Path
from recorder.capture import CallCapture
from recorder.model import Speaker
from tests.adapters.test_capture_finalize import tone

now = [1000.0]
capture = CallCapture(work_dir=Path(sys.argv[1]), clock=lambda: now[0])
capture.start()
for seq, packet in enumerate(tone(440.0, 3.0)):
    now[0] += 0.02
    capture.audio(speaker=Speaker(key="participants/ann", display_name="Ann"),
                  payload=packet, ssrc=1, seq=seq, rtp_ts=seq * 960)
os.kill(os.getpid(), signal.SIGKILL)
"""


async def _live_recording(bot: SandboxBot, tmp: Path) -> tuple[Any, dict[str, Any], Path]:
    work = tmp / "killed"
    recording, card = await recording_under_card(bot, work)
    runtime: Runtime = bot.runtime
    moved = await runtime.repos.recordings.transition(
        recording_id=recording.id,
        expected={RecordingState.STARTING},
        new_state=RecordingState.RECORDING,
        cause="joined the call",
    )
    assert moved is not None
    return recording, card, work


async def test_partial_capture_is_finalized_and_posted_as_partial(
    connected_bot: SandboxBot, tmp_path: Path
) -> None:
    bot = connected_bot
    recording, card, work = await _live_recording(bot, tmp_path)
    killed = subprocess.run(  # noqa: ASYNC221 - the child must die mid-capture, for real
        [sys.executable, "-c", _KILLED_MID_CALL, str(work / "capture")], check=False
    )
    assert killed.returncode == -signal.SIGKILL

    await bot.runtime.recording.recover()

    done = await bot.runtime.repos.recordings.get(recording_id=recording.id)
    assert done is not None
    assert done.state is RecordingState.READY
    assert done.partial
    assert done.duration is not None
    assert 1.5 < done.duration <= 3.0
    thread = [m for m in await bot.messages() if m.get("thread_ts") == card["ts"]]
    [result] = [m for m in thread if "Partial recording" in m["text"]]
    assert "the bot restarted during the call" in result["text"]
    assert "Ann.ogg" in result["text"]
    files = await bot.runtime.repos.recordings.files(recording_id=recording.id)
    assert [f.filename for f in files] == ["recording.m4a", "Ann.ogg"]


async def test_nothing_captured_before_the_kill_is_reported_as_a_failure(
    connected_bot: SandboxBot, tmp_path: Path
) -> None:
    bot = connected_bot
    recording, card, _ = await _live_recording(bot, tmp_path)

    await bot.runtime.recording.recover()

    done = await bot.runtime.repos.recordings.get(recording_id=recording.id)
    assert done is not None
    assert done.state is RecordingState.FAILED
    thread = [m for m in await bot.messages() if m.get("thread_ts") == card["ts"]]
    assert any("The recording failed" in m["text"] for m in thread)
    assert await bot.runtime.repos.recordings.files(recording_id=recording.id) == []
