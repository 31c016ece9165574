"""Chat REST emulator under ``/sandbox/google/chat/v1/``: the calls a Chat app makes."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from sandbox.gchat.rules import (
    SCOPE_BOT,
    Json,
    chat_method,
    check_message_id,
    check_not_empty,
    check_query,
    mask_fields,
    parse_message,
    reply_option,
    settable,
)
from sandbox.gchat.state import APP_USER, ChatMessage, ChatSpace, ChatState, rfc3339
from sandbox.google.errors import ApiError, insufficient_scopes, unauthenticated
from sandbox.google.state import GoogleEmulatorState

CHAT_SERVICE = "chat.googleapis.com"

logger = logging.getLogger(__name__)

CHAT_PREFIX = "/sandbox/google/chat/"


@dataclass(slots=True)
class ChatCall:
    """One authenticated Chat REST request."""

    state: ChatState
    ids: dict[str, str]
    query: dict[str, str]
    body: Json

    def space(self) -> ChatSpace:
        """The path's space; 404 when unknown, 403 when the app is not a member."""
        space = self.state.spaces.get(f"spaces/{self.ids['spacesId']}")
        if space is None:
            raise ApiError(404)
        if not space.app_is_member:
            raise ApiError(403, "The caller does not have permission")
        return space

    def message_name(self) -> str:
        return f"{self.space().name}/messages/{self.ids['messagesId']}"

    def message(self) -> ChatMessage:
        message = self.state.message(self.message_name())
        if message is None:
            raise ApiError(404)
        return message


async def _create(call: ChatCall) -> Json:
    space = call.space()
    request_id = call.query.get("requestId")
    if request_id and (space.name, request_id) in call.state.request_ids:
        existing = call.state.message(call.state.request_ids[(space.name, request_id)])
        if existing is not None:
            return existing.to_json(call.state)
    message = parse_message(call.body)
    fields = settable(message)
    check_not_empty(fields)
    client_id = call.query.get("messageId")
    if client_id is not None:
        check_message_id(client_id)
        if call.state.message(f"{space.name}/messages/{client_id}") is not None:
            raise ApiError(
                409, "Message with this custom ID already exists.", code="ALREADY_EXISTS"
            )
    created = _store(call, space, message, fields, client_id=client_id)
    if request_id:
        call.state.request_ids[(space.name, request_id)] = created.name
    logger.debug("Chat emulator: the app created %s", created.name)
    return created.to_json(call.state)


def _store(
    call: ChatCall, space: ChatSpace, message: Json, fields: Json, *, client_id: str | None
) -> ChatMessage:
    """Threading per ``messageReplyOption`` (the thread is ignored when it is unspecified)."""
    option = reply_option(call.query.get("messageReplyOption"))
    wanted = message.get("thread", {})
    thread_name: str | None = wanted.get("name")
    thread_key: str | None = wanted.get("threadKey") or call.query.get("threadKey")
    if option == "MESSAGE_REPLY_OPTION_UNSPECIFIED":
        thread_name = thread_key = None
    if thread_name is not None and not (
        thread_name.startswith(f"{space.name}/threads/") and call.state.thread_exists(thread_name)
    ):
        thread_name = None
    known_key = thread_key is not None and (space.name, thread_key) in call.state.thread_keys
    if option == "REPLY_MESSAGE_OR_FAIL" and thread_name is None and not known_key:
        raise ApiError(404, "Thread not found.")
    viewer = message.get("privateMessageViewer", {}).get("name")
    return call.state.new_message(
        space=space,
        sender=APP_USER,
        body=fields,
        thread=thread_name,
        thread_key=thread_key,
        client_id=client_id,
        private_to=viewer,
    )


async def _update(call: ChatCall) -> Json:
    fields = mask_fields(call.query.get("updateMask", ""))
    message = parse_message(call.body)
    existing = call.state.message(call.message_name())
    if existing is None:
        client_id = call.ids["messagesId"]
        if call.query.get("allowMissing") != "true" or not client_id.startswith("client-"):
            raise ApiError(404)
        check_message_id(client_id)
        values = {key: message[key] for key in fields if key in message}
        check_not_empty(values)
        return _store(call, call.space(), message, values, client_id=client_id).to_json(call.state)
    if not existing.by_app:
        raise ApiError(403, "The caller does not have permission")
    call.state.update_message(existing, {key: message.get(key) for key in fields})
    logger.debug("Chat emulator: the app updated %s", existing.name)
    return existing.to_json(call.state)


