"""The /meetings/<id> page through a real aiohttp server over a real SQLite file."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.core.model import FileKind
from bot.core.ports.files import MeetingPageLinks
from bot.web.files import FILES_PREFIX
from bot.web.meeting_page import CSP, SignedPageLinks
from recorder.model import RecordingId, Speaker
from recorder.transcribe.model import Segment
from tests.adapters.meeting_page_server import (
    NOW,
    TTL,
    Stored,
    blob,
    page_app,
    store_recording,
    stored_world,
)

ALICE = Speaker(key="participants/a", display_name="Alice <b>&amp;</b>")
BOB = Speaker(key="participants/b", display_name='Bob "Ünal"')
CAROL = Speaker(key="participants/c", display_name="Carol")
SEGMENTS = [
    Segment(speaker=ALICE, start=0.5, end=2.0, text="Hello <script>alert(1)</script> & welcome"),
    Segment(speaker=BOB, start=1.5, end=3.0, text="Hi </script><script>steal()</script>"),
    Segment(speaker=ALICE, start=4.0, end=5.5, text="Plan:\n'ship' it"),
]
TITLE = "Weekly <sync> & plan"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Stored]:
    async with stored_world(tmp_path) as world:
        yield world


@pytest.fixture
async def client(world: Stored) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(page_app(world), host="127.0.0.1", port=0)) as client:
        yield client


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, Path]:
    contents = {
        "recording.m4a": b"\x00\x00\x00\x18ftypM4A " + bytes(range(256)) * 8,
        "alice.ogg": b"OggS" + b"a" * 3000,
        "transcript.txt": b"[00:00:00] Alice: Hello\n",
    }
    for name, data in contents.items():
        (tmp_path / name).write_bytes(data)
    return {name: tmp_path / name for name in contents}


async def _recording(
    world: Stored, sources: dict[str, Path], *, segments: list[Segment] = SEGMENTS, **kw: object
) -> RecordingId:
    blobs = [
        blob(sources["alice.ogg"], kind=FileKind.SPEAKER, content_type="audio/ogg",
             duration=62, speaker=ALICE),
        blob(sources["recording.m4a"], kind=FileKind.MIXED, content_type="audio/mp4",
             duration=62),
        blob(sources["transcript.txt"], kind=FileKind.TRANSCRIPT,
             content_type="text/plain; charset=utf-8", duration=62),
    ]  # fmt: skip
    options: dict[str, object] = {"title": TITLE} | kw
    return await store_recording(
        world,
        speakers=[ALICE, BOB, CAROL],
        segments=segments,
        blobs=blobs,
        duration=62.0,
        **options,  # type: ignore[arg-type]
    )


def _path(world: Stored, recording_id: str) -> str:
    url = SignedPageLinks(signer=world.pages.signer, base_url="http://x").link(
        recording_id=RecordingId(recording_id)
    )
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _lines(body: str) -> list[str]:
    return re.findall(r'<li class="line"[^>]*>(.*?)</li>', body)


async def test_page_shows_the_recording_escaped_and_with_safe_headers(
    world: Stored, client: TestClient, sources: dict[str, Path]
) -> None:
    recording_id = await _recording(world, sources)

    response = await client.get(_path(world, recording_id))
    body = await response.text()

    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.headers["Content-Security-Policy"] == CSP
    assert "default-src 'none'" in CSP
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"].startswith("private")
    assert "<title>Weekly &lt;sync&gt; &amp; plan · meetbot</title>" in body
    assert "<h1>Weekly &lt;sync&gt; &amp; plan</h1>" in body
    assert "Sat 1 Mar 2025, 09:00 UTC" in body
    assert "1 min" in body
    assert "3 speakers" in body
    names = re.findall(r'<span class="name">(.*?)</span><span class="talk">(.*?)</span>', body)
    assert [(html.unescape(n), t) for n, t in names] == [
        ("Alice <b>&amp;</b>", "0:03"),
        ('Bob "Ünal"', "0:02"),
        ("Carol", "0:00"),
    ]
    lines = _lines(body)
    assert len(lines) == 3
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt; &amp; welcome" in lines[0]
    assert "Alice &lt;b&gt;&amp;amp;&lt;/b&gt;" in lines[0]
    assert "Plan: &#x27;ship&#x27; it" in lines[2]
    assert body.count("<script") == 2  # the script file and the JSON island, nothing injected
    assert "alert(1)</script>" not in body
    assert "<b>" not in body


async def test_json_island_is_inert_and_matches_the_lines(
    world: Stored, client: TestClient, sources: dict[str, Path]
) -> None:
    recording_id = await _recording(world, sources)

    body = await (await client.get(_path(world, recording_id))).text()
    island = re.search(
        r'<script type="application/json" id="meeting-data">(.*?)</script>', body, re.S
    )

    assert island is not None
    assert json.loads(island.group(1)) == {
        "duration": 62.0,
        "lines": [[0.5, 2.0], [1.5, 3.0], [4.0, 5.5]],
    }
    starts = re.findall(r'<li class="line" data-i="\d+" data-start="([\d.]+)"', body)
    assert [float(s) for s in starts] == [0.5, 1.5, 4.0]
    bars = re.findall(r'<rect class="bar c(\d)"[^>]*data-start="([\d.]+)"', body)
    assert bars == [("0", "0.500"), ("1", "1.500"), ("0", "4.000")]


async def test_every_download_link_downloads_its_file(
    world: Stored, client: TestClient, sources: dict[str, Path]
) -> None:
    recording_id = await _recording(world, sources)

    body = await (await client.get(_path(world, recording_id))).text()
    links = re.findall(r'<a href="([^"]+)" download="([^"]+)">([^<]+)</a>', body)
    player = re.search(r'<audio id="player" controls preload="metadata" src="([^"]+)"', body)

    assert [(name, label) for _, name, label in links] == [
        ("recording.m4a", "Whole call (M4A)"),
        ("alice.ogg", "Alice &lt;b&gt;&amp;amp;&lt;/b&gt; (OGG)"),
        ("transcript.txt", "Transcript (TXT)"),
    ]
    for href, name, _ in links:
        assert href.startswith(FILES_PREFIX)
        download = await client.get(html.unescape(href))
        assert download.status == 200
        assert await download.read() == sources[name].read_bytes()
    assert player is not None
    assert player.group(1) == links[0][0]
    assert (
        await client.get(html.unescape(player.group(1)), headers={"Range": "bytes=0-3"})
    ).status == 206


async def test_no_speech_says_so(
    world: Stored, client: TestClient, sources: dict[str, Path]
) -> None:
    recording_id = await _recording(world, sources, segments=[])

    body = await (await client.get(_path(world, recording_id))).text()

    assert "There was no speech in this recording." in body
    assert "Nobody spoke." in body
    assert _lines(body) == []
    assert 'id="timeline"' not in body
    assert '"lines":[]' in body


async def test_without_a_meeting_the_space_names_the_page(
    world: Stored, client: TestClient, sources: dict[str, Path]
) -> None:
    recording_id = await _recording(world, sources, title=None, space="spaces/<odd>")

    body = await (await client.get(_path(world, recording_id))).text()

    assert "<h1>Recording of spaces/&lt;odd&gt;</h1>" in body


async def test_expired_link_explains_how_to_get_a_new_one(
    world: Stored, client: TestClient, sources: dict[str, Path]
) -> None:
    recording_id = await _recording(world, sources)
    path = _path(world, recording_id)

    world.clock.advance(TTL - 1)
    assert (await client.get(path)).status == 200
    world.clock.advance(1)
    response = await client.get(path)
    body = await response.text()

    assert response.status == 410
    assert "This link has expired" in body
    assert "/meet transcript" in body
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == CSP


@pytest.mark.parametrize(
    "mangle",
    [
        lambda world, rid, path: path.split("?")[0],
        lambda world, rid, path: path + "x",
        lambda world, rid, path: path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"),
        lambda world, rid, path: path.replace(rid, "other"),
        lambda world, rid, path: (
            f"/meetings/{rid}?key="
            + world.pages.signer.sign(blob_key=f"page:{rid}", filename="f", content_type="t/t")
        ),
        lambda world, rid, path: _path(world, "unknown-recording"),
    ],
    ids=["no-key", "appended", "tampered", "other-path", "file-token", "unknown-recording"],
)
async def test_bad_links_are_not_found(
    world: Stored, client: TestClient, sources: dict[str, Path], mangle: object
) -> None:
    recording_id = await _recording(world, sources)

    response = await client.get(mangle(world, recording_id, _path(world, recording_id)))  # type: ignore[operator]

    assert response.status == 404
    assert "not valid" in await response.text()


async def test_a_page_token_does_not_download_files(
    world: Stored, client: TestClient, sources: dict[str, Path]
) -> None:
    recording_id = await _recording(world, sources)
    token = world.pages.signer.sign_page(recording_id=recording_id)

    assert (await client.get(FILES_PREFIX + token)).status == 404


async def test_deleted_recording_is_gone(
    world: Stored, client: TestClient, sources: dict[str, Path]
) -> None:
    recording_id = await _recording(world, sources)
    path = _path(world, recording_id)
    await world.recordings.mark_deleted(
        recording_id=recording_id, by="U1", at=NOW + timedelta(hours=1)
    )

    response = await client.get(path)
    body = await response.text()

    assert response.status == 410
    assert "This recording was deleted" in body
    assert "2025-03-01 at 10:00 UTC" in body
    assert "Alice" not in body


async def test_signed_page_links_are_absolute_and_open_the_page(
    world: Stored, client: TestClient, sources: dict[str, Path]
) -> None:
    recording_id = await _recording(world, sources)
    links: MeetingPageLinks = world.pages.links()

    url = links.link(recording_id=recording_id)

    assert url.startswith(f"https://meetbot.example.com/meetings/{recording_id}?key=")
    parts = urlsplit(url)
    assert (await client.get(f"{parts.path}?{parts.query}")).status == 200


async def test_head_request(world: Stored, client: TestClient, sources: dict[str, Path]) -> None:
    recording_id = await _recording(world, sources)

    response = await client.head(_path(world, recording_id))

    assert response.status == 200
    assert await response.read() == b""


async def test_assets_are_served_and_named_by_content(
    world: Stored, client: TestClient, sources: dict[str, Path]
) -> None:
    recording_id = await _recording(world, sources)
    body = await (await client.get(_path(world, recording_id))).text()
    js = re.search(r'<script src="([^"]+)" defer>', body)
    css = re.search(r'<link rel="stylesheet" href="([^"]+)">', body)
    assert js is not None
    assert css is not None

    script = await client.get(html.unescape(js.group(1)))
    style = await client.get(html.unescape(css.group(1)))

    assert (script.status, script.content_type) == (200, "text/javascript")
    assert "meeting-data" in await script.text()
    assert (style.status, style.content_type) == (200, "text/css")
    assert re.fullmatch(r"/meetings/assets/meeting\.js\?v=[0-9a-f]{12}", html.unescape(js.group(1)))
    assert (await client.get("/meetings/assets/meeting.html")).status == 404
    assert (await client.get("/meetings/assets/..%2Fmeeting_page.py")).status == 404


async def test_database_unavailable_is_a_503(
    world: Stored, client: TestClient, sources: dict[str, Path], tmp_path: Path
) -> None:
    recording_id = await _recording(world, sources)
    path = _path(world, recording_id)
    await world.engine.dispose()
    (tmp_path / "db").rename(tmp_path / "moved")
    (tmp_path / "db").write_text("not a directory")

    response = await client.get(path)

    assert response.status == 503
    assert "nothing was lost" in await response.text()
