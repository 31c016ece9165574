"""Codec for the ``media-entries`` channel: participant sessions and their CSRCs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from recorder.channels import common
from recorder.channels.common import ChannelFormatError

LABEL = "media-entries"


@dataclass(frozen=True, slots=True)
class MediaEntry:
    """One participant session (a device or a screenshare).

    ``audio_csrc`` is the CSRC its audio carries in RTP, None when it has no audio;
    ``participant_key`` links it to the participants channel.
    """

    resource_id: int
    participant_key: str | None
    participant: str | None
    session_name: str | None
    audio_csrc: int | None
    video_csrcs: tuple[int, ...]
    presenter: bool
    screenshare: bool
    audio_muted: bool
    video_muted: bool


@dataclass(frozen=True, slots=True)
class MediaEntriesUpdate:
    """Snapshots to add or replace, and resource ids to delete."""

    resources: tuple[MediaEntry, ...]
    deleted: tuple[int, ...]


def parse_update(text: str | bytes) -> MediaEntriesUpdate:
    """Parse a server message of the media-entries channel.

    Args:
        text: The message as received.

    Returns:
        The media entry snapshots and deleted resource ids, in message order.

    Raises:
        ChannelFormatError: Malformed or empty message.
    """
    message = common.load_update(text)
    resources = tuple(
        _parse_entry(resource_id, body)
        for resource_id, body in common.iter_resources(message, "mediaEntry")
    )
    return MediaEntriesUpdate(
        resources=resources, deleted=common.deleted_ids(message, "mediaEntry")
    )


def _parse_entry(resource_id: int, body: dict[str, Any]) -> MediaEntry:
    video = tuple(common.to_int(c, "videoCsrcs") for c in common.get_list(body, "videoCsrcs"))
    return MediaEntry(
        resource_id=resource_id,
        participant_key=common.get_str(body, "participantKey"),
        participant=common.get_str(body, "participant"),
        session_name=common.get_str(body, "sessionName"),
        # 0 or missing means the entry has no audio.
        audio_csrc=common.get_int(body, "audioCsrc") or None,
        video_csrcs=video,
        presenter=common.get_bool(body, "presenter"),
        screenshare=common.get_bool(body, "screenshare"),
        audio_muted=common.get_bool(body, "audioMuted"),
        video_muted=common.get_bool(body, "videoMuted"),
    )


def encode_update(update: MediaEntriesUpdate) -> str:
    """Encode an update in the reference shape (server side, for the emulator).

    Args:
        update: Snapshots and deletions to send.

    Returns:
        The server message as JSON text.
    """
    resources = [_encode_entry(entry) for entry in update.resources]
    return common.encode_resources("mediaEntry", resources, update.deleted)


def _encode_entry(entry: MediaEntry) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "participant": entry.participant,
        "participantKey": entry.participant_key,
        "sessionName": entry.session_name,
        "audioCsrc": entry.audio_csrc,
        "videoCsrcs": list(entry.video_csrcs) or None,
        "presenter": entry.presenter,
        "screenshare": entry.screenshare,
        "audioMuted": entry.audio_muted,
        "videoMuted": entry.video_muted,
    }
    body = {key: value for key, value in fields.items() if value is not None}
    return {"id": entry.resource_id, "mediaEntry": body}


__all__ = [
    "LABEL",
    "ChannelFormatError",
    "MediaEntriesUpdate",
    "MediaEntry",
    "encode_update",
    "parse_update",
]