async def _get(call: ChatCall) -> Json:
    return call.message().to_json(call.state)


async def _delete(call: ChatCall) -> Json:
    message = call.message()
    if not message.by_app:
        raise ApiError(403, "The caller does not have permission")
    call.state.messages.remove(message)
    return {}


async def _get_space(call: ChatCall) -> Json:
    return call.space().to_json()


async def _get_member(call: ChatCall) -> Json:
    """``spaces/S/members/{user id}`` (``alice`` or ``app``); app auth sees name and type."""
    space = call.space()
    member_id = call.ids["membersId"]
    user = APP_USER if member_id == "app" else f"users/{member_id}"
    if user not in space.members:
        raise ApiError(404)
    kind = "BOT" if user == APP_USER else "HUMAN"
    return {
        "name": f"{space.name}/members/{member_id}",
        "state": "JOINED",
        "role": "ROLE_MANAGER" if user in space.managers else "ROLE_MEMBER",
        "member": {"name": user, "type": kind},
        "createTime": rfc3339(call.state.clock()),
    }


ROUTES: dict[str, Callable[[ChatCall], Awaitable[Json]]] = {
    "spaces.messages.create": _create,
    "spaces.messages.patch": _update,
    "spaces.messages.update": _update,
    "spaces.messages.get": _get,
    "spaces.messages.delete": _delete,
    "spaces.members.get": _get_member,
    "spaces.get": _get_space,
}


def add_chat_api_routes(
    app: web.Application, state: ChatState, google: GoogleEmulatorState
) -> None:
    """Register the emulated methods at their discovery-doc paths under `CHAT_PREFIX`."""
    for method_id, handler in ROUTES.items():
        description = chat_method(method_id)
        path = CHAT_PREFIX + re.sub(r"\{(\w+)\}", r"{\1:[^/:]+}", description["flatPath"])
        endpoint = _endpoint(state, google, description, handler)
        app.router.add_route(description["httpMethod"], path, endpoint)


def _endpoint(
    state: ChatState,
    google: GoogleEmulatorState,
    description: Json,
    handler: Callable[[ChatCall], Awaitable[Json]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def endpoint(request: web.Request) -> web.Response:
        state.requests.append(f"{request.method} {request.path}")
        try:
            _authenticate(state, google, request)
            _inject_fault(state, request.path)
            query = dict(request.query)
            check_query(description, query)
            body: Json = {}
            if "request" in description and request.can_read_body:
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise ApiError(400, "Invalid JSON payload received.") from exc
            call = ChatCall(state, dict(request.match_info), query, body)
            return web.json_response(await handler(call))
        except ApiError as exc:
            logger.debug(
                "Chat emulator %s %s -> %d %s", request.method, request.path, exc.status, exc.code
            )
            return web.json_response(exc.body(), status=exc.status, headers=exc.headers)

    return endpoint


def _inject_fault(state: ChatState, path: str) -> None:
    fault = state.take_fault(path)
    if fault is not None and fault.status is not None:
        raise ApiError(fault.status, headers={"Retry-After": "1"})


def _authenticate(state: ChatState, google: GoogleEmulatorState, request: web.Request) -> None:
    """An access token from the token endpoint, or the app's self-signed JWT (scope claim)."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not token:
        raise unauthenticated(None, service=CHAT_SERVICE)
    grant, _ = google.authenticate(token)
    if grant is not None:
        scopes = set(grant.scopes)
    else:
        claims = state.keys.verify_service_account_jwt(token)
        if claims is None:
            raise unauthenticated("ACCESS_TOKEN_TYPE_UNSUPPORTED", service=CHAT_SERVICE)
        scopes = set(str(claims.get("scope", "")).split())
    if SCOPE_BOT not in scopes:
        raise insufficient_scopes(service=CHAT_SERVICE)
