"""Meet REST request rules from the discovery doc: parameters, bodies, masks, pages."""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, TypeVar

from sandbox.google.errors import ApiError

Json = dict[str, Any]
T = TypeVar("T")

DISCOVERY: Json = json.loads(
    (
        resources.files("googleapiclient") / "discovery_cache" / "documents" / "meet.v2.json"
    ).read_text(encoding="utf-8")
)


def method(method_id: str) -> Json:
    """A method description, e.g. ``spaces.get`` (path through the resource tree)."""
    *path, name = method_id.split(".")
    node = DISCOVERY
    for resource in path:
        node = node["resources"][resource]
    return dict(node["methods"][name])


def check_query(description: Json, query: Mapping[str, str]) -> None:
    """Unknown query parameters and mistyped integers are refused, as Google does."""
    known = {**DISCOVERY["parameters"], **description.get("parameters", {})}
    for key, value in query.items():
        spec = known.get(key)
        if spec is None or spec.get("location") != "query":
            raise ApiError(
                400,
                f'Invalid JSON payload received. Unknown name "{key}": '
                "Cannot bind query parameter.",
            )
        if spec.get("type") == "integer" and not re.fullmatch(r"-?\d+", value):
            raise ApiError(400, f"Invalid value at '{key}' (TYPE_INT32), \"{value}\"")


def check_body(schema: str, value: object, where: str) -> None:
    """Validate a request body against a discovery schema: unknown fields, enums, types."""
    if not isinstance(value, dict):
        raise ApiError(400, f"Invalid JSON payload received. Expected an object at '{where}'.")
    properties = DISCOVERY["schemas"][schema].get("properties", {})
    for key, item in value.items():
        if key not in properties:
            raise ApiError(
                400,
                f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': "
                "Cannot find field.",
            )
        _check_value(properties[key], item, f"{where}.{key}")


def _check_value(spec: Json, item: object, where: str) -> None:
    if "$ref" in spec:
        check_body(spec["$ref"], item, where)
    elif spec.get("type") == "array":
        if not isinstance(item, list):
            raise ApiError(400, f"Invalid value at '{where}': expected a list")
        for index, element in enumerate(item):
            _check_value(spec["items"], element, f"{where}[{index}]")
    elif "enum" in spec and item not in spec["enum"]:
        raise ApiError(400, f"Invalid value at '{where}', \"{item}\"")
    elif spec.get("type") == "string" and not isinstance(item, str):
        raise ApiError(400, f"Invalid value at '{where}': expected a string")


def mask_paths(schema: str, mask: str) -> list[str]:
    """Resolve an update mask (camelCase or snake_case) to writable camelCase paths."""
    paths = []
    for raw in filter(None, (part.strip() for part in mask.split(","))):
        path = ".".join(_camel(segment) for segment in raw.split("."))
        if not _writable(schema, path.split(".")):
            raise ApiError(400, f"Invalid update mask path: {raw!r}")
        paths.append(path)
    return paths


def update_config(config: Json, body: Json, mask: str) -> None:
    """spaces.patch on the stored config: no mask merges, ``*`` replaces, paths copy."""
    mask = mask.strip()
    if mask == "*":
        config.clear()
        config.update(copy.deepcopy(body.get("config", {})))
    elif not mask:
        merge(config, body.get("config", {}))
    else:
        for path in mask_paths("Space", mask):
            _apply_path(config, body, path.split("."))


def merge(target: Json, patch: Json) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _apply_path(config: Json, body: Json, segments: list[str]) -> None:
    """Copy one masked field from ``body`` into the stored config; absent means cleared."""
    if segments[0] != "config":
        return
    source: Any = body
    for segment in segments:
        source = source.get(segment) if isinstance(source, dict) else None
    target = config
    for segment in segments[1:-1]:
        target = target.setdefault(segment, {})
    if len(segments) == 1:
        config.clear()
        config.update(copy.deepcopy(source or {}))
    elif source is None:
        target.pop(segments[-1], None)
    else:
        target[segments[-1]] = copy.deepcopy(source)


def _writable(schema: str, segments: list[str]) -> bool:
    spec = DISCOVERY["schemas"][schema].get("properties", {}).get(segments[0])
    if spec is None or spec.get("readOnly") or segments[0] == "name":
        return False
    if len(segments) == 1:
        return True
    return "$ref" in spec and _writable(spec["$ref"], segments[1:])


def _camel(segment: str) -> str:
    head, *rest = segment.split("_")
    return head + "".join(word.capitalize() for word in rest)


def page(
    items: Sequence[T], *, query: Mapping[str, str], default: int, maximum: int
) -> tuple[list[T], str | None]:
    """One page of ``items`` and the opaque token of the next, bound to the same filter."""
    size = int(query.get("pageSize") or 0)
    if size < 0:
        raise ApiError(400, "Page size must be non-negative.")
    size = min(size or default, maximum)
    bound = hashlib.sha256(query.get("filter", "").encode()).hexdigest()[:16]
    offset = _offset(query.get("pageToken"), bound)
    end = offset + size
    more = end < len(items)
    token = base64.urlsafe_b64encode(json.dumps({"o": end, "f": bound}).encode()).decode()
    return list(items[offset:end]), token if more else None


def _offset(token: str | None, bound: str) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["f"] == bound and isinstance(data["o"], int) and data["o"] >= 0:
            return int(data["o"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        pass
    raise ApiError(400, "Invalid page token.")
