"""Turn a capture work dir into the deliverables: a clean Ogg per speaker and the mixed M4A."""

from __future__ import annotations

import logging
import re
import shutil
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import av

from recorder.capture.manifest import read_manifest
from recorder.capture.mix import mix_to_m4a
from recorder.capture.ogg import OggOpusWriter, read_pages
from recorder.capture.opus import GRAIN, RATE, is_voiced, packet_samples, silence
from recorder.model import Speaker

logger = logging.getLogger(__name__)

OGG_TYPE = "audio/ogg"
M4A_TYPE = "audio/mp4"
MIXED_NAME = "recording.m4a"
_UNSAFE = re.compile(r"[^\w\-. ()]+")
_PREMIXED_SLACK = 0.5  # seconds a mix made during the call may differ from the call's length


class FinalizeError(ValueError):
    """The work dir cannot be finalized (no manifest, no speaker files)."""


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One finished file, ready to upload."""

    path: Path
    filename: str
    content_type: str
    size: int
    duration: float
    speaker: Speaker | None  # None for the mixed file


@dataclass(frozen=True, slots=True)
class FinalizeResult:
    """All outputs of one capture."""

    duration: float
    mixed: OutputFile | None
    speakers: tuple[OutputFile, ...]
    voiced_seconds: Mapping[str, float]  # by speaker key

    @property
    def voiced(self) -> bool:
        """Whether anyone said anything; False means "no audio" (a failure, not a recording)."""
        return any(v > 0 for v in self.voiced_seconds.values())


@dataclass(frozen=True, slots=True)
class _Scan:
    """What a work file holds, as far as its complete pages go."""

    speaker: Speaker
    path: Path
    channels: int
    serial: int
    packets: tuple[bytes, ...]
    samples: int
    voiced: int
    clean: bool  # ends with an EOS page and nothing after it

    @property
    def duration(self) -> float:
        return self.samples / RATE


def finalize(
    *,
    work_dir: Path,
    out_dir: Path,
    duration: float | None = None,
    premixed: Path | None = None,
) -> FinalizeResult:
    """Write the outputs of a capture (blocking: run it in a thread).

    Args:
        work_dir: The capture work dir (manifest and speaker files).
        out_dir: Where the outputs go (created).
        duration: The call's length in seconds; None (crash recovery) uses the longest file.
        premixed: The mixed M4A made during the call; moved into place instead of mixing
            the speaker files again if it plays and lasts ``duration``.

    Returns:
        The output files and each speaker's voiced seconds. No mixed file when nobody spoke.

    Raises:
        FinalizeError: No manifest, a malformed one, or no readable speaker file.
    """
    scans = _scan_all(work_dir)
    if duration is None:
        duration = max(s.duration for s in scans)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = unique_filenames([s.speaker.display_name for s in scans], suffix=".ogg")
    outputs = tuple(
        _speaker_file(s, out_dir / n, duration) for s, n in zip(scans, names, strict=True)
    )
    voiced = {s.speaker.key: s.voiced / RATE for s in scans}
    mixed = None
    if any(voiced.values()):
        if premixed is not None:
            mixed = _premixed_file(premixed, out_dir / MIXED_NAME, duration)
        if mixed is None:
            mixed = _mixed_file(outputs, out_dir / MIXED_NAME, duration)
    else:
        logger.warning("capture in %s has no voiced audio: no mixed file", work_dir)
    return FinalizeResult(duration=duration, mixed=mixed, speakers=outputs, voiced_seconds=voiced)


def _scan_all(work_dir: Path) -> list[_Scan]:
    try:
        manifest = read_manifest(work_dir)
    except ValueError as exc:
        raise FinalizeError(str(exc)) from exc
    if manifest is None:
        raise FinalizeError(f"no capture manifest in {work_dir}")
    scans = []
    for speaker, name in manifest.speakers:
        scan = _scan(speaker, work_dir / name)
        if scan is not None:
            scans.append(scan)
    if not scans:
        raise FinalizeError(f"no readable speaker files in {work_dir}")
    return scans


def _scan(speaker: Speaker, path: Path) -> _Scan | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        logger.warning("speaker file %s is missing", path)
        return None
    pages = list(read_pages(data))
    head = pages[0].packets if pages else ()
    if not head or not head[0].startswith(b"OpusHead") or len(head[0]) < 19:
        logger.warning("speaker file %s has no Opus header page", path)
        return None
    packets = tuple(p for page in pages[2:] for p in page.packets)
    try:
        samples, voiced = _count(packets)
    except ValueError:
        logger.warning("speaker file %s holds a malformed Opus packet", path)
        return None
    return _Scan(
        speaker=speaker,
        path=path,
        channels=head[0][9],
        serial=pages[0].serial,
        packets=packets,
        samples=samples,
        voiced=voiced,
        clean=len(pages) > 2 and pages[-1].eos and pages[-1].end == len(data),
    )


def _count(packets: tuple[bytes, ...]) -> tuple[int, int]:
    """Return (all samples, voiced samples) of ``packets``."""
    samples = voiced = 0
    for packet in packets:
        n = packet_samples(packet)
        samples += n
        voiced += n if is_voiced(packet) else 0
    return samples, voiced


def _speaker_file(scan: _Scan, dest: Path, duration: float) -> OutputFile:
    short = int(duration * RATE) - scan.samples
    if scan.clean and short < GRAIN:
        shutil.copyfile(scan.path, dest)
        samples = scan.samples
    else:
        samples = _rewrite(scan, dest, short)
    return OutputFile(
        path=dest,
        filename=dest.name,
        content_type=OGG_TYPE,
        size=dest.stat().st_size,
        duration=samples / RATE,
        speaker=scan.speaker,
    )


def _rewrite(scan: _Scan, dest: Path, short: int) -> int:
    """Copy the complete packets into a new file, pad it to the call's end, close with EOS."""
    logger.info(
        "rewriting %s from its complete pages (%d packets)", scan.path.name, len(scan.packets)
    )
    writer = OggOpusWriter(path=dest, serial=scan.serial, channels=scan.channels)
    samples = scan.samples
    try:
        for packet in scan.packets:
            writer.write(packet)
        for frame in silence(max(0, short)):
            writer.write(frame)
            samples += packet_samples(frame)
    finally:
        writer.close()
    return samples


