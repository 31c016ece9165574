"""Who may act on a meeting, from where: every meeting command and card button × every person.

Bob created a meeting in #project; Alice (a workspace admin) and Carol are members; Dave is
in the workspace but not in #project. Each row builds a fresh meeting (plus the call or the
recording the command needs), runs one command or click, and checks that it ran, that the
person's role refused it (in the channel, where the meeting is no secret), or that it was
refused exactly like a meeting that does not exist: nothing revealed, nothing changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from bot.core.model import MeetingState
from bot.core.texts import meetings as messages
from bot.core.texts import recording as rtexts
from bot.core.texts import transcripts as ttexts
from recorder.model import RecordingState
from sandbox.slack.state import sandbox_email
from tests import authz_world as w
from tests.authz_world import ADMIN, CREATOR, GENERAL, MEMBER, OUTSIDER, PROJECT, Fresh
from tests.fixtures_bot import SandboxBot, eventually


class Outcome(Enum):
    RAN = "ran"
    FORBIDDEN = "refused by role"  # in the meeting's channel: "only the creator or an admin"
    HIDDEN = "refused as unknown"  # anywhere else: the reply for a meeting that does not exist


RAN, FORBIDDEN, HIDDEN = Outcome.RAN, Outcome.FORBIDDEN, Outcome.HIDDEN

# who: (user, where they type). Dave types in his DM with the bot (on Slack only members can
# type in a channel); "other channel" is Carol, a member of #project, typing the meeting's code
# in #general. None of them is in a call here: test_someone_in_the_call_… covers that.
TYPED = {
    "creator": (CREATOR, PROJECT),
    "admin": (ADMIN, PROJECT),
    "member": (MEMBER, PROJECT),
    "non-member": (OUTSIDER, OUTSIDER),
    "other channel": (MEMBER, GENERAL),
    "creator in a DM": (CREATOR, CREATOR),
}
# For buttons, Dave presses the card in #project without joining it (a previewed public
# channel); "other channel" is Carol pressing a copy of the card shared into #general.
PRESSED = {k: v for k, v in TYPED.items() if k != "creator in a DM"} | {
    "non-member": (OUTSIDER, PROJECT)
}

EVERYONE_IN_THE_CHANNEL = (RAN, RAN, RAN, HIDDEN, HIDDEN, RAN)
OWNER_OR_ADMIN = (RAN, RAN, FORBIDDEN, HIDDEN, HIDDEN, RAN)
TABLE: dict[str, tuple[Outcome, ...]] = {
    "record": EVERYONE_IN_THE_CHANNEL,
    "stop": EVERYONE_IN_THE_CHANNEL,
    "status": EVERYONE_IN_THE_CHANNEL,
    "transcript": EVERYONE_IN_THE_CHANNEL,
    "end": OWNER_OR_ADMIN,
    "delete": OWNER_OR_ADMIN,
    "meet_record": EVERYONE_IN_THE_CHANNEL[:5],
    "meet_stop": EVERYONE_IN_THE_CHANNEL[:5],
    "meet_status": EVERYONE_IN_THE_CHANNEL[:5],
    "meet_end": OWNER_OR_ADMIN[:5],
}


async def _nothing(bot: SandboxBot, fresh: Fresh) -> None:
    return None


async def _ready(bot: SandboxBot, fresh: Fresh) -> None:
    await w.ready_recording(bot, fresh)


async def _live(bot: SandboxBot, fresh: Fresh) -> None:
    await w.live_recording(bot, fresh)


SETUP: dict[str, Callable[[SandboxBot, Fresh], Awaitable[None]]] = {
    "record": _nothing,
    "stop": _live,
    "status": w.call_in_progress,
    "transcript": _ready,
    "end": _nothing,
    "delete": _ready,
}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: who may act does not depend on the database, and the table is long."""
    return f"sqlite+aiosqlite:///{tmp_path / 'meetbot.db'}"


@pytest.mark.parametrize("verb", list(TABLE))
async def test_who_may_act_from_where(sandbox_bot: SandboxBot, verb: str) -> None:
    bot = sandbox_bot
    await w.build_world(bot)
    places = PRESSED if verb.startswith("meet_") else TYPED
    failures = []
    for (who, (user, where)), expected in zip(places.items(), TABLE[verb], strict=True):
        try:
            await _row(bot, verb, user, where, expected)
        except AssertionError as exc:
            failures.append(f"{verb} by {who}: expected {expected.value}: {exc}")
    assert not failures, "\n".join(failures)


async def _row(bot: SandboxBot, verb: str, user: str, where: str, expected: Outcome) -> None:
    fresh = await w.fresh_meeting(bot)
    await SETUP[verb.removeprefix("meet_")](bot, fresh)
    before = (await w.state_of(bot, fresh), await w.public_in_project(bot))
    seen = await w.seen_by(bot, user)
    if verb.startswith("meet_"):
        await _press(bot, fresh, verb, user, where)
    else:
        await bot.command(f"{verb} {fresh.code}", user=user, channel=where)
    shown = await w.shown_since(bot, user, seen)
    try:
        if expected is RAN:
            await RAN_CHECKS[verb.removeprefix("meet_")](bot, fresh, user, shown)
            return
        assert shown == [_refusal(verb, fresh, expected)], shown
        assert not any(secret in text for text in shown for secret in w.SECRETS)
        after = (await w.state_of(bot, fresh), await w.public_in_project(bot))
        assert after == before, "something changed"
    finally:
        await w.stop_everything(bot, fresh)


