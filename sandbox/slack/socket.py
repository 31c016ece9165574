"""Socket Mode: ``apps.connections.open``, the websocket, envelopes out and acks back."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.slack.calls import ApiCall, JsonDict, SlackApiError
from sandbox.slack.state import SlackWorkspace

logger = logging.getLogger(__name__)

SOCKET_PATH = "/sandbox/slack/socket"
ACK_TIMEOUT = 3.0
MAX_CONNECTIONS = 10


class SocketModeHub:
    """The app's Socket Mode connections; deliveries go to the newest open one."""

    def __init__(self, *, workspace: SlackWorkspace, ack_timeout: float = ACK_TIMEOUT) -> None:
        self._ws = workspace
        self.ack_timeout = ack_timeout
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[JsonDict]] = {}

    @property
    def connected(self) -> bool:
        return any(not socket.closed for socket in self._sockets)

    def register(self, app: web.Application) -> None:
        app.router.add_get(SOCKET_PATH, self.websocket)
        app.on_shutdown.append(self._close_all)

    def open_connection(self, workspace: SlackWorkspace, call: ApiCall) -> JsonDict:
        """``apps.connections.open``: only an app-level token (``xapp-``) may call it."""
        if not call.bot().token.startswith("xapp-"):
            raise SlackApiError("not_allowed_token_type")
        if len(self._sockets) >= MAX_CONNECTIONS:
            raise SlackApiError("too_many_websockets")
        ticket = workspace.random_token(32)
        self._tickets.add(ticket)
        base = call.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        return {"ok": True, "url": f"{base}{SOCKET_PATH}?ticket={ticket}"}

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            raise web.HTTPUnauthorized(text="invalid_ticket")
        self._tickets.discard(ticket)
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        logger.info("sandbox slack: Socket Mode connection opened")
        try:
            await socket.send_json(self._hello())
            async for frame in socket:
                if frame.type == WSMsgType.TEXT:
                    self._ack(frame.data)
        finally:
            self._sockets.remove(socket)
            logger.info("sandbox slack: Socket Mode connection closed")
        return socket

    def _hello(self) -> JsonDict:
        return {
            "type": "hello",
            "num_connections": len(self._sockets),
            "debug_info": {"host": "sandbox", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self._ws.app.app_id},
        }

    def _ack(self, data: str) -> None:
        try:
            message: Any = json.loads(data)
        except ValueError:
            logger.warning("sandbox slack: non-JSON frame on the Socket Mode connection")
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        future = self._acks.pop(str(envelope_id), None)
        if future is not None and not future.done():
            future.set_result(message)

    async def deliver(
        self, *, kind: str, payload: JsonDict, retry: tuple[int, str] = (0, "")
    ) -> tuple[int, Any, float]:
        """Sends one envelope; ``(200, ack payload, ms)``, or 504 when no ack came in time."""
        socket = next(s for s in reversed(self._sockets) if not s.closed)
        envelope_id = str(uuid.uuid4())
        future: asyncio.Future[JsonDict] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry[0],
            "retry_reason": retry[1],
        }
        started = time.perf_counter()
        await socket.send_json(envelope)
        try:
            ack = await asyncio.wait_for(future, self.ack_timeout)
        except TimeoutError:
            self._acks.pop(envelope_id, None)
            return 504, {"error": "operation_timeout"}, self._elapsed(started)
        return 200, ack.get("payload", ""), self._elapsed(started)

    @staticmethod
    def _elapsed(started: float) -> float:
        return round((time.perf_counter() - started) * 1000, 3)

    async def _close_all(self, app: web.Application) -> None:
        for socket in list(self._sockets):
            await socket.close(code=1001, message=b"server shutdown")
