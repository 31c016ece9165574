"""LocalBlobStore on a real directory."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from storage.blobs import BlobInfo, BlobKeyError, BlobStore, LocalBlobStore

KEY = "recordings/r1/mixed.ogg"


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(root=tmp_path / "blobs")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "work" / "mixed.ogg"
    path.parent.mkdir()
    path.write_bytes(b"OggS" + bytes(range(256)) * 4)
    return path


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _exists(path: Path) -> bool:
    return path.exists()


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_is_a_blob_store(store: LocalBlobStore) -> None:
    assert isinstance(store, LocalBlobStore)
    typed: BlobStore = store
    assert typed is store


async def test_put_copies_and_keeps_source(store: LocalBlobStore, source: Path) -> None:
    info = await store.put_file(key=KEY, source=source, content_type="audio/ogg")

    assert info == BlobInfo(key=KEY, size=1028, content_type="audio/ogg")
    path = store.local_path(key=KEY)
    assert path is not None
    assert _read(path) == _read(source)
    assert _exists(source)
    assert _files(path.parents[2]) == [KEY]  # no temporary file left behind


async def test_put_move_takes_the_file(store: LocalBlobStore, source: Path) -> None:
    data = _read(source)

    info = await store.put_file(key=KEY, source=source, content_type="audio/ogg", move=True)

    assert info.size == len(data)
    assert not _exists(source)
    path = store.local_path(key=KEY)
    assert path is not None
    assert _read(path) == data


async def test_move_across_filesystems_falls_back_to_copy(
    store: LocalBlobStore, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _read(source)
    real_replace = os.replace

    def cross_device(src: str | Path, dst: str | Path) -> None:
        if Path(src) == source:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", cross_device)

    await store.put_file(key=KEY, source=source, content_type="audio/ogg", move=True)

    assert not _exists(source)
    path = store.local_path(key=KEY)
    assert path is not None
    assert _read(path) == data


async def test_put_replaces_existing_blob(
    store: LocalBlobStore, source: Path, tmp_path: Path
) -> None:
    await store.put_file(key=KEY, source=source, content_type="audio/ogg")
    newer = tmp_path / "newer.ogg"
    newer.write_bytes(b"new")

    info = await store.put_file(key=KEY, source=newer, content_type="audio/ogg")

    assert info.size == 3
    path = store.local_path(key=KEY)
    assert path is not None
    assert _read(path) == b"new"


async def test_put_missing_source_raises_and_leaves_nothing(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        await store.put_file(key=KEY, source=tmp_path / "none.ogg", content_type="audio/ogg")
    assert store.local_path(key=KEY) is None


async def test_delete(store: LocalBlobStore, source: Path, tmp_path: Path) -> None:
    await store.put_file(key=KEY, source=source, content_type="audio/ogg")

    assert await store.delete(key=KEY) is True
    assert await store.delete(key=KEY) is False
    assert store.local_path(key=KEY) is None
    assert list((tmp_path / "blobs").iterdir()) == []  # empty folders pruned


async def test_delete_prefix_removes_one_recording(store: LocalBlobStore, source: Path) -> None:
    keys = [
        "recordings/r1/mixed.ogg",
        "recordings/r1/speakers/a.ogg",
        "recordings/r1/speakers/b.ogg",
        "recordings/r10/mixed.ogg",
        "recordings/r2/mixed.ogg",
    ]
    for key in keys:
        await store.put_file(key=key, source=source, content_type="audio/ogg")

    assert await store.delete_prefix(prefix="recordings/r1/") == 3
    assert await store.delete_prefix(prefix="recordings/r1") == 0
    assert await store.delete_prefix(prefix="recordings/nothing") == 0

    remaining = [k for k in keys if store.local_path(key=k) is not None]
    assert remaining == ["recordings/r10/mixed.ogg", "recordings/r2/mixed.ogg"]


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/etc/passwd",
        "../outside",
        "recordings/../../outside",
        "recordings/./a",
        "recordings//a",
        "recordings/a/",
        "recordings\\a",
        "recordings/a\x00b",
    ],
)
async def test_bad_keys_are_refused(store: LocalBlobStore, source: Path, key: str) -> None:
    with pytest.raises(BlobKeyError):
        await store.put_file(key=key, source=source, content_type="audio/ogg")
    with pytest.raises(BlobKeyError):
        store.local_path(key=key)
    with pytest.raises(BlobKeyError):
        await store.delete(key=key)
    assert issubclass(BlobKeyError, ValueError)


@pytest.mark.parametrize("prefix", ["", "/", "..", "recordings/../.."])
async def test_bad_prefixes_are_refused(store: LocalBlobStore, prefix: str) -> None:
    with pytest.raises(BlobKeyError):
        await store.delete_prefix(prefix=prefix)


async def test_symlink_out_of_the_store_is_refused(store: LocalBlobStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (tmp_path / "blobs").mkdir()
    (tmp_path / "blobs" / "link").symlink_to(outside)

    with pytest.raises(BlobKeyError):
        store.local_path(key="link/secret.txt")
