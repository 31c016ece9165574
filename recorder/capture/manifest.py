"""The work dir's manifest: when capture started and which file holds which speaker."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from recorder.model import Speaker

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
_VERSION = 1


@dataclass(frozen=True, slots=True)
class CaptureManifest:
    """What restart recovery needs to finalize a work dir."""

    started_at: datetime
    speakers: tuple[tuple[Speaker, str], ...]  # (speaker, file name in the work dir)


def write_manifest(work_dir: Path, manifest: CaptureManifest) -> None:
    """Write the manifest atomically (temp file, fsync, ``os.replace``).

    Args:
        work_dir: The capture's work dir (must exist).
        manifest: What to write.
    """
    doc = {
        "version": _VERSION,
        "started_at": manifest.started_at.isoformat(),
        "speakers": [
            {"key": s.key, "display_name": s.display_name, "file": name}
            for s, name in manifest.speakers
        ],
    }
    tmp = work_dir / f".{MANIFEST_NAME}.tmp"
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, work_dir / MANIFEST_NAME)


def read_manifest(work_dir: Path) -> CaptureManifest | None:
    """Read the manifest of a work dir.

    Args:
        work_dir: The capture's work dir.

    Returns:
        The manifest, or None when the work dir has none.

    Raises:
        ValueError: The manifest exists but is malformed.
    """
    try:
        text = (work_dir / MANIFEST_NAME).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return _parse(json.loads(text))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed capture manifest in {work_dir}: {exc!r}") from exc


def _parse(doc: dict[str, Any]) -> CaptureManifest:
    speakers = []
    for entry in doc["speakers"]:
        name = str(entry["file"])
        if not name or Path(name).name != name or name.startswith("."):
            raise ValueError(f"manifest names an unsafe file: {name!r}")
        speakers.append(
            (Speaker(key=str(entry["key"]), display_name=str(entry["display_name"])), name)
        )
    return CaptureManifest(
        started_at=datetime.fromisoformat(doc["started_at"]), speakers=tuple(speakers)
    )
