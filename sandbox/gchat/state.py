"""In-memory Google Chat: users, spaces, members, messages and threads of the sandbox."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sandbox.gchat.keys import ChatKeys, default_keys
from sandbox.google.state import Fault

Json = dict[str, Any]
AudienceMode = Literal["project_number", "endpoint_url"]
EventFormat = Literal["classic", "addon"]

APP_USER = "users/meetbot"
APP_NAME = "meetbot"
GENERAL_SPACE = "spaces/AAAAsandbox"
PROJECT_NUMBER = "424242424242"
COMMAND_ID = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class ChatUser:
    """A Chat user; ``slack_id`` is the Slack sandbox user they mirror."""

    name: str
    display_name: str
    email: str
    slack_id: str
    is_admin: bool = False

    def to_json(self) -> Json:
        """The ``User`` of events (``name``, ``displayName``, ``email``, ``type``)."""
        return {
            "name": self.name,
            "displayName": self.display_name,
            "email": self.email,
            "type": "HUMAN",
            "domainId": "sandbox",
        }


@dataclass(slots=True)
class ChatSpace:
    """A named space or a 1:1 DM with the app; ``members`` are user names."""

    name: str
    display_name: str
    space_type: Literal["SPACE", "DIRECT_MESSAGE"]
    members: set[str]
    managers: set[str] = field(default_factory=set)

    @property
    def app_is_member(self) -> bool:
        return APP_USER in self.members

    def to_json(self) -> Json:
        space: Json = {
            "name": self.name,
            "type": "ROOM" if self.space_type == "SPACE" else "DM",
            "spaceType": self.space_type,
            "singleUserBotDm": self.space_type == "DIRECT_MESSAGE",
            "spaceThreadingState": "THREADED_MESSAGES"
            if self.space_type == "SPACE"
            else "UNTHREADED_MESSAGES",
        }
        if self.display_name:
            space["displayName"] = self.display_name
        return space


@dataclass(slots=True)
class ChatMessage:
    """One message; ``body`` holds the client-settable fields (``text``, ``cardsV2``...)."""

    name: str
    space: str
    sender: str
    thread: str
    create_time: datetime
    body: Json = field(default_factory=dict)
    thread_key: str | None = None
    thread_reply: bool = False
    client_id: str | None = None
    private_to: str | None = None
    last_update_time: datetime | None = None
    extra: Json = field(default_factory=dict)

    @property
    def by_app(self) -> bool:
        return self.sender == APP_USER

    def to_json(self, state: ChatState) -> Json:
        """The ``Message`` resource as the REST API returns it."""
        sender = state.users.get(self.sender)
        message: Json = {
            "name": self.name,
            "sender": {"name": APP_USER, "type": "BOT", "displayName": APP_NAME}
            if self.by_app or sender is None
            else sender.to_json(),
            "createTime": rfc3339(self.create_time),
            **self.body,
            **self.extra,
            "thread": {"name": self.thread}
            | ({"threadKey": self.thread_key} if self.thread_key else {}),
            "space": {"name": self.space},
            "threadReply": self.thread_reply,
        }
        if self.last_update_time is not None:
            message["lastUpdateTime"] = rfc3339(self.last_update_time)
        if self.client_id is not None:
            message["clientAssignedMessageId"] = self.client_id
        if self.private_to is not None:
            message["privateMessageViewer"] = {"name": self.private_to}
        return message


@dataclass(slots=True)
class ChatConfig:
    """How the emulator talks to the bot: audience mode and values, event format."""

    audience_mode: AudienceMode = "project_number"
    event_format: EventFormat = "classic"
    project_number: str = PROJECT_NUMBER
    endpoint_url: str | None = None
    command_id: int = COMMAND_ID


def _seed_users() -> dict[str, ChatUser]:
    people = [("alice", "Alice", "U0ALICE", True), ("bob", "Bob", "U0BOB", False)]
    people.append(("carol", "Carol", "U0CAROL", False))
    return {
        f"users/{n}": ChatUser(f"users/{n}", d, f"{n}@sandbox.example", slack, admin)
        for n, d, slack, admin in people
    }


@dataclass
class ChatState:
    """Everything the Chat emulator knows; one instance per sandbox.

    Attributes:
        keys: the signing keys (process-wide by default, see `default_keys`).
        config: audience mode and event format used towards the bot.
        users: sandbox users by name (``users/alice``...).
        spaces: spaces by name; ``spaces/AAAAsandbox`` is "general", ``spaces/DM<user>`` DMs.
        messages: every message in creation order.
        faults: pending fault injections for the REST routes (``inject_fault``).
        requests: ``"METHOD /path"`` of the REST requests received, oldest first.
    """

    keys: ChatKeys = field(default_factory=default_keys)
    config: ChatConfig = field(default_factory=ChatConfig)
    clock: Callable[[], datetime] = utcnow
    users: dict[str, ChatUser] = field(default_factory=_seed_users)
    spaces: dict[str, ChatSpace] = field(default_factory=dict)
    messages: list[ChatMessage] = field(default_factory=list)
    thread_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    request_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        humans = set(self.users)
        admins = {u.name for u in self.users.values() if u.is_admin}
        general = ChatSpace(GENERAL_SPACE, "general", "SPACE", humans | {APP_USER}, admins)
        self.spaces.setdefault(general.name, general)
        for user in self.users.values():
            dm = f"spaces/DM{user.name.removeprefix('users/')}"
            self.spaces.setdefault(dm, ChatSpace(dm, "", "DIRECT_MESSAGE", {user.name, APP_USER}))

    def user(self, ref: str) -> ChatUser | None:
        """By ``users/alice``, ``alice``, email or mirrored Slack id (``U0ALICE``)."""
        for user in self.users.values():
            if ref in (user.name, user.name.removeprefix("users/"), user.email, user.slack_id):
                return user
        return None

    def space(self, ref: str) -> ChatSpace | None:
        """By ``spaces/X``, ``X`` or display name (``general``)."""
        for space in self.spaces.values():
            if ref in (space.name, space.name.removeprefix("spaces/"), space.display_name):
                return space
        return None

    def dm_space(self, user: ChatUser) -> ChatSpace:
        return self.spaces[f"spaces/DM{user.name.removeprefix('users/')}"]

    def message(self, name: str) -> ChatMessage | None:
        """By resource name, or ``spaces/S/messages/client-...`` (its client-assigned id)."""
        for message in self.messages:
            if name == message.name or (
                message.client_id and name == f"{message.space}/messages/{message.client_id}"
            ):
                return message
        return None

    def thread_exists(self, thread: str) -> bool:
        return any(m.thread == thread for m in self.messages)

    def new_message(
        self,
        *,
        space: ChatSpace,
        sender: str,
        body: Json,
        thread: str | None = None,
        thread_key: str | None = None,
        client_id: str | None = None,
        private_to: str | None = None,
    ) -> ChatMessage:
        """Store a message; a new thread unless ``thread`` (a name) or a known key is given."""
        message_id = _random_id()
        if thread is None and thread_key is not None:
            thread = self.thread_keys.get((space.name, thread_key))
        reply = thread is not None and self.thread_exists(thread)
        if thread is None:
            thread = f"{space.name}/threads/{_random_id()}"
        if thread_key is not None:
            self.thread_keys.setdefault((space.name, thread_key), thread)
        message = ChatMessage(
            name=f"{space.name}/messages/{message_id}",
            space=space.name,
            sender=sender,
            thread=thread,
            create_time=self.clock(),
            body=body,
            thread_key=thread_key,
            thread_reply=reply,
            client_id=client_id,
            private_to=private_to,
        )
        self.messages.append(message)
        return message

    def update_message(self, message: ChatMessage, fields: Json) -> None:
        """Replace the given top-level fields (already filtered by an update mask)."""
        for key, value in fields.items():
            if value is None:
                message.body.pop(key, None)
            else:
                message.body[key] = value
        message.last_update_time = self.clock()

    def inject_fault(self, *, path_regex: str, status: int, count: int) -> None:
        """Fail the next ``count`` Chat REST requests whose path matches (``re.search``)."""
        self.faults.append(Fault(re.compile(path_regex), status, count, retry_after=1))

    def take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.remaining > 0 and fault.pattern.search(path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault
        return None


def _random_id() -> str:
    return secrets.token_urlsafe(8).replace("-", "x").replace("_", "y")
