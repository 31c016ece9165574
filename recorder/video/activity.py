"""Who talks when, read from a capture's per-speaker Opus files, for the composer.

Each speaker's work file holds their packets on the call clock from t=0, silence padding
included (`recorder.capture.track`), so a packet's position is the sum of the samples
before it. Voiced packets (`recorder.capture.opus.is_voiced`) make the speech intervals;
pauses shorter than `MERGE_GAP` are bridged. Only complete pages are read, so the files of
a capture whose process died work as well.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

from recorder.capture.manifest import CaptureManifest, read_manifest
from recorder.capture.ogg import read_pages
from recorder.capture.opus import RATE, is_voiced, packet_samples

logger = logging.getLogger(__name__)

MERGE_GAP = 0.5
"""Pauses shorter than this (seconds) do not end a speech interval."""
_HEADER_PAGES = 2  # OpusHead and OpusTags, each on a page of its own (RFC 7845 §3)


def speech_activity(
    capture_dir: Path, *, merge_gap: float = MERGE_GAP
) -> dict[str, list[tuple[float, float]]]:
    """Every speaker's speech intervals (start, end) in seconds since call t=0.

    Args:
        capture_dir: The capture work dir (manifest and speaker files).
        merge_gap: Pauses shorter than this many seconds are bridged.

    Returns:
        By speaker key, sorted intervals; speakers who never talk are left out. Empty when
        the dir has no usable manifest.
    """
    manifest = _manifest(capture_dir)
    activity: dict[str, list[tuple[float, float]]] = {}
    for speaker, name in manifest.speakers if manifest else ():
        intervals = _file_intervals(capture_dir / name)
        if intervals:
            activity.setdefault(speaker.key, []).extend(intervals)
    return {key: _merge(spans, merge_gap) for key, spans in activity.items()}


def speaker_names(capture_dir: Path) -> dict[str, str]:
    """Speaker key to display name, from the capture's manifest (empty without one)."""
    manifest = _manifest(capture_dir)
    return {s.key: s.display_name for s, _ in manifest.speakers} if manifest else {}


def _manifest(capture_dir: Path) -> CaptureManifest | None:
    try:
        return read_manifest(capture_dir)
    except (OSError, ValueError) as exc:
        logger.warning("activity: unusable capture manifest in %s: %s", capture_dir, exc)
        return None


def _file_intervals(path: Path) -> list[tuple[float, float]]:
    """The voiced runs of one speaker file, unmerged, in seconds."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        logger.warning("activity: cannot read %s: %s", path.name, exc)
        return []
    runs: list[tuple[float, float]] = []
    position = 0
    start: int | None = None
    try:
        for page in itertools.islice(read_pages(data), _HEADER_PAGES, None):
            for packet in page.packets:
                samples = packet_samples(packet)
                if is_voiced(packet):
                    start = position if start is None else start
                elif start is not None:
                    runs.append((start / RATE, position / RATE))
                    start = None
                position += samples
    except ValueError:
        logger.warning(
            "activity: %s holds a malformed Opus packet at %.2f s", path.name, position / RATE
        )
    if start is not None:
        runs.append((start / RATE, position / RATE))
    return runs


def _merge(spans: list[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] < gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
