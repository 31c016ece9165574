"""Installs the app into the sandbox workspace through the bot's own OAuth routes, as a browser."""

from __future__ import annotations

import html
import logging
import re
from http.cookies import SimpleCookie
from urllib.parse import urljoin

import aiohttp
from yarl import URL

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
_LINK = re.compile(r'href="([^"]*oauth/v2/authorize[^"]*)"')


class InstallError(Exception):
    """The install flow did not end on the bot's success page."""


class _Browser:
    """Follows redirects by hand and keeps cookies per host, whatever the session's jar does."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._cookies: dict[str, dict[str, str]] = {}

    async def get(self, url: str) -> tuple[int, str, str]:
        """``(status, final url, body)`` after following up to ``MAX_REDIRECTS`` redirects."""
        for _ in range(MAX_REDIRECTS + 1):
            host = URL(url).host or ""
            jar = self._cookies.setdefault(host, {})
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
            async with self._session.get(url, headers=headers, allow_redirects=False) as resp:
                for header in resp.headers.getall("Set-Cookie", []):
                    for name, morsel in SimpleCookie(header).items():
                        jar[name] = morsel.value
                if resp.status not in (301, 302, 303, 307, 308):
                    return resp.status, url, await resp.text()
                url = urljoin(url, resp.headers["Location"])
        raise InstallError(f"too many redirects ending at {url}")


async def install_app(*, bot_base_url: str, session: aiohttp.ClientSession) -> None:
    """Runs ``GET <bot>/slack/install`` → authorize → ``<bot>/slack/oauth_redirect``.

    Bolt either renders an "Add to Slack" page or redirects straight to the authorize URL;
    both are handled. The emulator's authorize endpoint approves at once.

    Raises:
        InstallError: when the bot's callback does not answer 200.
    """
    browser = _Browser(session)
    install_url = bot_base_url.rstrip("/") + "/slack/install"
    status, url, body = await browser.get(install_url)
    if "/slack/oauth_redirect" not in url:
        if status != 200:
            raise InstallError(f"GET {install_url} answered {status}")
        match = _LINK.search(body)
        if match is None:
            raise InstallError("the install page has no link to the authorize URL")
        status, url, body = await browser.get(urljoin(url, html.unescape(match.group(1))))
    if "/slack/oauth_redirect" not in url or status != 200:
        raise InstallError(f"install ended with {status} at {url.split('?')[0]}")
    logger.info("sandbox slack: app installed through %s", install_url)
