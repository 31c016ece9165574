"""Codec for the ``participants`` channel: who is in the conference, by resource id."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from recorder.channels import common
from recorder.channels.common import ChannelFormatError

LABEL = "participants"


class ParticipantKind(StrEnum):
    """Which user member of a participant is set."""

    SIGNED_IN = "signedInUser"
    ANONYMOUS = "anonymousUser"
    PHONE = "phoneUser"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Participant:
    """A participant snapshot; ``resource_id`` is the outer id used for deletion.

    ``participant_key`` (``participants/{p}``) identifies the person; ``user`` is set for
    signed-in users only; ``display_name`` is "" when Meet gave none.
    """

    resource_id: int
    participant_key: str | None
    name: str | None
    display_name: str
    kind: ParticipantKind
    user: str | None
    participant_id: int | None


@dataclass(frozen=True, slots=True)
class ParticipantsUpdate:
    """Snapshots to add or replace, and resource ids to delete."""

    resources: tuple[Participant, ...]
    deleted: tuple[int, ...]


def parse_update(text: str | bytes) -> ParticipantsUpdate:
    """Parse a server message of the participants channel.

    Args:
        text: The message as received.

    Returns:
        The participant snapshots and deleted resource ids, in message order.

    Raises:
        ChannelFormatError: Malformed or empty message.
    """
    message = common.load_update(text)
    resources = tuple(
        _parse_participant(resource_id, body)
        for resource_id, body in common.iter_resources(message, "participant")
    )
    return ParticipantsUpdate(
        resources=resources, deleted=common.deleted_ids(message, "participant")
    )


def _parse_participant(resource_id: int, body: dict[str, Any]) -> Participant:
    kind, user = _user(body)
    raw_id = body.get("participantId")
    return Participant(
        resource_id=resource_id,
        participant_key=common.get_str(body, "participantKey"),
        name=common.get_str(body, "name"),
        display_name=common.get_str(user, "displayName") or "",
        kind=kind,
        user=common.get_str(user, "user") if kind is ParticipantKind.SIGNED_IN else None,
        participant_id=None if raw_id is None else common.to_int(raw_id, "participantId"),
    )


def _user(body: dict[str, Any]) -> tuple[ParticipantKind, dict[str, Any]]:
    for kind in (ParticipantKind.SIGNED_IN, ParticipantKind.ANONYMOUS, ParticipantKind.PHONE):
        user = common.get_object(body, kind.value)
        if user is not None:
            return kind, user
    return ParticipantKind.UNKNOWN, {}


def encode_update(update: ParticipantsUpdate) -> str:
    """Encode an update in the reference shape (server side, for the emulator).

    Args:
        update: Snapshots and deletions to send.

    Returns:
        The server message as JSON text.
    """
    resources = [_encode_participant(p) for p in update.resources]
    return common.encode_resources("participant", resources, update.deleted)


def _encode_participant(participant: Participant) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if participant.participant_id is not None:
        body["participantId"] = participant.participant_id
    if participant.name is not None:
        body["name"] = participant.name
    if participant.participant_key is not None:
        body["participantKey"] = participant.participant_key
    if participant.kind is not ParticipantKind.UNKNOWN:
        user: dict[str, Any] = {"displayName": participant.display_name}
        if participant.user is not None:
            user["user"] = participant.user
        body[participant.kind.value] = user
    return {"id": participant.resource_id, "participant": body}


__all__ = [
    "LABEL",
    "ChannelFormatError",
    "Participant",
    "ParticipantKind",
    "ParticipantsUpdate",
    "encode_update",
    "parse_update",
]
