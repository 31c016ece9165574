"""The participants codec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recorder.channels import participants as pc
from recorder.channels.common import ChannelFormatError
from recorder.channels.participants import Participant, ParticipantKind

FIXTURES = Path(__file__).parents[1] / "fixtures" / "meet" / pc.LABEL

ALICE = Participant(
    resource_id=3,
    participant_key="participants/abc",
    name="conferenceRecords/cr1/participants/p1",
    display_name="Alice Smith",
    kind=ParticipantKind.SIGNED_IN,
    user="users/123",
    participant_id=7,
)
BOB = Participant(
    resource_id=5,
    participant_key="participants/def",
    name=None,
    display_name="Bob",
    kind=ParticipantKind.ANONYMOUS,
    user=None,
    participant_id=None,
)
PHONE = Participant(
    resource_id=6,
    participant_key="participants/ghi",
    name=None,
    display_name="+1 555-***-**12",
    kind=ParticipantKind.PHONE,
    user=None,
    participant_id=None,
)


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text()


def test_three_kinds_and_a_deletion() -> None:
    update = pc.parse_update(fixture("three_kinds"))
    assert update == pc.ParticipantsUpdate(resources=(ALICE, BOB, PHONE), deleted=(4,))


def test_deletion_only() -> None:
    update = pc.parse_update(fixture("deletion_only"))
    assert update == pc.ParticipantsUpdate(resources=(), deleted=(3, 5))


@pytest.mark.parametrize(
    ("body", "kind", "display_name"),
    [
        ({"participantKey": "participants/x"}, ParticipantKind.UNKNOWN, ""),
        ({"futureUser": {"displayName": "Z"}}, ParticipantKind.UNKNOWN, ""),
        ({"anonymousUser": {}}, ParticipantKind.ANONYMOUS, ""),
        ({"phoneUser": {"displayName": "+44", "extra": 1}}, ParticipantKind.PHONE, "+44"),
    ],
)
def test_user_kinds(body: dict[str, object], kind: ParticipantKind, display_name: str) -> None:
    text = json.dumps({"resources": [{"id": 1, "participant": body}]})
    (participant,) = pc.parse_update(text).resources
    assert (participant.kind, participant.display_name) == (kind, display_name)


def test_int64_as_string_and_other_deletions_ignored() -> None:
    text = json.dumps(
        {
            "resources": [{"id": "9", "participant": {"participantId": "11"}}],
            "deletedResources": [{"id": 2, "mediaEntry": True}, {"id": 3, "participant": True}],
        }
    )
    update = pc.parse_update(text)
    assert update.resources[0].resource_id == 9
    assert update.resources[0].participant_id == 11
    assert update.deleted == (3,)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"participantKey": 5},
        {"name": ["x"]},
        {"participantId": "seven"},
        {"signedInUser": "alice"},
        {"signedInUser": {"displayName": 1}},
        {"signedInUser": {"user": 1}},
    ],
)
def test_wrong_types(body: object) -> None:
    text = json.dumps({"resources": [{"id": 1, "participant": body}]})
    with pytest.raises(ChannelFormatError):
        pc.parse_update(text)


@pytest.mark.parametrize(
    "update",
    [
        pc.ParticipantsUpdate(resources=(ALICE, BOB, PHONE), deleted=(4,)),
        pc.ParticipantsUpdate(resources=(), deleted=(3, 5)),
        pc.ParticipantsUpdate(resources=(ALICE,), deleted=()),
    ],
)
def test_round_trip(update: pc.ParticipantsUpdate) -> None:
    assert pc.parse_update(pc.encode_update(update)) == update


def test_encode_reference_shape() -> None:
    update = pc.parse_update(fixture("three_kinds"))
    assert json.loads(pc.encode_update(update)) == json.loads(fixture("three_kinds"))
