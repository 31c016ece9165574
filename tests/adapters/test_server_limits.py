"""The server defends itself: slow and idle connections are closed, bodies and connections capped.

Raw loopback sockets play the slow clients (a trickled header line, an idle connection, a
trickled body); the bot runs in sandbox mode with short timeouts set through its settings.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TypeVar

import aiohttp
import pytest
from aiohttp import web

from bot.app.sandbox_mode import start_sandbox
from bot.app.server import RunningServer, bind, listen
from bot.app.server.connections import ACCEPT_ERROR, quiet_accept_errors
from bot.app.server.limits import ServerLimits
from bot.settings import HttpSettings
from tests.adapters.test_malformed_input import slack_signed
from tests.fixtures_bot import SandboxBot, eventually, sandbox_test_settings

T = TypeVar("T")
HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
IDLE_TIMEOUT = 1.0
SLOW = 300
COMMAND = (
    "team_id=T0SANDBOX&channel_id=C0GENERAL&user_id=U0ALICE&command=%2Fmeet&text=list"
    "&api_app_id=A0MEETBOT"
)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[SandboxBot]:
    settings = sandbox_test_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'meetbot.db'}", data_dir=tmp_path
    )
    http = HttpSettings(
        host="127.0.0.1",
        port=0,
        header_timeout=HEADER_TIMEOUT,
        body_timeout=BODY_TIMEOUT,
        idle_timeout=30,  # aiohttp's keep-alive timer would close them too: not this time
        event_body_bytes=4096,
    )
    server = await start_sandbox(settings.model_copy(update={"http": http}))
    try:
        async with aiohttp.ClientSession() as session:
            yield SandboxBot(server=server, http=session)
    finally:
        await server.close()


class SlowClients:
    """Raw non-blocking sockets, each remembering when it connected and when it was closed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.socks: list[socket.socket] = []
        self.opened: dict[socket.socket, float] = {}
        self.closed: dict[socket.socket, float] = {}
        self.pending: dict[socket.socket, bytes] = {}

    def connect(self, first_bytes: bytes = b"") -> socket.socket:
        sock = socket.socket()
        self.socks.append(sock)
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", self.port))  # completes once the server's loop accepts
        self.opened[sock] = time.monotonic()
        if first_bytes:
            self.pending[sock] = first_bytes
        return sock

    def poll(self, sock: socket.socket, *, trickle: bytes = b"") -> bytes:
        """Read what came, then (if it is still open) send the first bytes, once connected, or
        ``trickle``; notes the time the server closed ``sock``.

        Reading first matters: a byte sent after the server answered and closed would be
        answered with a reset, which discards the answer not yet read (a 408, say).
        """
        if sock in self.closed:
            return b""
        data = self._read(sock)
        if data is None:  # still open, nothing new
            self._send(sock, trickle)
            return b""
        if not data:
            self.closed[sock] = time.monotonic()
        return data

    def _read(self, sock: socket.socket) -> bytes | None:
        try:
            return sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:  # reset, or not connected yet
            return None if exc.errno == errno.ENOTCONN else b""

    def _send(self, sock: socket.socket, trickle: bytes) -> None:
        first = self.pending.get(sock)
        try:
            if first:
                sock.send(first)
                del self.pending[sock]
            elif trickle:
                sock.send(trickle)
        except OSError:  # not connected yet, or closed meanwhile: the next read tells
            return

    def poll_all(self, socks: list[socket.socket], *, trickle: bytes = b"") -> None:
        for sock in socks:
            self.poll(sock, trickle=trickle)

    def close_all(self) -> None:
        for sock in self.socks:
            sock.close()


@pytest.fixture
def clients() -> Iterator[list[SlowClients]]:
    made: list[SlowClients] = []
    try:
        yield made
    finally:
        for group in made:
            group.close_all()


async def _signed_command(bot: SandboxBot, secret: str) -> tuple[int, str, float]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    headers |= slack_signed(secret, COMMAND.encode())
    started = time.monotonic()
    async with bot.http.post(f"{bot.url}/slack/events", data=COMMAND, headers=headers) as r:
        return r.status, await r.text(), time.monotonic() - started


