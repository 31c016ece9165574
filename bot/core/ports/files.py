"""File ports: finished recordings kept in the blob store, and signed links to files and pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.core.model import (
    FileKind,
    RecordingFile,
)
from recorder import FinalizeResult, OutputFile, RecordingId


class FilePublisher(Protocol):
    """Keeps finished files (blob store) and makes signed, expiring download links."""

    async def store(
        self, *, recording_id: RecordingId, result: FinalizeResult
    ) -> tuple[RecordingFile, ...]:
        """Move the outputs into the blob store; mixed first, then one per speaker."""
        ...

    async def store_output(self, *, recording_id: RecordingId, output: OutputFile) -> RecordingFile:
        """Move one more output (the composed MP4) into the blob store."""
        ...

    def link(self, *, file: RecordingFile) -> str:
        """A signed ``/files/...`` URL for ``file``."""
        ...

    async def store_bytes(
        self,
        *,
        recording_id: RecordingId,
        kind: FileKind,
        filename: str,
        content_type: str,
        data: bytes,
        duration: float = 0.0,
    ) -> RecordingFile:
        """Keep ``data`` as the recording's file ``filename`` (replacing one of that name).

        Raises:
            ValueError: ``data`` is empty (there are no 0-byte files) or the name is not a
                plain file name.
        """
        ...

    async def delete(self, *, files: Sequence[RecordingFile]) -> int:
        """Delete the files' blobs; returns how many existed. Their links then answer that
        the file is no longer available."""
        ...


class MeetingPageLinks(Protocol):
    """Signed links to a recording's meeting page (``/meetings/<recording id>``)."""

    def link(self, *, recording_id: RecordingId) -> str:
        """An absolute, signed, expiring URL of the page."""
        ...
