"""The /files/<token> download route through a real aiohttp server and client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.core.model import FileKind, RecordingFile
from bot.web.files import FILE_SERVER, FILES_PREFIX, FileServer, add_routes, file_url
from storage.blobs import LocalBlobStore
from storage.links import LinkSigner

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
TTL = 3600
DATA = bytes(range(256)) * 40  # 10240 bytes
KEY = "recordings/r1/mixed.ogg"


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def signer(clock: Clock) -> LinkSigner:
    return LinkSigner(key=b"s" * 32, ttl=TTL, clock=clock)


@pytest.fixture
async def store(tmp_path: Path) -> LocalBlobStore:
    store = LocalBlobStore(root=tmp_path / "blobs")
    source = tmp_path / "mixed.ogg"
    source.write_bytes(DATA)
    await store.put_file(key=KEY, source=source, content_type="audio/ogg")
    return store


@pytest.fixture
async def client(store: LocalBlobStore, signer: LinkSigner) -> AsyncIterator[TestClient]:
    app = web.Application()
    app[FILE_SERVER] = FileServer(store=store, signer=signer)
    add_routes(app)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        yield client


def _path(
    signer: LinkSigner, *, blob_key: str = KEY, filename: str = "mixed.ogg", **kw: str
) -> str:
    content_type = kw.get("content_type", "audio/ogg")
    token = signer.sign(blob_key=blob_key, filename=filename, content_type=content_type)
    return FILES_PREFIX + token


async def test_full_download(client: TestClient, signer: LinkSigner) -> None:
    response = await client.get(_path(signer))

    assert response.status == 200
    assert await response.read() == DATA
    assert response.headers["Content-Type"] == "audio/ogg"
    assert response.headers["Content-Length"] == str(len(DATA))
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"mixed.ogg\"; filename*=UTF-8''mixed.ogg"
    )
    assert response.headers["Cache-Control"] == f"private, max-age={TTL}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Last-Modified" in response.headers


async def test_cache_lifetime_is_what_is_left_of_the_link(
    client: TestClient, signer: LinkSigner, clock: Clock
) -> None:
    path = _path(signer)
    clock.now = NOW + timedelta(seconds=1000)

    response = await client.get(path)

    assert response.headers["Cache-Control"] == f"private, max-age={TTL - 1000}"


async def test_range_prefix(client: TestClient, signer: LinkSigner) -> None:
    response = await client.get(_path(signer), headers={"Range": "bytes=0-99"})

    assert response.status == 206
    assert await response.read() == DATA[:100]
    assert response.headers["Content-Range"] == f"bytes 0-99/{len(DATA)}"
    assert response.headers["Content-Length"] == "100"
    assert response.headers["Content-Type"] == "audio/ogg"


async def test_range_middle_and_suffix(client: TestClient, signer: LinkSigner) -> None:
    middle = await client.get(_path(signer), headers={"Range": "bytes=5000-5009"})
    suffix = await client.get(_path(signer), headers={"Range": "bytes=-500"})
    open_ended = await client.get(_path(signer), headers={"Range": "bytes=10000-"})

    assert middle.status == 206
    assert await middle.read() == DATA[5000:5010]
    assert suffix.status == 206
    assert await suffix.read() == DATA[-500:]
    assert suffix.headers["Content-Range"] == f"bytes {len(DATA) - 500}-{len(DATA) - 1}/{len(DATA)}"
    assert open_ended.status == 206
    assert await open_ended.read() == DATA[10000:]


async def test_unsatisfiable_range(client: TestClient, signer: LinkSigner) -> None:
    response = await client.get(_path(signer), headers={"Range": f"bytes={len(DATA)}-"})

    assert response.status == 416
    assert response.headers["Content-Range"] == f"bytes */{len(DATA)}"


async def test_if_range_with_stale_validator_sends_everything(
    client: TestClient, signer: LinkSigner
) -> None:
    response = await client.get(
        _path(signer),
        headers={"Range": "bytes=0-9", "If-Range": "Tue, 01 Jan 1980 00:00:00 GMT"},
    )

    assert response.status == 200
    assert await response.read() == DATA


async def test_head(client: TestClient, signer: LinkSigner) -> None:
    response = await client.head(_path(signer))

    assert response.status == 200
    assert response.headers["Content-Length"] == str(len(DATA))
    assert response.headers["Content-Type"] == "audio/ogg"
    assert await response.read() == b""


async def test_expired_link(client: TestClient, signer: LinkSigner, clock: Clock) -> None:
    path = _path(signer)
    clock.now = NOW + timedelta(seconds=TTL + 1)

    response = await client.get(path)

    assert response.status == 410
    assert response.content_type == "text/plain"
    assert await response.text() == "This download link has expired; ask the bot for a new one"


@pytest.mark.parametrize("mangle", ["flip", "junk", "empty-mac"])
async def test_tampered_token(client: TestClient, signer: LinkSigner, mangle: str) -> None:
    token = _path(signer).removeprefix(FILES_PREFIX)
    payload, mac = token.split(".")
    tampered = {
        "flip": f"{payload}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BA'}",
        "junk": "not-a-token",
        "empty-mac": f"{payload}.",
    }[mangle]

    response = await client.get(FILES_PREFIX + tampered)

    assert response.status == 404
    assert response.content_type == "text/plain"
    assert 0 < len(await response.text()) < 100


async def test_missing_blob(client: TestClient, signer: LinkSigner) -> None:
    response = await client.get(_path(signer, blob_key="recordings/r1/gone.ogg"))

    assert response.status == 404
    assert "no longer available" in await response.text()


async def test_signed_bad_blob_key_is_not_found(client: TestClient, signer: LinkSigner) -> None:
    response = await client.get(_path(signer, blob_key="../../etc/passwd"))

    assert response.status == 404


@pytest.mark.parametrize(
    ("signed", "served"),
    [
        ("audio/wav", "audio/wav"),
        ("text/plain; charset=utf-8", "text/plain; charset=utf-8"),
        ("application/json", "application/json"),
        ("text/html\r\nX-Evil: 1", "application/octet-stream"),
        ("nonsense", "application/octet-stream"),
    ],
)
async def test_content_type_is_the_signed_one(
    client: TestClient, signer: LinkSigner, signed: str, served: str
) -> None:
    # The blob is named .ogg: the served type must come from the token, not the extension.
    response = await client.get(_path(signer, content_type=signed))

    assert response.status == 200
    assert response.headers["Content-Type"] == served
    assert "X-Evil" not in response.headers


async def test_unicode_and_quoted_filenames(client: TestClient, signer: LinkSigner) -> None:
    response = await client.get(_path(signer, filename='Réunion "équipe" 日本.ogg'))

    assert response.status == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="Reunion _equipe_ __.ogg"; '
        "filename*=UTF-8''R%C3%A9union%20%22%C3%A9quipe%22%20%E6%97%A5%E6%9C%AC.ogg"
    )


async def test_file_url_downloads(client: TestClient, signer: LinkSigner) -> None:
    file = RecordingFile(
        kind=FileKind.MIXED,
        blob_key=KEY,
        filename="standup.ogg",
        content_type="audio/ogg",
        size=len(DATA),
        duration=1.0,
    )

    url = file_url(base_url="https://meetbot.example.com/", signer=signer, file=file)

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "meetbot.example.com")
    assert parts.path.startswith(FILES_PREFIX)
    response = await client.get(parts.path)
    assert response.status == 200
    assert await response.read() == DATA
    assert 'filename="standup.ogg"' in response.headers["Content-Disposition"]
