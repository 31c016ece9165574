"""The download route: ``/files/<signed token>`` serves one stored file, with HTTP ranges."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from bot.core.model import RecordingFile
from storage.blobs import BlobKeyError, BlobStore
from storage.links import LinkExpired, LinkInvalid, LinkSigner

logger = logging.getLogger(__name__)

FILES_PREFIX = "/files/"
EXPIRED_TEXT = "This download link has expired; ask the bot for a new one"
NOT_FOUND_TEXT = "This download link is not valid"
GONE_FILE_TEXT = "This file is no longer available"
FALLBACK_CONTENT_TYPE = "application/octet-stream"
# RFC 7231 media type: type "/" subtype *( OWS ";" OWS parameter ), printable ASCII only.
_MEDIA_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+(\s*;\s*[\w.+-]+=(\"[ -~]*\"|[\w.+-]+))*", re.ASCII)
# RFC 5987 attr-char punctuation: with letters and digits, left unescaped in filename*.
_ATTR_CHARS = "!#$&+-.^_`|~"


@dataclass(frozen=True, slots=True)
class FileServer:
    """What the download route needs: where the files are, and who checks the tokens."""

    store: BlobStore
    signer: LinkSigner


FILE_SERVER = web.AppKey("file_server", FileServer)


def add_routes(app: web.Application) -> None:
    """Mount ``GET``/``HEAD`` ``/files/{token}``; ``app[FILE_SERVER]`` is read per request."""
    app.router.add_get(FILES_PREFIX + "{token}", download)


def file_url(*, base_url: str, signer: LinkSigner, file: RecordingFile) -> str:
    """An absolute download link for ``file``, valid for the signer's TTL.

    Args:
        base_url: the public base URL, e.g. ``https://meetbot.example.com``.
        signer: signs the token.
        file: the stored file.
    """
    token = signer.sign(
        blob_key=file.blob_key, filename=file.filename, content_type=file.content_type
    )
    return f"{base_url.rstrip('/')}{FILES_PREFIX}{token}"


async def download(request: web.Request) -> web.StreamResponse:
    """Serve the file a valid token names; ranges, ``If-Range`` and HEAD by `web.FileResponse`.

    404 for a bad token or a missing file, 410 for an expired link.
    """
    server = request.app[FILE_SERVER]
    try:
        signed = server.signer.verify(request.match_info["token"])
    except LinkExpired:
        return _text(EXPIRED_TEXT, status=410)
    except LinkInvalid:
        return _text(NOT_FOUND_TEXT, status=404)
    try:
        path = server.store.local_path(key=signed.blob_key)
    except BlobKeyError:
        logger.warning("signed link names an invalid blob key")
        path = None
    if path is None:
        return _text(GONE_FILE_TEXT, status=404)
    remaining = int((signed.expires_at - server.signer.now()).total_seconds())
    headers = {
        "Content-Type": _content_type(signed.content_type),
        "Content-Disposition": content_disposition(signed.filename),
        "Cache-Control": f"private, max-age={max(remaining, 0)}",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    return web.FileResponse(path, headers=headers)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266/5987)."""
    fallback = "".join(
        char if " " <= char <= "~" and char not in '"\\' else "_"
        for char in unicodedata.normalize("NFKD", filename)
        if not unicodedata.combining(char)
    )
    encoded = quote(filename, safe=_ATTR_CHARS)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _content_type(value: str) -> str:
    return value if _MEDIA_TYPE.fullmatch(value) else FALLBACK_CONTENT_TYPE


def _text(body: str, *, status: int) -> web.Response:
    return web.Response(
        text=body, status=status, headers={"Cache-Control": "no-store"}, content_type="text/plain"
    )
