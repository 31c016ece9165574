"""The FilePublisher port over the blob store and signed download links."""

from __future__ import annotations

from bot.web.files import file_url
from recorder.capture.finalize import FinalizeResult, OutputFile
from recorder.model import FileKind, RecordingFile, RecordingId
from storage.blobs import BlobStore
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
