"""In-memory Slack workspace: team, users, channels, the app, tokens, messages and files."""

from __future__ import annotations

import logging
import random
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.slack.messages import Message, StoredFile

logger = logging.getLogger(__name__)

TEAM_ID = "T0SANDBOX"
TEAM_DOMAIN = "sandbox"
TEAM_NAME = "Sandbox"
BOT_USER_ID = "U0MEETBOT"
BOT_ID = "B0MEETBOT"
APP_ID = "A0MEETBOT"
GENERAL = "C0GENERAL"
RANDOM = "C0RANDOM"
EMAIL_DOMAIN = "sandbox.meetbot.test"
ENTERPRISE_ID = "E0SANDBOX"
ENTERPRISE_NAME = "Sandbox Org"

JsonDict = dict[str, Any]


def sandbox_email(user_id: str) -> str:
    """The email address the sandbox gives a chat user (also used for Google sign-in)."""
    return f"{user_id.lower()}@{EMAIL_DOMAIN}"


@dataclass(slots=True)
class SlackUser:
    """A workspace member."""

    id: str
    name: str
    real_name: str
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    tz: str = "Europe/London"

    def to_api(self, *, with_email: bool) -> JsonDict:
        profile: JsonDict = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "team": TEAM_ID,
        }
        if with_email and not self.is_bot:
            profile["email"] = sandbox_email(self.id)
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "deleted": False,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_owner,
            "is_bot": self.is_bot,
            "is_app_user": False,
        }


@dataclass(slots=True)
class SlackChannel:
    """A public channel, or the DM between one user and the bot (``is_im``)."""

    id: str
    name: str
    members: set[str]
    created: int
    is_im: bool = False
    messages: list[Message] = field(default_factory=list)

    def to_api(self, *, viewer: str) -> JsonDict:
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_im,
            "is_im": self.is_im,
            "is_private": self.is_im,
            "is_general": self.id == GENERAL,
            "is_archived": False,
            "is_member": viewer in self.members,
            "created": self.created,
            "num_members": len(self.members),
        }


@dataclass(frozen=True, slots=True)
class SlackAppIdentity:
    """The installed app: OAuth client, signing secret, bot user."""

    app_id: str
    client_id: str
    client_secret: str
    signing_secret: str
    bot_user_id: str
    bot_id: str


@dataclass(slots=True)
class TokenGrant:
    """What a token issued by the emulator stands for."""

    token: str
    user_id: str
    scopes: tuple[str, ...]
    is_bot: bool = True
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class Enterprise:
    """The Enterprise Grid org the sandbox workspace belongs to; installs are org-wide."""

    id: str = ENTERPRISE_ID
    name: str = ENTERPRISE_NAME

    def to_api(self) -> JsonDict:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True, slots=True)
class OAuthCode:
    """A one-time code from the authorize page, redeemed by ``oauth.v2.access``."""

    client_id: str
    redirect_uri: str | None
    scopes: tuple[str, ...]
    user_scopes: tuple[str, ...]
    installer: str


def _seed_users() -> dict[str, SlackUser]:
    users = [
        SlackUser(id="U0ALICE", name="alice", real_name="Alice", is_admin=True, is_owner=True),
        SlackUser(id="U0BOB", name="bob", real_name="Bob"),
        SlackUser(id="U0CAROL", name="carol", real_name="Carol"),
        SlackUser(id=BOT_USER_ID, name="meetbot", real_name="meetbot", is_bot=True),
    ]
    return {u.id: u for u in users}


