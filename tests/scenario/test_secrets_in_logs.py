"""A whole sandbox session logged at DEBUG through the real logging set-up leaks no secret."""

from __future__ import annotations

import html
import io
import json
import logging
import re
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest
from sqlalchemy import text

from bot import logs
from bot.app.runtime import SETTINGS
from sandbox.google.state import SANDBOX_CLIENT_SECRET
from sandbox.slack.install import install_app
from storage.crypto import is_ciphertext
from storage.db import create_engine
from tests.fixtures_bot import SandboxBot, eventually, running_sandbox_bot, sandbox_test_settings
from tests.media import write_tone

_URL = re.compile(r"https?://[^\s|>\"\\]+")
_AUTH_URL = re.compile(r"https?://[^\s|>\"\\]+/o/oauth2/auth\?[^\s|>\"\\]+")
_CAPTURED = ("code", "state", "key")


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    """``bot.logs.configure`` at DEBUG (JSON), its handler writing to a buffer; undone after."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    manager = logging.Logger.manager
    saved_levels = {
        name: logger.level
        for name, logger in manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    logs.configure(level="DEBUG", fmt="json")
    [handler] = root.handlers
    buffer = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, logger in manager.loggerDict.items():
            if isinstance(logger, logging.Logger):
                logger.setLevel(saved_levels.get(name, logging.NOTSET))


@pytest.fixture
async def logged_bot(
    debug_logs: io.StringIO, database_url: str, tmp_path: Path
) -> AsyncIterator[SandboxBot]:
    """The sandbox started (and the app installed) while DEBUG logs are captured."""
    settings = sandbox_test_settings(database_url=database_url, data_dir=tmp_path / "data")
    async with running_sandbox_bot(settings) as bot:
        yield bot


class _Urls:
    """Every URL a client session requested or was redirected to."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_start.append(self._start)
        self.trace.on_request_redirect.append(self._redirect)

    async def _start(self, _s: object, _c: object, params: aiohttp.TraceRequestStartParams) -> None:
        self.seen.append(str(params.url))

    async def _redirect(
        self, _s: object, _c: object, params: aiohttp.TraceRequestRedirectParams
    ) -> None:
        self.seen.append(params.response.headers.get("Location", ""))

    def query_values(self) -> dict[str, str]:
        return {
            f"{name} in {urlsplit(url).path}": value
            for url in self.seen
            for name, value in parse_qsl(urlsplit(url).query)
            if name in _CAPTURED
        }


async def _connect_google(bot: SandboxBot, browser: aiohttp.ClientSession) -> None:
    """``/meet connect``, then the consent in a browser that follows the redirects."""
    await bot.command("connect")
    [link] = _AUTH_URL.findall(html.unescape((await bot.ephemerals())[-1]))
    approved = link + "&approve=1&email=u0alice%40sandbox.meetbot.test"
    async with browser.get(approved) as response:
        assert response.status == 200, await response.text()
    assert "connected to Google" in (await bot.ephemerals())[-1]


async def _record_a_short_call(bot: SandboxBot, tmp: Path) -> list[str]:
    """``/meet new``, a two-person call, Record, End; the result message's links."""
    await bot.command("new standup")
    [card] = await bot.cards()
    [space] = (await bot.api("GET", "meet/spaces"))["spaces"]
    people = [
        {"name": name, "audio": str(write_tone(tmp / f"{name}.wav", freq=f, seconds=1.5))}
        for name, f in (("Ann", 440.0), ("Ben", 660.0))
    ]
    await bot.api(
        "POST", "meet/conferences", {"space": space["meetingCode"], "participants": people}
    )
    await bot.click(card["ts"], "meet_record")

    async def spoken() -> bool:
        sessions = (await bot.api("GET", "meet/media"))["sessions"]
        counts = sessions[-1]["frames_by_participant"] if sessions else {}
        return len(counts) == 2 and all(n >= 10 for n in counts.values())  # skips under load

    await eventually(spoken, within=40, what="both to speak")
    await bot.api("POST", "meet/conferences/end", {"space": space["meetingCode"]})

    async def results() -> list[dict[str, Any]]:
        thread = [m for m in await bot.messages() if m.get("thread_ts") == card["ts"]]
        return [m for m in thread if "Recording ready" in m["text"]]

    [message] = await eventually(results, within=40, what="the recording's results")
    return sorted(set(_URL.findall(json.dumps(message))))


