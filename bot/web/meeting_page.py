"""The meeting page: ``/meetings/<recording id>?key=<signed token>`` shows one recording.

The token is a page token from `storage.links.LinkSigner.sign_page`, scoped to the recording
in the path; download tokens do not open pages. The page is a server-rendered shell with a
small same-origin script (`bot/web/page/meeting.js`) and stylesheet, served under
``/meetings/assets/``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from urllib.parse import quote

from aiohttp import web

from bot.core.errors import StorageUnavailable
from bot.core.model import MeetingId, Recording, RecordingFile
from bot.core.ports.storage import MeetingRepo, RecordingRepo, TranscriptRepo
from bot.web.files import file_url
from bot.web.meeting_render import render_notice, render_page
from bot.web.meeting_view import MeetingView, build_view
from recorder.model import RecordingId
from storage.links import LinkExpired, LinkInvalid, LinkSigner

logger = logging.getLogger(__name__)

MEETINGS_PREFIX = "/meetings/"
ASSETS_PREFIX = "/meetings/assets/"
EXPIRED_TITLE = "This link has expired"
EXPIRED_TEXT = (
    "Meeting page links work for a limited time. For a new one, type /meet transcript in the "
    "channel where the meeting was recorded."
)
INVALID_TITLE = "Page not found"
INVALID_TEXT = "This meeting page link is not valid. Check that it was copied whole."
DELETED_TITLE = "This recording was deleted"
UNAVAILABLE_TITLE = "Try again in a moment"
UNAVAILABLE_TEXT = "meetbot cannot reach its database right now; nothing was lost."

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
}
_ASSET_TYPES = {"meeting.js": "text/javascript", "meeting.css": "text/css"}


@dataclass(frozen=True, slots=True)
class MeetingPages:
    """What the page route needs: the stored data and the key that signs links.

    Attributes:
        base_url: the public base URL the page links are built on (see `links`).
    """

    recordings: RecordingRepo
    transcripts: TranscriptRepo
    meetings: MeetingRepo
    signer: LinkSigner
    base_url: str

    def links(self) -> SignedPageLinks:
        """The `MeetingPageLinks` that open these pages."""
        return SignedPageLinks(signer=self.signer, base_url=self.base_url)


MEETING_PAGES = web.AppKey("meeting_pages", MeetingPages)


@dataclass(frozen=True, slots=True)
class _Asset:
    body: bytes
    content_type: str
    url: str  # with a content hash, so a new release is fetched at once


def _load_assets() -> dict[str, _Asset]:
    folder = resources.files("bot.web") / "page"
    assets = {}
    for name, content_type in _ASSET_TYPES.items():
        body = folder.joinpath(name).read_bytes()
        version = hashlib.sha256(body).hexdigest()[:12]
        assets[name] = _Asset(body, content_type, f"{ASSETS_PREFIX}{name}?v={version}")
    return assets


_ASSETS = _load_assets()


class SignedPageLinks:
    """`bot.core.ports.files.MeetingPageLinks`: absolute, signed, expiring page URLs.

    Args:
        signer: the download-link signer (page tokens are a separate purpose of its key).
        base_url: the public base URL, e.g. ``https://meetbot.example.com``.
    """

    def __init__(self, *, signer: LinkSigner, base_url: str) -> None:
        self._signer = signer
        self._base_url = base_url.rstrip("/")

    def link(self, *, recording_id: RecordingId) -> str:
        token = self._signer.sign_page(recording_id=recording_id)
        return f"{self._base_url}{MEETINGS_PREFIX}{quote(recording_id, safe='')}?key={token}"


def add_routes(app: web.Application) -> None:
    """Mount ``GET``/``HEAD`` ``/meetings/{id}`` and its assets; reads ``app[MEETING_PAGES]``."""
    app.router.add_get(ASSETS_PREFIX + "{name}", asset)
    app.router.add_get(MEETINGS_PREFIX + "{recording_id}", meeting_page)


async def meeting_page(request: web.Request) -> web.Response:
    """The page; 404 for a bad link or unknown recording, 410 when expired or deleted."""
    pages = request.app[MEETING_PAGES]
    recording_id = RecordingId(request.match_info["recording_id"])
    try:
        signed = pages.signer.verify_page(request.query.get("key", ""))
    except LinkExpired:
        return _notice(EXPIRED_TITLE, EXPIRED_TEXT, status=410)
    except LinkInvalid:
        return _notice(INVALID_TITLE, INVALID_TEXT, status=404)
    if signed.recording_id != recording_id:
        return _notice(INVALID_TITLE, INVALID_TEXT, status=404)
    try:
        found = await _load(pages, recording_id, signed.expires_at)
    except StorageUnavailable:
        logger.warning("meeting page for recording %s: database unavailable", recording_id)
        return _notice(UNAVAILABLE_TITLE, UNAVAILABLE_TEXT, status=503)
    if isinstance(found, web.Response):
        return found
    body = render_page(found, css_url=_ASSETS["meeting.css"].url, js_url=_ASSETS["meeting.js"].url)
    headers = _SECURITY_HEADERS | {"Cache-Control": "private, no-cache"}
    return web.Response(text=body, content_type="text/html", headers=headers)


async def asset(request: web.Request) -> web.Response:
    """The page's script or stylesheet (public, cacheable: nothing private in them)."""
    found = _ASSETS.get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound
    headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return web.Response(
        body=found.body, content_type=found.content_type, charset="utf-8", headers=headers
    )


async def _load(
    pages: MeetingPages, recording_id: RecordingId, expires_at: datetime
) -> MeetingView | web.Response:
    recording = await pages.recordings.get(recording_id=recording_id)
    if recording is None:
        return _notice(INVALID_TITLE, INVALID_TEXT, status=404)
    deleted = await pages.recordings.deleted_at(recording_id=recording_id)
    if deleted is not None:
        return _notice(DELETED_TITLE, _deleted_text(deleted), status=410)
    files = await pages.recordings.files(recording_id=recording_id)
    segments = await pages.transcripts.segments(recording_id=recording_id)
    logger.debug("meeting page for recording %s: %d segments", recording_id, len(segments))
    return build_view(
        recording=recording,
        title=await _title(pages.meetings, recording),
        segments=segments,
        files=files,
        link=lambda file: _same_origin_link(pages.signer, file),
        expires_at=expires_at,
    )


async def _title(meetings: MeetingRepo, recording: Recording) -> str | None:
    if recording.meeting_id is None:
        return None
    meeting = await meetings.get(meeting_id=MeetingId(recording.meeting_id))
    return meeting.title if meeting is not None else None


def _same_origin_link(signer: LinkSigner, file: RecordingFile) -> str:
    """A root-relative download URL, so the player obeys ``media-src 'self'`` behind any proxy."""
    return file_url(base_url="", signer=signer, file=file)


def _deleted_text(at: datetime) -> str:
    return (
        f"Its files and transcript were deleted on {at:%Y-%m-%d} at {at:%H:%M} UTC "
        "and cannot be shown any more."
    )


def _notice(title: str, message: str, *, status: int) -> web.Response:
    body = render_notice(title=title, message=message, css_url=_ASSETS["meeting.css"].url)
    headers = _SECURITY_HEADERS | {"Cache-Control": "no-store"}
    return web.Response(text=body, status=status, content_type="text/html", headers=headers)
