"""Closing the server answers every connection it accepted, even one accepted at the last moment.

asyncio (3.11) accepts a connection in one loop step and builds its transport in the next; a
server closed in between drops the connection without closing its socket (a request never
answered, a socket leaked). The test lines that moment up: the connection is accepted right
after the test's step, and the close starts right before the transport would be built.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.app.server import RunningServer, bind, listen


@pytest.fixture
async def running() -> AsyncIterator[RunningServer]:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    server = await listen(app, bind("127.0.0.1", 0))
    try:
        yield server
    finally:
        await server.close()  # a second close does nothing


async def _closed_by_server(client: socket.socket, *, within: float) -> bool:
    """Whether the server closed its end (EOF or reset) before ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if client.recv(1) == b"":
                return True
        except BlockingIOError:
            await asyncio.sleep(0.01)
        except ConnectionResetError:
            return True
    return False


async def test_a_connection_accepted_as_the_server_closes_is_closed_too(
    running: RunningServer,
) -> None:
    with socket.socket() as client:
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", running.port))  # loopback: the handshake is done at once
        await asyncio.sleep(0)  # the listener is ready: the loop accepts after this step...
        await asyncio.sleep(0)  # ...and builds the transport after this one, unless closed
        # at once: an idle connection is not waited for (the shutdown timeout is 60 s)
        await asyncio.wait_for(running.close(), 10)
        closed = await _closed_by_server(client, within=5)
    gc.collect()  # a dropped server socket would warn here (warnings are errors)
    assert closed, "the server kept a connection it accepted open after closing"