def _link_signatures(links: list[str]) -> dict[str, str]:
    """The MAC part of every signed download or page token in ``links``."""
    found: dict[str, str] = {}
    for link in links:
        parts = urlsplit(link)
        tokens = [parts.path.rsplit("/", 1)[-1]] if "/files/" in parts.path else []
        tokens += [value for name, value in parse_qsl(parts.query) if name == "key"]
        for token in tokens:
            found[f"signature of {parts.path}"] = token.rsplit(".", 1)[-1]
    return found


async def _issued_secrets(
    bot: SandboxBot, urls: _Urls, links: list[str], *, database_url: str
) -> dict[str, str]:
    slack, google = bot.sandbox.slack, bot.sandbox.google
    storage = bot.server.app[SETTINGS].storage
    assert storage.token_key is not None
    found = {
        "Slack signing secret": slack.app.signing_secret,
        "Slack client secret": slack.app.client_secret,
        "Google client secret": SANDBOX_CLIENT_SECRET,
        "token key": storage.token_key.get_secret_value(),
        **{f"Slack token {t[:5]}…{t[-6:]}": t for t in slack.tokens},
        **{f"Google access token …{t[-6:]}": t for t in google.access_tokens},
        **{f"Google refresh token …{t[-6:]}": t for t in google.refresh_tokens},
        **urls.query_values(),
        **_link_signatures(links),
    }
    states = await _column(database_url, "SELECT state FROM connect_states")
    found.update({f"Google connect state {state[:6]}…": state for state in states})
    return found


def _private_on_disk(tmp_path: Path) -> dict[str, str]:
    """What of the data dir, the key file and a SQLite database is not owner-only."""
    expected = {tmp_path / "data": 0o700, tmp_path / "data" / "sandbox-token.key": 0o600}
    expected.update(dict.fromkeys(tmp_path.glob("meetbot.db*"), 0o600))
    modes = {path: stat.S_IMODE(path.stat().st_mode) for path in expected}
    return {str(path): oct(modes[path]) for path, mode in expected.items() if modes[path] != mode}


def _tokens_on_disk(tmp_path: Path, secrets: dict[str, str]) -> list[str]:
    """Which Slack or Google tokens appear in a SQLite file (or its WAL) as they are."""
    tokens = {
        k: v
        for k, v in secrets.items()
        if k.startswith(("Slack token", "Google access", "Google refresh"))
    }
    files = {path: path.read_bytes() for path in tmp_path.glob("meetbot.db*")}
    return [
        f"{k} in {p.name}"
        for p, data in files.items()
        for k, v in tokens.items()
        if v.encode() in data
    ]


async def _column(database_url: str, query: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return [row[0] for row in (await connection.execute(text(query))).all()]
    finally:
        await engine.dispose()


async def test_a_debug_session_logs_no_secret(
    logged_bot: SandboxBot, debug_logs: io.StringIO, database_url: str, tmp_path: Path
) -> None:
    bot, urls = logged_bot, _Urls()
    async with aiohttp.ClientSession(trace_configs=[urls.trace]) as browser:
        await install_app(bot_base_url=bot.url, session=browser)  # a second install: re-auth
        await _connect_google(bot, browser)
    links = await _record_a_short_call(bot, tmp_path)
    await bot.settle()

    secrets = await _issued_secrets(bot, urls, links, database_url=database_url)
    lines = debug_logs.getvalue().splitlines()
    assert len(lines) > 200, "the DEBUG logs were not captured"
    assert sum(k.startswith("Slack token xoxb") for k in secrets) == 2, secrets  # 2 installs
    assert sum(k.startswith(("code in", "state in")) for k in secrets) >= 4, secrets
    assert any(k.startswith("signature of /files/") for k in secrets), secrets
    assert sum(k.startswith("Google access") for k in secrets) == 1, secrets  # one consent
    stored = await _column(database_url, "SELECT bot_token FROM slack_bots")
    assert len(stored) == 2  # both installs, encrypted at rest
    assert all(is_ciphertext(token) for token in stored)
    assert _tokens_on_disk(tmp_path, secrets) == []
    assert _private_on_disk(tmp_path) == {}
    leaks = sorted(
        {f"{name} in {line[:300]}" for line in lines for name, s in secrets.items() if s in line}
    )
    assert leaks == [], f"{len(leaks)} secret(s) in the logs:\n" + "\n".join(leaks[:40])
