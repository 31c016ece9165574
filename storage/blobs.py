"""The blob store for finished files: the port, and a local-directory implementation."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from storage.files import private_dir

logger = logging.getLogger(__name__)


class BlobKeyError(ValueError):
    """A key is not a relative, slash-separated path of plain names."""


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """A stored blob.

    Attributes:
        key: where it is stored, e.g. ``recordings/<id>/mixed.ogg``.
        size: bytes.
        content_type: the MIME type it was stored with.
    """

    key: str
    size: int
    content_type: str


class BlobStore(Protocol):
    """Where finished files live; keys are slash-separated relative paths.

    Every method raises `BlobKeyError` for a key that is absolute, empty, contains ``..``,
    ``.``, a backslash or an empty part.
    """

    async def put_file(
        self, *, key: str, source: Path, content_type: str, move: bool = False
    ) -> BlobInfo:
        """Store ``source`` under ``key`` atomically, replacing any blob already there.

        Args:
            key: where to store it.
            source: a local file.
            content_type: the MIME type to serve it with.
            move: take the file instead of copying it (``source`` is gone afterwards).

        Raises:
            FileNotFoundError: ``source`` does not exist.
        """
        ...

    async def delete(self, *, key: str) -> bool:
        """Delete one blob; False if there was none."""
        ...

    async def delete_prefix(self, *, prefix: str) -> int:
        """Delete every blob under the folder ``prefix`` (e.g. ``recordings/<id>``).

        Returns:
            How many blobs were deleted.
        """
        ...

    def local_path(self, *, key: str) -> Path | None:
        """The blob's file on this machine, or None if it does not exist (or is remote)."""
        ...


def split_key(key: str) -> tuple[str, ...]:
    """Validate a blob key and return its parts.

    Raises:
        BlobKeyError: the key is empty, absolute, has empty, ``.`` or ``..`` parts, or
            contains a backslash or NUL.
    """
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise BlobKeyError(f"invalid blob key {key!r}")
    parts = tuple(key.split("/"))
    if any(part in ("", ".", "..") for part in parts):
        raise BlobKeyError(f"invalid blob key {key!r}")
    return parts


class LocalBlobStore:
    """`BlobStore` in a local directory; file IO runs in worker threads.

    Writes go to a temporary file next to the target and are renamed into place, so a
    reader never sees half a file.

    Args:
        root: the directory holding the blobs (created 0700 on first write).
    """

    def __init__(self, *, root: Path) -> None:
        self._root = root.resolve()

    async def put_file(
        self, *, key: str, source: Path, content_type: str, move: bool = False
    ) -> BlobInfo:
        target = self._path(key)
        size = await asyncio.to_thread(_put, source, target, move, self._root)
        logger.debug("stored blob %s (%d bytes)", key, size)
        return BlobInfo(key=key, size=size, content_type=content_type)

    async def delete(self, *, key: str) -> bool:
        target = self._path(key)
        return await asyncio.to_thread(self._delete, target)

    async def delete_prefix(self, *, prefix: str) -> int:
        folder = self._path(prefix.rstrip("/"))
        return await asyncio.to_thread(self._delete_tree, folder)

    def local_path(self, *, key: str) -> Path | None:
        target = self._path(key)
        return target if target.is_file() else None

    def _path(self, key: str) -> Path:
        target = self._root.joinpath(*split_key(key))
        if not target.resolve().is_relative_to(self._root):
            raise BlobKeyError(f"blob key {key!r} leaves the store")
        return target

    def _delete(self, target: Path) -> bool:
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        self._prune(target.parent)
        return True

    def _delete_tree(self, folder: Path) -> int:
        deleted = 0
        for directory, _dirs, names in os.walk(folder, topdown=False):
            for name in names:
                Path(directory, name).unlink(missing_ok=True)
                deleted += 1
            self._prune(Path(directory))
        return deleted

    def _prune(self, folder: Path) -> None:
        """Remove empty folders left behind, up to (not including) the root."""
        while folder != self._root and folder.is_relative_to(self._root):
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent


def _put(source: Path, target: Path, move: bool, root: Path) -> int:
    size = source.stat().st_size
    private_dir(root)  # recordings and transcripts: 0700 when the store creates its root
    target.parent.mkdir(parents=True, exist_ok=True)
    if move:
        try:
            os.replace(source, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
        else:
            return size
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        shutil.copyfile(source, temporary)
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if move:
        source.unlink()
    return size
