"""Structured logging: JSON or text lines, meeting context, libraries quieted, secrets masked."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType

CONTEXT_FIELDS = ("meeting_id", "space", "conference_record", "recording_id", "platform", "user")
_context: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "meetbot_log", default=MappingProxyType({})
)


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Add fields (``meeting_id=...``, ``user=...``) to every log record inside the block."""
    merged = {**_context.get(), **{k: str(v) for k, v in fields.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Copies the current context onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            setattr(record, key, value)
        return True


# Libraries that log request bodies, SQL parameters or headers (tokens, OAuth codes and
# states among them) below WARNING. Bolt copies the root level onto its own loggers, so the
# handler drops their records too, not only the logger levels.
QUIET_LOGGERS = (
    "aiohttp.access",
    "aiohttp.client",
    "aiosqlite",  # every statement with its parameters, at DEBUG
    "alembic.runtime.plugins",
    "asyncpg",
    "faster_whisper",  # "Processing audio with duration ..." on every utterance
    "google.auth",
    "google_auth_httplib2",
    "googleapiclient.discovery_cache",
    "hpack",  # decoded HTTP/2 headers, Authorization included
    "oauthlib",
    "requests_oauthlib",
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "urllib3",
)

_MASK = "[redacted]"
_SECRET_KEYS = (
    "access_token|refresh_token|id_token|bot_token|user_token|bot_refresh_token|"
    "user_refresh_token|token|client_secret|signing_secret|secret|password|assertion|"
    "client_assertion|token_key|link_key|x-slack-signature"
)
# between a name and its value: quotes (JSON-escaped too), ":" or "=", a list's "["
_ASSIGN = r"""[\\"']*\s*[:=]\s*[\[\s\\"']*"""
_VALUE = r"""[^\s\\"'&,;}\[\]]"""
_SECRET_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Slack bot, user, app, refresh and rotated tokens: xoxb-, xoxp-, xapp-, xoxe-, xoxe.xoxb-
    (re.compile(r"\b(?:xox[a-z]|xapp)[.-][\w.-]+"), _MASK),
    # Google access tokens, refresh tokens and authorization codes
    (re.compile(r"\bya29\.[\w.-]+"), _MASK),
    (re.compile(r"(?<![\w/])1//[\w.-]+"), _MASK),
    (re.compile(r"(?<![\w/])4/0[\w.-]{10,}"), _MASK),
    # Authorization: Bearer ... / Basic ...
    (re.compile(r"(?i)\b(bearer|basic)\s+[\w.~+/=-]{16,}"), r"\1 " + _MASK),
    # key=value, key: value, 'key': 'value', "key": ["value"] for names that are secrets
    (re.compile(rf"(?i)(\b(?:{_SECRET_KEYS}){_ASSIGN})(?!redacted\]){_VALUE}+"), r"\1" + _MASK),
    # OAuth codes and states, signed-link keys: any value in a URL's query, else long values
    (re.compile(r"([?&](?:code|state|key|sig)=)(?!\[redacted\])[^\s&#\"'\\]+"), r"\1" + _MASK),
    # elsewhere (key: value, a dict) only long values: a meeting's state is short
    (
        re.compile(rf"(?i)(\b(?:code|state|key|sig){_ASSIGN})(?!redacted\]){_VALUE}{{20,}}"),
        r"\1" + _MASK,
    ),
    # signed download links
    (re.compile(r"(/files/)[\w-]+\.[\w-]+"), r"\1" + _MASK),
    # ICE passwords in SDP (aiortc logs whole descriptions at DEBUG)
    (re.compile(r"(a=ice-pwd:)[^\s\\\"']+"), r"\1" + _MASK),
    # Fernet keys (urlsafe base64 of 32 bytes)
    (re.compile(r"(?<![\w-])[A-Za-z0-9_-]{43}=(?![\w=-])"), _MASK),
)


def redact(text: str) -> str:
    """``text`` with every known secret shape masked (tokens, codes, states, keys)."""
    for pattern, replacement in _SECRET_SHAPES:
        text = pattern.sub(replacement, text)
    return text


class QuietFilter(logging.Filter):
    """Drops records below WARNING from `QUIET_LOGGERS`, whatever level their logger has."""

    def __init__(self, names: tuple[str, ...] = QUIET_LOGGERS) -> None:
        super().__init__()
        self._prefixes = tuple(names) + tuple(f"{name}." for name in names)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        name = record.name
        return not (name in self._prefixes or name.startswith(self._prefixes))


class RedactingFormatter(logging.Formatter):
    """The text format, with secrets masked in the message and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context, exception; secrets
    masked."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(self._json(record))

    def _json(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in CONTEXT_FIELDS:
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure(*, level: str, fmt: str) -> None:
    """Install the handler on the root logger; called once, by the entrypoint.

    Whatever ``level``, the libraries in `QUIET_LOGGERS` log warnings and errors only, and
    every line goes through `redact`.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(QuietFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
