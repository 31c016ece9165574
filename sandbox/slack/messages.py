"""Messages and files held by the Slack emulator, in Slack's Web API shapes."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


@dataclass(slots=True)
class StoredFile:
    """One file uploaded through the files upload v2 flow."""

    id: str
    name: str
    length: int
    user: str
    created: int
    title: str = ""
    data: bytes | None = None
    shares: list[tuple[str, str]] = field(default_factory=list)

    @property
    def mimetype(self) -> str:
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"

    def path(self) -> str:
        """Where the emulator serves the bytes, relative to its base URL."""
        return f"/sandbox/slack/files/{self.id}/{self.name}"

    def to_api(self, *, base_url: str) -> JsonDict:
        url = base_url + self.path()
        public: dict[str, list[JsonDict]] = {}
        for channel, ts in self.shares:
            public.setdefault(channel, []).append({"ts": ts, "reply_count": 0})
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": self.mimetype,
            "filetype": self.name.rsplit(".", 1)[-1] if "." in self.name else "binary",
            "user": self.user,
            "size": len(self.data) if self.data is not None else self.length,
            "url_private": url,
            "url_private_download": url,
            "permalink": url,
            "channels": sorted({channel for channel, _ in self.shares}),
            "shares": {"public": public} if public else {},
        }


@dataclass(slots=True)
class Message:
    """A channel message, thread reply or ephemeral message.

    ``ephemeral_to`` is the only user who sees an ephemeral message; ``by_bot`` marks what
    the app posted (``chat.*``, ``response_url`` or a slash-command ack).
    """

    channel: str
    ts: str
    user: str
    text: str
    blocks: list[JsonDict] = field(default_factory=list)
    thread_ts: str | None = None
    files: list[StoredFile] = field(default_factory=list)
    ephemeral_to: str | None = None
    by_bot: bool = False
    bot_id: str | None = None
    app_id: str | None = None
    team: str = ""
    updated: int = 0
    deleted: bool = False

    def to_api(self, *, base_url: str, reply_count: int = 0) -> JsonDict:
        """The message as ``chat.postMessage`` returns it and ``block_actions`` carries it."""
        body: JsonDict = {
            "type": "message",
            "user": self.user,
            "text": self.text,
            "ts": self.ts,
            "team": self.team,
        }
        if self.bot_id:
            body["bot_id"] = self.bot_id
            body["app_id"] = self.app_id
        if self.blocks:
            body["blocks"] = self.blocks
        if self.thread_ts:
            body["thread_ts"] = self.thread_ts
        if reply_count:
            body["reply_count"] = reply_count
        if self.files:
            body["files"] = [f.to_api(base_url=base_url) for f in self.files]
            body["upload"] = True
        if self.updated:
            body["edited"] = {"user": self.user, "ts": self.ts}
        return body

    def to_listing(self, *, base_url: str) -> JsonDict:
        """The message as the control API lists it."""
        return {
            "ts": self.ts,
            "thread_ts": self.thread_ts,
            "user": self.user,
            "text": self.text,
            "blocks": self.blocks,
            "files": [
                {
                    "id": f.id,
                    "name": f.name,
                    "title": f.title,
                    "mimetype": f.mimetype,
                    "url": base_url + f.path(),
                }
                for f in self.files
            ],
            "ephemeral_to": self.ephemeral_to,
            "by_bot": self.by_bot,
            "updated": self.updated,
        }
