"""The FilePublisher port over the blob store and signed download links."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot.core.model import FileKind, RecordingFile
from bot.web.files import file_url
from recorder.capture.finalize import FinalizeResult, OutputFile
from recorder.model import RecordingId
from storage.blobs import BlobStore, split_key
from storage.links import LinkSigner


class BlobPublisher:
    """Moves finished outputs into the blob store under ``recordings/<id>/``; signs links."""

    def __init__(self, *, store: BlobStore, signer: LinkSigner, base_url: str) -> None:
        self._store = store
        self._signer = signer
        self._base_url = base_url

    async def store(
        self, *, recording_id: RecordingId, result: FinalizeResult
    ) -> tuple[RecordingFile, ...]:
        outputs = ([result.mixed] if result.mixed else []) + list(result.speakers)
        return tuple([await self._put(recording_id, output) for output in outputs])

    async def store_output(self, *, recording_id: RecordingId, output: OutputFile) -> RecordingFile:
        return await self._put(recording_id, output)

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
        if not data:
            raise ValueError(f"refusing to store {filename!r}: it is empty")
        if len(split_key(filename)) != 1:
            raise ValueError(f"{filename!r} is not a plain file name")
        key = f"recordings/{recording_id}/{filename}"
        staged = await asyncio.to_thread(_stage, data)
        try:
            info = await self._store.put_file(
                key=key, source=staged, content_type=content_type, move=True
            )
        finally:
            await asyncio.to_thread(staged.unlink, missing_ok=True)
        return RecordingFile(
            kind=kind,
            blob_key=key,
            filename=filename,
            content_type=content_type,
            size=info.size,
            duration=duration,
        )

    async def delete(self, *, files: Sequence[RecordingFile]) -> int:
        deleted = 0
        for file in files:
            deleted += await self._store.delete(key=file.blob_key)
        return deleted

    def link(self, *, file: RecordingFile) -> str:
        return file_url(base_url=self._base_url, signer=self._signer, file=file)

    async def _put(self, recording_id: RecordingId, output: OutputFile) -> RecordingFile:
        key = f"recordings/{recording_id}/{output.filename}"
        info = await self._store.put_file(
            key=key, source=output.path, content_type=output.content_type, move=True
        )
        return RecordingFile(
            kind=FileKind.MIXED if output.speaker is None else FileKind.SPEAKER,
            blob_key=key,
            filename=output.filename,
            content_type=output.content_type,
            size=info.size,
            duration=output.duration,
            speaker=output.speaker,
        )


def _stage(data: bytes) -> Path:
    """``data`` in a temporary file the blob store can take over."""
    handle, name = tempfile.mkstemp(prefix="meetbot-", suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    return Path(name)