def _mixed_file(speakers: tuple[OutputFile, ...], dest: Path, duration: float) -> OutputFile:
    sources = [s.path for s in speakers if s.duration > 0]  # FFmpeg cannot open header-only Ogg
    written = mix_to_m4a(sources=sources, dest=dest, duration=duration)
    return OutputFile(
        path=dest,
        filename=dest.name,
        content_type=M4A_TYPE,
        size=dest.stat().st_size,
        duration=written,
        speaker=None,
    )


def _premixed_file(path: Path, dest: Path, duration: float) -> OutputFile | None:
    """The mix made during the call, moved to ``dest``; None if it is unusable."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            length, base = stream.duration, stream.time_base
    except (OSError, IndexError, av.FFmpegError) as exc:
        logger.warning("the live mix %s is unusable, mixing again: %s", path, exc)
        return None
    seconds = float(length * base) if length is not None and base is not None else 0.0
    if abs(seconds - duration) > _PREMIXED_SLACK:
        logger.warning("the live mix lasts %.2f s, not %.2f s: mixing again", seconds, duration)
        return None
    path.replace(dest)
    return OutputFile(
        path=dest,
        filename=dest.name,
        content_type=M4A_TYPE,
        size=dest.stat().st_size,
        duration=seconds,
        speaker=None,
    )


def safe_filename(name: str, *, limit: int = 80) -> str:
    """Return ``name`` as a portable file name stem (letters kept, separators replaced)."""
    text = unicodedata.normalize("NFKC", name)
    text = _UNSAFE.sub("_", text).strip(" ._")
    return text[:limit].rstrip(" ._") or "speaker"


def unique_filenames(names: list[str], *, suffix: str) -> list[str]:
    """Return safe, case-insensitively distinct file names: ``Ann.ogg``, ``Ann (2).ogg``."""
    seen: set[str] = set()
    result = []
    for name in names:
        stem = safe_filename(name)
        candidate, n = stem + suffix, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = f"{stem} ({n}){suffix}"
        seen.add(candidate.casefold())
        result.append(candidate)
    return result
