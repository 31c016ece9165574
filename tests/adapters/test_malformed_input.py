"""Property: validly signed but malformed Slack and Chat bodies get a 4xx and run nothing.

Hypothesis builds bodies from what Slack and Chat really send, each broken in one way (a
required field missing or of the wrong type, the wrong top-level type, bad UTF-8, absurd
nesting), signs them, and posts them to the running bot over loopback. The examples run in a
worker thread with a blocking client, so the bot keeps serving on the test's loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app.sandbox_mode import start_sandbox
from tests.adapters.test_gchat_routes import chat_token
from tests.adapters.test_gchat_routes import event as chat_event
from tests.fixtures_bot import SandboxBot, sandbox_test_settings
from tests.fixtures_gchat import ChatDriver

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
EXAMPLES = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
COMMAND = {"team_id": "T0SANDBOX", "user_id": "U0ALICE", "channel_id": "C0GENERAL"}
COMMAND |= {"command": "/meet", "text": "list"}
CLICK: dict[str, Any] = {
    "type": "block_actions",
    "user": {"id": "U0ALICE", "team_id": "T0SANDBOX"},
    "team": {"id": "T0SANDBOX"},
    "channel": {"id": "C0GENERAL"},
    "container": {"type": "message", "channel_id": "C0GENERAL"},
    "actions": [{"action_id": "meet_status", "value": "1"}],
}
MENTION: dict[str, Any] = {
    "type": "event_callback",
    "team_id": "T0SANDBOX",
    "event_id": "Ev0PROP",
    "event": {"type": "app_mention", "user": "U0ALICE", "channel": "C0GENERAL", "text": "help"},
    "authorizations": [{"team_id": "T0SANDBOX", "user_id": "U0MEETBOT", "is_bot": True}],
}
KNOWN_TYPES = {"block_actions", "url_verification", "event_callback", "app_rate_limited"}

junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3)
    ),
    max_leaves=6,
)
not_str = junk.filter(lambda v: not isinstance(v, str))
not_obj = junk.filter(lambda v: not isinstance(v, dict))
some_not_obj = not_obj.filter(lambda v: v is not None)
extra_key = st.from_regex(r"\A[a-z]{1,10}\Z").filter(lambda k: k not in {"payload", "ssl_check"})


def _put(base: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {**base, key: value}


def _drop(base: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k not in keys}


@st.composite
def bad_commands(draw: st.DrawFn) -> tuple[bytes, str]:
    required = ["team_id", "user_id", "channel_id", "command"]
    broken = draw(st.lists(st.sampled_from(required), min_size=1, unique=True))
    fields = {k: v for k, v in COMMAND.items() if k not in broken}
    fields |= draw(st.fixed_dictionaries({}, optional=dict.fromkeys(broken, st.just(""))))
    extra = draw(st.dictionaries(extra_key.filter(lambda k: k not in COMMAND), st.text()))
    return urlencode({**fields, **extra}).encode(), FORM


def _click_mutations() -> st.SearchStrategy[Any]:
    action = CLICK["actions"][0]
    return st.one_of(
        st.builds(_put, st.just(CLICK), st.just("actions"), st.just([]) | some_not_obj),
        st.lists(not_obj, min_size=1, max_size=3).map(lambda a: _put(CLICK, "actions", a)),
        not_str.map(lambda v: _put(CLICK, "actions", [_put(action, "action_id", v)])),
        st.just(_put(CLICK, "actions", [_drop(action, "action_id")])),
        not_str.filter(lambda v: v is not None).map(
            lambda v: _put(CLICK, "actions", [_put(action, "value", v)])
        ),
        not_obj.map(lambda v: _put(CLICK, "user", v)),
        st.just(_put(CLICK, "user", {"team_id": "T0SANDBOX"})),
        st.just(_put(_drop(CLICK, "team"), "user", {"id": "U0ALICE"})),
        st.just(_drop(CLICK, "channel", "container")),
        st.text().filter(lambda t: t not in KNOWN_TYPES).map(lambda t: _put(CLICK, "type", t)),
        not_str.map(lambda v: _put(CLICK, "type", v)),
        some_not_obj,
    )


def _event_mutations() -> st.SearchStrategy[Any]:
    inner = MENTION["event"]
    return st.one_of(
        some_not_obj.map(lambda v: _put(MENTION, "event", v)),
        st.just(_put(MENTION, "event", _drop(inner, "type"))),
        st.sampled_from(["user", "channel"]).map(lambda k: _put(MENTION, "event", _drop(inner, k))),
        st.builds(
            lambda k, v: _put(MENTION, "event", _put(inner, k, v)),
            st.sampled_from(["user", "channel", "type"]),
            not_str,
        ),
        some_not_obj.filter(lambda v: not isinstance(v, list)).map(
            lambda v: _put(MENTION, "authorizations", v)
        ),
        st.lists(not_obj, min_size=1, max_size=3).map(lambda v: _put(MENTION, "authorizations", v)),
        not_str.map(lambda v: _put(MENTION, "team_id", v)),
        st.text().filter(lambda t: t not in KNOWN_TYPES).map(lambda t: _put(MENTION, "type", t)),
        st.just({"type": "url_verification"}),
        some_not_obj,
    )


def _bad_utf8() -> st.SearchStrategy[bytes]:
    def invalid(data: bytes) -> bool:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False

    return st.binary(min_size=1, max_size=64).filter(invalid)


def _deep(*, prefix: bytes = b"", suffix: bytes = b"") -> st.SearchStrategy[bytes]:
    return st.integers(65, 60_000).map(lambda n: prefix + b"[" * n + b"]" * n + suffix)


def slack_bodies() -> st.SearchStrategy[tuple[bytes, str]]:
    return st.one_of(
        bad_commands(),
        _click_mutations().map(lambda p: (urlencode({"payload": json.dumps(p)}).encode(), FORM)),
        _event_mutations().map(lambda e: (json.dumps(e).encode(), JSON)),
        st.tuples(_bad_utf8(), st.sampled_from([FORM, JSON])),
        st.tuples(_deep(), st.just(JSON)),
        st.tuples(_deep(prefix=b"payload=").map(lambda b: b.replace(b"[", b"%5B")), st.just(FORM)),
    )


def chat_bodies() -> st.SearchStrategy[bytes]:
    base = chat_event("list")
    message = base["message"]
    return st.one_of(
        some_not_obj.map(lambda v: json.dumps(v).encode()),
        st.sampled_from(["user", "space"]).map(lambda k: json.dumps(_drop(base, k)).encode()),
        st.builds(
            lambda k, v: json.dumps(_put(base, k, v)).encode(),
            st.sampled_from(["user", "space", "message"]),
            some_not_obj,
        ),
        st.text()
        .filter(lambda t: not t.startswith("users/"))
        .map(lambda n: json.dumps(_put(base, "user", {"name": n})).encode()),
        not_str.map(lambda v: json.dumps(_put(base, "type", v)).encode()),
        junk.filter(_not_an_int).map(
            lambda v: json.dumps(
                _put(base, "message", _put(message, "slashCommand", {"commandId": v}))
            ).encode()
        ),
        _bad_utf8(),
        _deep(prefix=b'{"type": "MESSAGE", "x": ', suffix=b"}"),
        _addon_mutations().map(lambda e: json.dumps(e).encode()),
    )


def _addon_mutations() -> st.SearchStrategy[Any]:
    """The add-on format: the same event under ``chat.messagePayload``."""
    base = chat_event("list")
    payload = {"message": base["message"], "space": base["space"]}
    chat = {"user": base["user"], "messagePayload": payload}
    event = {"chat": chat, "commonEventObject": {"hostApp": "CHAT"}}
    return st.one_of(
        some_not_obj.map(lambda v: _put(event, "chat", v)),
        st.just(_put(event, "chat", _drop(chat, "user"))),
        some_not_obj.map(lambda v: _put(event, "chat", _put(chat, "user", v))),
        some_not_obj.map(lambda v: _put(event, "chat", _put(chat, "messagePayload", v))),
        st.builds(
            lambda k, v: _put(event, "chat", _put(chat, "messagePayload", _put(payload, k, v))),
            st.sampled_from(["message", "space"]),
            some_not_obj,
        ),
        st.just(_put(event, "chat", _put(chat, "messagePayload", _drop(payload, "space")))),
    )


def _not_an_int(value: object) -> bool:
    if value is None:
        return False  # no command id: a mention, which is valid
    try:
        int(str(value))
    except ValueError:
        return True
    return False


def _post(url: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """One blocking POST on a connection of its own, closed after."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def slack_signed(secret: str, body: bytes) -> dict[str, str]:
    """Slack's v0 headers over the raw bytes (any bytes, not only UTF-8 text)."""
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest.hexdigest()}


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[SandboxBot]:
    """The sandbox on SQLite: these requests must not reach the database at all."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'meetbot.db'}"
    server = await start_sandbox(sandbox_test_settings(database_url=url, data_dir=tmp_path))
    try:
        async with aiohttp.ClientSession() as http:
            yield SandboxBot(server=server, http=http)
    finally:
        await server.close()


async def _run_in_thread(prop: Callable[[], None]) -> None:
    await asyncio.to_thread(prop)


async def test_signed_malformed_slack_bodies_get_4xx_and_run_nothing(
    bot: SandboxBot, caplog: pytest.LogCaptureFixture
) -> None:
    secret = str((await bot.api("GET", "config"))["signing_secret"])
    before = await bot.messages()
    seen: list[int] = []

    @EXAMPLES
    @given(slack_bodies())
    def prop(case: tuple[bytes, str]) -> None:
        body, ctype = case
        headers = {"Content-Type": ctype, **slack_signed(secret, body)}
        status, answer = _post(bot.url, "/slack/events", body, headers)
        assert 400 <= status < 500, (status, answer, body[:300])
        seen.append(status)

    with caplog.at_level(logging.WARNING):
        await _run_in_thread(prop)
    assert set(seen) == {400}
    await bot.settle()
    assert bot.runtime.supervisor.pending == 0
    assert await bot.messages() == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # the same channel still works: the bodies were only broken copies of these
    body = urlencode(COMMAND).encode()
    headers = {"Content-Type": FORM, **slack_signed(secret, body)}
    status, answer = await asyncio.to_thread(_post, bot.url, "/slack/events", body, headers)
    assert status == 200
    assert "no meeting in this channel" in answer.decode()


async def test_signed_malformed_chat_events_get_400_and_run_nothing(
    bot: SandboxBot, caplog: pytest.LogCaptureFixture
) -> None:
    chat = ChatDriver(bot=bot)
    token = chat_token(chat)
    before = await chat.messages()
    headers = {"Content-Type": JSON, "Authorization": f"Bearer {token}"}

    @EXAMPLES
    @given(chat_bodies())
    def prop(body: bytes) -> None:
        status, answer = _post(bot.url, "/chat/events", body, headers)
        assert (status, json.loads(answer)) == (400, {"error": "malformed event"}), body[:300]

    with caplog.at_level(logging.WARNING):
        await _run_in_thread(prop)
    await bot.settle()
    assert bot.runtime.supervisor.pending == 0
    assert await chat.messages() == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    body = json.dumps(chat_event("help")).encode()
    status, _ = await asyncio.to_thread(_post, bot.url, "/chat/events", body, headers)
    assert status == 200
