"""Codec for the ``media-stats`` channel: the upload configuration and stats uploads."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from recorder.channels import common
from recorder.channels.common import ChannelFormatError, Response, Status

LABEL = "media-stats"

StatsValue = int | float | str

_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


@dataclass(frozen=True, slots=True)
class StatsConfiguration:
    """What to upload and how often; ``upload_interval`` 0 means do not upload.

    ``allowlist`` maps a W3C stats type (``inbound-rtp``) to its allowed camelCase members.
    """

    upload_interval: float
    allowlist: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class MediaStatsUpdate:
    """One server message: a response to an upload, a configuration, or both."""

    response: Response | None
    configuration: StatsConfiguration | None


@dataclass(frozen=True, slots=True)
class StatsSection:
    """One ``getStats()`` report: W3C hyphenated ``type`` and camelCase ``values``."""

    id: str
    type: str
    values: Mapping[str, StatsValue]


@dataclass(frozen=True, slots=True)
class UploadMediaStats:
    """An upload of filtered stats sections."""

    request_id: int
    sections: tuple[StatsSection, ...]


def parse_update(text: str | bytes) -> MediaStatsUpdate:
    """Parse a server message of the media-stats channel.

    Args:
        text: The message as received.

    Returns:
        The response and the last configuration the message carries.

    Raises:
        ChannelFormatError: Malformed or empty message.
    """
    message = common.load_update(text)
    response = common.parse_response(message.get("response"))
    configuration = None
    for _, body in common.iter_resources(message, "configuration"):
        configuration = _parse_configuration(body)
    return MediaStatsUpdate(response=response, configuration=configuration)


def _parse_configuration(body: dict[str, Any]) -> StatsConfiguration:
    interval = body.get("uploadIntervalSeconds", 0)
    if isinstance(interval, str) and _NUMBER.fullmatch(interval):
        interval = float(interval)
    if not _non_negative(interval):
        raise ChannelFormatError("uploadIntervalSeconds is not a non-negative number")
    allowlist: dict[str, tuple[str, ...]] = {}
    for stats_type, entry in (common.get_object(body, "allowlist") or {}).items():
        if not isinstance(entry, dict):
            raise ChannelFormatError("allowlist entry is not an object")
        # Both reference clients read "keys"; the published typings say "key".
        keys = common.get_list(entry, "keys") or common.get_list(entry, "key")
        if not all(isinstance(key, str) for key in keys):
            raise ChannelFormatError("allowlist keys are not strings")
        allowlist[stats_type] = tuple(keys)
    return StatsConfiguration(
        upload_interval=float(interval), allowlist=MappingProxyType(allowlist)
    )


def _non_negative(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value >= 0


def filter_sections(
    sections: Iterable[StatsSection], allowlist: Mapping[str, tuple[str, ...]]
) -> tuple[StatsSection, ...]:
    """Keep allowlisted types and members only, dropping sections left empty.

    Args:
        sections: Reports from ``getStats()``, W3C type and camelCase members.
        allowlist: The configuration's allowlist.

    Returns:
        The filtered sections, in input order.
    """
    kept: list[StatsSection] = []
    for section in sections:
        allowed = set(allowlist.get(section.type, ()))
        values = {key: value for key, value in section.values.items() if key in allowed}
        if values:
            kept.append(StatsSection(id=section.id, type=section.type, values=values))
    return tuple(kept)


def encode_request(request: UploadMediaStats) -> str:
    """Encode an upload the TS way: snake_case section key and members, native values.

    Args:
        request: The upload; sections should already be filtered.

    Returns:
        The request as JSON text.

    Raises:
        ValueError: ``request_id`` is not positive.
    """
    sections = [
        {"id": section.id, _snake(section.type): {_snake(k): v for k, v in section.values.items()}}
        for section in request.sections
    ]
    return common.encode_request(request.request_id, "uploadMediaStats", {"sections": sections})


def parse_upload(text: str | bytes) -> UploadMediaStats:
    """Parse an upload in either client's encoding (server side, for the emulator).

    TS sends snake_case keys and native values; C++ sends the hyphenated type, camelCase
    members and stringified values. Both come back as W3C type and camelCase members, with
    numeric strings turned back into numbers.

    Raises:
        ChannelFormatError: Not a well-formed upload request.
    """
    request_id, payload = common.load_request(text, "uploadMediaStats")
    sections = tuple(_parse_section(raw) for raw in common.get_list(payload, "sections"))
    return UploadMediaStats(request_id=request_id, sections=sections)


parse_request = parse_upload


def _parse_section(raw: Any) -> StatsSection:
    if not isinstance(raw, dict):
        raise ChannelFormatError("section is not an object")
    bodies = [(key, value) for key, value in raw.items() if isinstance(value, dict)]
    if len(bodies) != 1:
        raise ChannelFormatError("section must hold exactly one stats object")
    key, body = bodies[0]
    values = {_camel(name): _value(value) for name, value in body.items() if _scalar(value)}
    return StatsSection(
        id=common.get_str(raw, "id") or "", type=key.replace("_", "-"), values=values
    )


def _scalar(value: Any) -> bool:
    return isinstance(value, int | float | str)


def _value(value: StatsValue) -> StatsValue:
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        try:
            return float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:  # more digits than int() accepts
            return value
    return value


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower().replace("-", "_")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def encode_configuration(config: StatsConfiguration) -> str:
    """Encode a configuration push (server side, for the emulator).

    Args:
        config: The configuration; an interval of 0 is omitted, as proto3-JSON does.

    Returns:
        ``{"resources": [{"configuration": {...}}]}`` as JSON text.
    """
    body: dict[str, Any] = {}
    if config.upload_interval:
        interval = float(config.upload_interval)
        body["uploadIntervalSeconds"] = int(interval) if interval.is_integer() else interval
    body["allowlist"] = {kind: {"keys": list(keys)} for kind, keys in config.allowlist.items()}
    return common.dumps({"resources": [{"configuration": body}]})


def encode_response(*, request_id: int, status: Status | None = None) -> str:
    """Encode the answer to an upload (server side); the status is omitted when None."""
    response = Response(request_id=request_id, status=status or Status(), kind="uploadMediaStats")
    body = common.response_object(response)
    if status is None:
        del body["status"]
    return common.dumps({"response": body})


__all__ = [
    "LABEL",
    "ChannelFormatError",
    "MediaStatsUpdate",
    "StatsConfiguration",
    "StatsSection",
    "StatsValue",
    "UploadMediaStats",
    "encode_configuration",
    "encode_request",
    "encode_response",
    "filter_sections",
    "parse_request",
    "parse_update",
    "parse_upload",
]
