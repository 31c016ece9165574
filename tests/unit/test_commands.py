"""The /meet grammar: every verb, options, mentions, and bad input turning into help."""

from __future__ import annotations

import pytest

from bot.core import commands as c
from bot.core.model import AccessType


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("new", c.NewMeeting(title=None, access=None)),
        ("new standup", c.NewMeeting(title="standup", access=None)),
        ("NEW Weekly sync", c.NewMeeting(title="Weekly sync", access=None)),
        ('new "Design review" --access open', c.NewMeeting("Design review", AccessType.OPEN)),
        ("new --access=restricted board", c.NewMeeting("board", AccessType.RESTRICTED)),
        ("new retro --access Trusted", c.NewMeeting("retro", AccessType.TRUSTED)),
        ("record", c.RecordMeeting(target=None)),
        (
            "record https://meet.google.com/abc-defg-hij",
            c.RecordMeeting("https://meet.google.com/abc-defg-hij"),
        ),
        ("record --live", c.RecordMeeting(target=None, live=True)),
        ("record abc-defg-hij --live", c.RecordMeeting(target="abc-defg-hij", live=True)),
        ("record --LIVE abc-defg-hij", c.RecordMeeting(target="abc-defg-hij", live=True)),
        ("record \u2014live", c.RecordMeeting(target=None, live=True)),
        ("<@U0MEETBOT> record --live", c.RecordMeeting(target=None, live=True)),
        ("record --audio-only", c.RecordMeeting(target=None, audio_only=True)),
        (
            "record abc-defg-hij \u2013audio-only --live",
            c.RecordMeeting(target="abc-defg-hij", live=True, audio_only=True),
        ),
        ("record --Audio_Only", c.RecordMeeting(target=None, audio_only=True)),
        ("stop", c.StopRecording(target=None)),
        ("end abc-defg-hij", c.EndMeeting(target="abc-defg-hij")),
        ("status", c.MeetingStatus(target=None)),
        ("list", c.ListMeetings()),
        ("transcript", c.ShowTranscript(target=None)),
        ("delete spaces/abc", c.DeleteMeeting(target="spaces/abc")),
        ("settings live on", c.ChangeSettings(args=("live", "on"))),
        ("connect", c.Connect()),
        ("disconnect", c.Disconnect()),
        ("help", c.Help()),
        ("", c.Help()),
        ("   ", c.Help()),
        ("<@U0MEETBOT> new standup", c.NewMeeting(title="standup", access=None)),
        ("<@U0MEETBOT|meetbot> end", c.EndMeeting(target=None)),
        ("@meetbot new standup", c.NewMeeting(title="standup", access=None)),
    ],
)
def test_parses(text: str, expected: c.Command) -> None:
    assert c.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("dance", "I don't know the command `dance`."),
        ("new x --access", "`--access` needs a value"),
        ("new x --access everyone", "Unknown access `everyone`"),
        ("new x --access access_type_unspecified", "Use open, trusted or restricted"),
        ("new x --colour red", "Unknown option `--colour`"),
        ("list all", "`list` takes no arguments."),
        ("end a b", "`end` takes at most one meeting"),
        ("record a b --live", "`record` takes at most one meeting"),
        ("record --loud", "Unknown option `--loud` for `record`"),
        (
            "record --video",
            "Unknown option `--video` for `record` (only `--live` and `--audio-only`)",
        ),
        ('new "unclosed', "I couldn't read that: a quote is not closed."),
        ("new " + "x" * 121, "The title is too long (121 characters"),
    ],
)
def test_bad_input_becomes_help_with_the_problem(text: str, problem: str) -> None:
    parsed = c.parse(text)
    assert isinstance(parsed, c.Help)
    assert parsed.problem is not None
    assert parsed.problem.startswith(problem)