async def _press(bot: SandboxBot, fresh: Fresh, action: str, user: str, where: str) -> None:
    ts = fresh.card_ts if where == PROJECT else await w.copy_card_to(bot, fresh, where)
    await bot.click(ts, action, user=user, channel=where)


def _refusal(verb: str, fresh: Fresh, expected: Outcome) -> str:
    if expected is FORBIDDEN:
        if verb.endswith("delete"):
            return ttexts.delete_not_allowed(CREATOR).text
        return messages.not_allowed("end").text
    if verb.endswith("stop"):  # as for a call nobody records: people in the call may stop it
        return rtexts.not_recording().text
    if verb.startswith("meet_"):
        return messages.no_meeting(fresh.meeting.id).text
    return messages.no_meeting(fresh.code).text


async def _recorded(bot: SandboxBot, fresh: Fresh, user: str, shown: list[str]) -> None:
    # Meet may refuse the recorder at once (the emulator lets only the space's owner read it);
    # what matters here is that the person's Record got as far as the recorder.
    recording = await bot.runtime.repos.recordings.latest_for_meeting(meeting_id=fresh.meeting.id)
    assert recording is not None, f"nothing was recorded: {shown}"
    assert recording.started_by == user


async def _stopped(bot: SandboxBot, fresh: Fresh, user: str, shown: list[str]) -> None:
    assert shown == [rtexts.cancelling(user).text], shown
    recordings = bot.runtime.repos.recordings

    async def gone() -> bool:
        return await recordings.active_for_space(space_name=fresh.space) is None

    await eventually(gone, within=10, what="the recording to stop")


async def _status(bot: SandboxBot, fresh: Fresh, user: str, shown: list[str]) -> None:
    [text] = shown
    assert "In the call:" in text
    assert "Ann" in text


async def _transcript(bot: SandboxBot, fresh: Fresh, user: str, shown: list[str]) -> None:
    assert shown == [ttexts.transcript_posted().text], shown
    thread = [m for m in await bot.messages(PROJECT) if m.get("thread_ts") == fresh.card_ts]
    assert any("secret roadmap" in m["text"] for m in thread)


async def _ended(bot: SandboxBot, fresh: Fresh, user: str, shown: list[str]) -> None:
    meeting = await bot.runtime.repos.meetings.get(meeting_id=fresh.meeting.id)
    assert meeting is not None
    assert meeting.state is MeetingState.ENDED


async def _deleted(bot: SandboxBot, fresh: Fresh, user: str, shown: list[str]) -> None:
    assert shown == [ttexts.deleted_for_you().text], shown
    recordings = bot.runtime.repos.recordings
    latest = await recordings.latest_for_meeting(meeting_id=fresh.meeting.id)
    assert latest is not None
    assert await recordings.deleted_at(recording_id=latest.id) is not None


RAN_CHECKS: dict[str, Callable[[SandboxBot, Fresh, str, list[str]], Awaitable[Any]]] = {
    "record": _recorded,
    "stop": _stopped,
    "status": _status,
    "transcript": _transcript,
    "end": _ended,
    "delete": _deleted,
}


@pytest.mark.parametrize("how", ["typed in his DM", "pressed on the card"])
async def test_someone_in_the_call_may_stop_it_from_anywhere(
    sandbox_bot: SandboxBot, how: str
) -> None:
    bot = sandbox_bot
    await w.build_world(bot)
    fresh = await w.fresh_meeting(bot)
    dave = {"name": "Dave", "email": sandbox_email(OUTSIDER)}  # signed in as his linked account
    call = {"space": fresh.code, "participants": [{"name": "Ann"}, dave]}
    await bot.api("POST", "meet/conferences", call)
    recording = await w.live_recording(bot, fresh, state=RecordingState.RECORDING)
    assert recording.conference_record is not None

    seen = await w.seen_by(bot, MEMBER)
    await bot.command(f"stop {fresh.code}", user=MEMBER, channel=GENERAL)  # not in the call
    assert await w.shown_since(bot, MEMBER, seen) == [rtexts.not_recording().text]
    assert (await w.state_of(bot, fresh))[3] is not None, "Carol stopped it from #general"

    seen = await w.seen_by(bot, OUTSIDER)
    if how == "pressed on the card":  # Dave is not in #project
        await bot.click(fresh.card_ts, "meet_stop", user=OUTSIDER, channel=PROJECT)
    else:
        await bot.command(f"stop {fresh.code}", user=OUTSIDER, channel=OUTSIDER)
    assert await w.shown_since(bot, OUTSIDER, seen) == [rtexts.stopping(OUTSIDER).text]
    await eventually(lambda: _finished(bot, recording.id), within=15, what="the recording to end")


async def _finished(bot: SandboxBot, recording_id: Any) -> bool:
    recording = await bot.runtime.repos.recordings.get(recording_id=recording_id)
    return recording is not None and recording.state in (
        RecordingState.READY,
        RecordingState.FAILED,
    )