async def test_300_slow_connections_are_closed_and_a_signed_command_still_answered(
    bot: SandboxBot, clients: list[SlowClients], caplog: pytest.LogCaptureFixture
) -> None:
    secret = str((await bot.api("GET", "config"))["signing_secret"])
    guard = bot.server.guard
    # A first command opens what it keeps open (the test's client; in the sandbox also the
    # bot's own kept-alive connections to its stand-ins on this same port).
    assert (await _signed_command(bot, secret))[0] == 200
    before = guard.open_connections
    slow = SlowClients(bot.server.port)
    clients.append(slow)
    trickling = [slow.connect(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n") for _ in range(150)]
    idle = [slow.connect() for _ in range(SLOW - len(trickling))]

    async def all_open() -> bool:
        slow.poll_all(trickling)  # their first bytes, once connected
        return guard.open_connections >= SLOW and not slow.pending

    await eventually(all_open, what="300 connections")
    assert not slow.closed

    status, text, took = await _signed_command(bot, secret)
    assert status == 200
    assert "no meeting in this channel" in text
    assert took < 3.0  # Slack's acknowledgement window

    async def all_closed() -> bool:
        slow.poll_all(trickling, trickle=b"X")  # a header byte every poll: never a request
        slow.poll_all(idle)
        return len(slow.closed) == SLOW

    await eventually(all_closed, within=HEADER_TIMEOUT + 10, what="the slow connections closed")
    lived = [slow.closed[s] - slow.opened[s] for s in slow.socks]
    assert min(lived) >= HEADER_TIMEOUT * 0.9  # closed by the deadline, not before it
    # what remains open is what was open before (give or take a pooled connection of the
    # bot to its stand-ins): the 300 slow ones left the guard's count
    await eventually(lambda: _now(guard.open_connections <= before + 1), what="the guard's count")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_trickled_body_gets_408_and_is_closed(
    bot: SandboxBot, clients: list[SlowClients], caplog: pytest.LogCaptureFixture
) -> None:
    slow = SlowClients(bot.server.port)
    clients.append(slow)
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
        b"Content-Length: 200\r\n\r\n{"
    )
    sock = slow.connect(head)
    received: list[bytes] = []

    async def closed() -> bool:
        received.append(slow.poll(sock, trickle=b" "))
        return sock in slow.closed

    await eventually(closed, within=BODY_TIMEOUT + 10, what="the slow body's connection closed")
    assert slow.closed[sock] - slow.opened[sock] >= BODY_TIMEOUT * 0.9
    assert b"".join(received).startswith(b"HTTP/1.1 408 Request Timeout")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_event_bodies_over_the_cap_get_413(bot: SandboxBot) -> None:
    big = b"x" * 5000
    url = f"{bot.url}/slack/events"
    async with bot.http.post(url, data=big, headers=slack_signed("any", big)) as resp:
        assert resp.status == 413

    async def chunked() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield big[:1000]

    async with bot.http.post(url, data=chunked(), headers=slack_signed("any", big)) as resp:
        assert resp.status == 413
    async with bot.http.post(f"{bot.url}/chat/events", data=big) as resp:
        assert resp.status == 413


async def _now(value: T) -> T:
    return value


@pytest.fixture
async def capped() -> AsyncIterator[RunningServer]:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    limits = ServerLimits(max_connections=5, header_timeout=30, idle_timeout=IDLE_TIMEOUT)
    server = await listen(app, bind("127.0.0.1", 0), limits=limits)
    try:
        yield server
    finally:
        await server.close()


async def test_connections_over_the_cap_get_503(
    capped: RunningServer, clients: list[SlowClients]
) -> None:
    held = SlowClients(capped.port)
    clients.append(held)
    socks = [held.connect() for _ in range(5)]
    await eventually(lambda: _now(capped.guard.open_connections == 5), what="5 connections")
    extra = held.connect()
    answer = await eventually(lambda: _now(held.poll(extra)), what="the 503")
    assert answer.startswith(b"HTTP/1.1 503 Service Unavailable")
    await eventually(lambda: _now(not held.poll(extra) and extra in held.closed), what="EOF")
    for sock in socks:
        sock.close()
    await eventually(lambda: _now(capped.guard.open_connections == 0), what="the count")
    async with aiohttp.ClientSession() as http, http.get(capped.base_url) as resp:
        assert await resp.text() == "hello"


async def test_an_idle_keep_alive_connection_is_closed(
    capped: RunningServer, clients: list[SlowClients]
) -> None:
    idle = SlowClients(capped.port)
    clients.append(idle)
    sock = idle.connect(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    reply = await eventually(lambda: _now(idle.poll(sock)), what="the response")
    assert reply.startswith(b"HTTP/1.1 200")
    assert reply.endswith(b"hello")
    answered = time.monotonic()
    await eventually(
        lambda: _now(bool(idle.poll(sock)) or sock in idle.closed), within=IDLE_TIMEOUT + 10
    )
    assert sock in idle.closed
    assert idle.closed[sock] - answered >= IDLE_TIMEOUT * 0.8


async def test_accept_errors_are_logged_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.get_running_loop()
    others: list[str] = []
    loop.set_exception_handler(lambda _loop, context: others.append(context["message"]))
    undo = quiet_accept_errors(loop)
    error = OSError(24, "Too many open files")
    with caplog.at_level(logging.ERROR, logger="bot.app.server.connections"):
        for _ in range(10_000):
            loop.call_exception_handler({"message": ACCEPT_ERROR, "exception": error})
        loop.call_exception_handler({"message": "something else"})
    undo()
    loop.set_exception_handler(None)
    assert [r.getMessage() for r in caplog.records] == [
        f"{ACCEPT_ERROR}: [Errno 24] Too many open files (0 more held back)"
    ]
    assert others == ["something else"]
