"""What each stored video stream shows: the tile names the composer writes under pictures.

The capture writes ``tiles.json`` next to the IVF segments (`recorder.video.store`) and
rewrites it whenever a name becomes known or changes; the composer reads it after the call.
A stream's key is the segment key: a participant's key for their camera, or
`screenshare_key` for a screenshare, which is its own media entry (reference §4).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

TILES_FILE = "tiles.json"


@dataclass(frozen=True, slots=True)
class TileInfo:
    """One video stream of the call, as the composer shows it.

    Attributes:
        key: the segment key of `recorder.video.store.VideoStore`.
        name: the label under the tile ("Alice", "Alice (screen)").
        speaker_key: the participant's key, whose speech makes the tile the active speaker.
        screenshare: shown large whenever it has a picture.
    """

    key: str
    name: str
    speaker_key: str
    screenshare: bool = False


def screenshare_key(participant_key: str, media_entry_id: int) -> str:
    """The segment key of one screenshare of a participant (its own media entry)."""
    return f"{participant_key}/screenshare/{media_entry_id}"


def write_tiles(video_dir: Path, tiles: Iterable[TileInfo]) -> None:
    """Replace ``video_dir/tiles.json`` atomically (a crash leaves the old or the new one)."""
    video_dir.mkdir(parents=True, exist_ok=True)
    body = json.dumps([asdict(tile) for tile in tiles], ensure_ascii=False, indent=1)
    temporary = video_dir / (TILES_FILE + ".tmp")
    temporary.write_text(body, encoding="utf-8")
    os.replace(temporary, video_dir / TILES_FILE)


def read_tiles(video_dir: Path) -> dict[str, TileInfo]:
    """The tiles by key; empty when the file is missing or unreadable."""
    try:
        raw = json.loads((video_dir / TILES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    tiles: dict[str, TileInfo] = {}
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            continue
        key = item["key"]
        tiles[key] = TileInfo(
            key=key,
            name=str(item.get("name") or key),
            speaker_key=str(item.get("speaker_key") or key),
            screenshare=bool(item.get("screenshare", False)),
        )
    return tiles