class SlackWorkspace:
    """The one team of the sandbox and everything in it.

    Carol is not in #random, and the bot is in #general only until invited, so
    ``user_not_in_channel`` and ``not_in_channel`` can happen as on Slack. With an
    ``enterprise`` the workspace is part of an Enterprise Grid org and the app is installed
    org-wide: installs, tokens and payloads say so as on Slack.
    """

    def __init__(
        self,
        *,
        rng: random.Random,
        clock: Callable[[], float] = time.time,
        enterprise: Enterprise | None = None,
    ) -> None:
        self.rng = rng
        self.clock = clock
        self.enterprise = enterprise
        # Slack retries a failed event at once, after 1 and after 5 minutes; compressed here
        self.event_retry_delays: tuple[float, ...] = (0.0, 0.5, 1.0)
        self.users = _seed_users()
        created = int(clock())
        humans = {"U0ALICE", "U0BOB", "U0CAROL"}
        self.channels: dict[str, SlackChannel] = {
            GENERAL: SlackChannel(GENERAL, "general", humans | {BOT_USER_ID}, created),
            RANDOM: SlackChannel(RANDOM, "random", {"U0ALICE", "U0BOB"}, created),
        }
        self.app = SlackAppIdentity(
            app_id=APP_ID,
            client_id=f"{rng.randint(10**11, 10**12 - 1)}.{rng.randint(10**11, 10**12 - 1)}",
            client_secret=self.random_token(32),
            signing_secret=self.random_token(32),
            bot_user_id=BOT_USER_ID,
            bot_id=BOT_ID,
        )
        self.tokens: dict[str, TokenGrant] = {}
        self.codes: dict[str, OAuthCode] = {}
        self.files: dict[str, StoredFile] = {}
        self.bot_log: list[tuple[str, str, str]] = []
        self._last_ts_us = 0
        self.app_token = self.issue_app_token()

    def random_token(self, length: int) -> str:
        alphabet = string.ascii_lowercase + string.digits
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def new_id(self, prefix: str) -> str:
        alphabet = string.ascii_uppercase + string.digits
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(10))

    def next_ts(self) -> str:
        """A Slack ``ts``: epoch seconds and six digits, strictly increasing."""
        now_us = int(self.clock() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 100)
        seconds, micros = divmod(self._last_ts_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    # users and channels

    def ensure_user(self, user_id: str) -> SlackUser:
        """The user, created (and added to #general) when the control API names a new one."""
        user = self.users.get(user_id)
        if user is None:
            name = user_id.removeprefix("U").lower() or user_id.lower()
            user = SlackUser(id=user_id, name=name, real_name=name.capitalize())
            self.users[user_id] = user
            self.channels[GENERAL].members.add(user_id)
            logger.info("sandbox slack: created user %s", user_id)
        return user

    def resolve_channel(self, channel_id: str) -> SlackChannel | None:
        """A channel by id; a user id opens (or finds) that user's DM with the bot."""
        if channel_id in self.channels:
            return self.channels[channel_id]
        if channel_id.startswith(("U", "W")) and channel_id in self.users:
            dm_id = "D" + channel_id[1:]
            if dm_id not in self.channels:
                members = {channel_id, BOT_USER_ID}
                self.channels[dm_id] = SlackChannel(
                    dm_id, channel_id, members, int(self.clock()), is_im=True
                )
            return self.channels[dm_id]
        return None

    # messages

    def add_message(self, message: Message) -> Message:
        channel = self.channels[message.channel]
        channel.messages.append(message)
        if message.by_bot:
            self.bot_log.append(("post", message.channel, message.ts))
        return message

    def find_message(self, channel_id: str, ts: str) -> Message | None:
        channel = self.resolve_channel(channel_id)
        if channel is None:
            return None
        for message in channel.messages:
            if message.ts == ts and not message.deleted:
                return message
        return None

    def reply_count(self, message: Message) -> int:
        channel = self.channels[message.channel]
        return sum(
            1
            for m in channel.messages
            if m.thread_ts == message.ts and m.ts != message.ts and not m.deleted
        )

    def bot_message(self, *, channel: str, text: str, blocks: list[JsonDict]) -> Message:
        """A new, not yet stored message from the app in ``channel``."""
        return Message(
            channel=channel,
            ts=self.next_ts(),
            user=BOT_USER_ID,
            text=text,
            blocks=blocks,
            by_bot=True,
            bot_id=BOT_ID,
            app_id=APP_ID,
            team=TEAM_ID,
        )

    # tokens

    def issue_bot_token(self, *, scopes: tuple[str, ...] | None = None) -> str:
        """A bot token for the app, as an install would grant (also handy in tests)."""
        token = f"xoxb-{TEAM_ID}-{self.random_token(24)}"
        granted = scopes if scopes is not None else ("commands", "chat:write", "files:write")
        self.tokens[token] = TokenGrant(token=token, user_id=BOT_USER_ID, scopes=granted)
        return token

    def issue_app_token(self) -> str:
        """An app-level token (``connections:write``) for Socket Mode."""
        token = f"xapp-1-{APP_ID}-{self.rng.randint(10**12, 10**13 - 1)}-{self.random_token(32)}"
        self.tokens[token] = TokenGrant(
            token=token, user_id="", scopes=("connections:write",), is_bot=False
        )
        return token

    def use_app_token(self, token: str) -> None:
        """Replaces the app-level token (a fixed one from the sandbox's configuration)."""
        grant = self.tokens.pop(self.app_token)
        grant.token = token
        self.tokens[token] = grant
        self.app_token = token

    def issue_user_token(self, *, user_id: str, scopes: tuple[str, ...]) -> str:
        token = f"xoxp-{TEAM_ID}-{self.random_token(24)}"
        self.tokens[token] = TokenGrant(token=token, user_id=user_id, scopes=scopes, is_bot=False)
        return token

    def issue_code(self, code: OAuthCode) -> str:
        value = f"{int(self.clock())}.{self.random_token(20)}"
        self.codes[value] = code
        return value
