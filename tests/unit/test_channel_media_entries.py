"""The media-entries codec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recorder.channels import media_entries as me
from recorder.channels.common import ChannelFormatError
from recorder.channels.media_entries import MediaEntry

FIXTURES = Path(__file__).parents[1] / "fixtures" / "meet" / me.LABEL

CAMERA = MediaEntry(
    resource_id=12,
    participant_key="participants/abc",
    participant="conferenceRecords/cr1/participants/p1",
    session_name="participants/abc/participantSessions/s1",
    audio_csrc=1111,
    video_csrcs=(2222,),
    presenter=False,
    screenshare=False,
    audio_muted=False,
    video_muted=True,
)
SCREEN = MediaEntry(
    resource_id=13,
    participant_key="participants/abc",
    participant=None,
    session_name="participants/abc/participantSessions/s2",
    audio_csrc=None,
    video_csrcs=(3333,),
    presenter=True,
    screenshare=True,
    audio_muted=False,
    video_muted=False,
)
MUTED = MediaEntry(
    resource_id=14,
    participant_key="participants/def",
    participant=None,
    session_name="participants/def/participantSessions/s3",
    audio_csrc=None,
    video_csrcs=(),
    presenter=False,
    screenshare=False,
    audio_muted=True,
    video_muted=False,
)


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text()


def test_entries_with_csrc_mute_and_screenshare() -> None:
    update = me.parse_update(fixture("entries"))
    assert update == me.MediaEntriesUpdate(resources=(CAMERA, SCREEN, MUTED), deleted=(9,))


def test_unknown_fields_ignored() -> None:
    text = json.dumps(
        {
            "resources": [{"id": 1, "mediaEntry": {"audioCsrc": "77", "participantId": 3, "x": 1}}],
            "deletedResources": [{"id": 8, "participant": True}],
            "traceId": "t",
        }
    )
    update = me.parse_update(text)
    assert update.resources[0].audio_csrc == 77
    assert update.deleted == ()


@pytest.mark.parametrize(
    "body",
    [
        "entry",
        {"audioCsrc": "loud"},
        {"audioCsrc": True},
        {"videoCsrcs": 5},
        {"videoCsrcs": ["a"]},
        {"presenter": "yes"},
        {"audioMuted": 1},
        {"participantKey": {}},
        {"sessionName": 3},
    ],
)
def test_wrong_types(body: object) -> None:
    text = json.dumps({"resources": [{"id": 1, "mediaEntry": body}]})
    with pytest.raises(ChannelFormatError):
        me.parse_update(text)


@pytest.mark.parametrize(
    "update",
    [
        me.MediaEntriesUpdate(resources=(CAMERA, SCREEN, MUTED), deleted=(9,)),
        me.MediaEntriesUpdate(resources=(), deleted=(12, 13)),
    ],
)
def test_round_trip(update: me.MediaEntriesUpdate) -> None:
    assert me.parse_update(me.encode_update(update)) == update
