"""Log redaction and the quieting of libraries that log parameters."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot import logs
from storage.crypto import generate_key

SECRETS = [
    ("Slack bot token", "sent with xoxb-T0SANDBOX-abcdefghijklmnopqrstuvwx", "xoxb-"),
    ("Slack user token", "user xoxp-1234-5678-abcdef", "xoxp-"),
    ("Slack app token", "socket xapp-1-A0123-4567-abcdef0123", "xapp-"),
    ("Slack refresh token", "refresh xoxe-1-My0xLTExMTEtMjIy", "xoxe-"),
    ("Slack rotated token", "rotated xoxe.xoxb-1-MS0yLTEy", "xoxe."),
    ("Google access token", "bearer ya29.a0AfB_byC-abc.def", "ya29."),
    ("Google refresh token", "refresh 1//0gabcdefGHIJ-klm", "1//0g"),
    ("Google code", "redeeming 4/0AX4XfWhabcdefghijklmnop", "4/0AX4"),
    ("Authorization header", "{'Authorization': 'Basic dXNlcjpwYXNzd29yZA=='}", "dXNlcj"),
    ("client secret in a dict", "{'client_id': '1.2', 'client_secret': 's3cr3t'}", "s3cr3t"),
    ("signing secret", "signing_secret=abc123def", "abc123def"),
    (
        "OAuth state in a URL",
        "GET /cb?code=1796688491.s1ipgv4mdj&state=f2a16a08-21c8-456f",
        "f2a16",
    ),
    ("OAuth code in a URL", "GET /cb?code=1796688491.s1ipgv4mdjad&state=x", "s1ipgv4"),
    ("state in a dict", "{'id': 1, 'state': 'f2a16a08-21c8-456f-b10e-113fc0c5e570'}", "b10e"),
    ("code in a list", "{'code': ['1796688491.s1ipgv4mdjad9h15j1x0']}", "s1ipgv4"),
    ("page link key", "/meetings/r1?key=eyJhYmMiOiJkZWYifQ.c2lnbmF0dXJl", "c2lnbmF0dXJl"),
    ("download link", "http://h/files/eyJhYmMiOiJkZWYifQ.c2lnbmF0dXJl", "c2lnbmF0dXJl"),
    (
        "ICE password in SDP",
        "v=0\\r\\na=ice-ufrag:abcd\\r\\na=ice-pwd:s3cretPwd123\\r\\n",
        "s3cretPwd",
    ),
    ("JSON-escaped secret", '"body: \\"{\\"access_token\\": \\"tok123\\"}\\""', "tok123"),
]
KEPT = [
    "meeting m1: joined_recording -> leaving (state=leaving)",
    "meeting code=abc-defg-hij, space=spaces/AbCdEfGhIjKl",
    "recording 3f2a16a0-21c8-456f-b10e-113fc0c5e570 ready: 3 files",
    "POST /slack/events 200 in 12 ms",
    "basic authentication is not supported; a bearer token is",
]


@pytest.mark.parametrize(
    ("line", "secret"), [(s[1], s[2]) for s in SECRETS], ids=[s[0] for s in SECRETS]
)
def test_secret_shapes_are_masked(line: str, secret: str) -> None:
    redacted = logs.redact(line)

    assert secret not in redacted
    assert "[redacted]" in redacted


@pytest.mark.parametrize(
    ("line", "secret"), [(s[1], s[2]) for s in SECRETS], ids=[s[0] for s in SECRETS]
)
def test_a_json_line_stays_json(line: str, secret: str) -> None:
    record = {"msg": line + "\r\n", "exc": f"Traceback\n  {line}\nValueError"}

    redacted = json.loads(logs.redact(json.dumps(record, ensure_ascii=False)))

    assert set(redacted) == {"msg", "exc"}
    assert secret not in redacted["msg"]
    assert secret not in redacted["exc"]


def test_a_fernet_key_is_masked() -> None:
    key = generate_key()

    assert logs.redact(f"token key {key} loaded") == "token key [redacted] loaded"


@pytest.mark.parametrize("line", KEPT)
def test_ordinary_lines_are_kept(line: str) -> None:
    assert logs.redact(line) == line


def test_masking_twice_changes_nothing() -> None:
    once = logs.redact(
        "{'bot_token': 'xoxb-1-2', 'state': ['f2a16a08-21c8-456f-b10e-113fc0c5e570']}"
    )

    assert logs.redact(once) == once
    assert once == "{'bot_token': '[redacted]', 'state': ['[redacted]']}"


@pytest.fixture
def configured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logs.QUIET_LOGGERS}
    logs.configure(level="DEBUG", fmt="json")
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)


def test_quiet_libraries_log_nothing_below_warning_whatever_their_level(
    configured: io.StringIO,
) -> None:
    bolt = logging.getLogger("slack_bolt.AsyncApp")
    saved = bolt.level
    bolt.setLevel(logging.DEBUG)  # Bolt copies the root level onto its loggers
    try:
        bolt.debug("Responding with status: 200 body: ...")
        logging.getLogger("aiosqlite").debug("executing INSERT ... ('xoxb-1',)")
        bolt.warning("a warning still shows")
        logging.getLogger("bot.web").debug("our own debug shows")
    finally:
        bolt.setLevel(saved)

    messages = [json.loads(line)["msg"] for line in configured.getvalue().splitlines()]
    assert messages == ["a warning still shows", "our own debug shows"]


def test_tracebacks_are_masked_too(configured: io.StringIO) -> None:
    try:
        _fail("bad token xoxb-1-secret")
    except ValueError:
        logging.getLogger("bot.web").exception("failed with client_secret=abc")

    [line] = configured.getvalue().splitlines()
    assert "xoxb-1-secret" not in line
    assert "abc" not in json.loads(line)["msg"]
    assert "[redacted]" in json.loads(line)["exc"]


def _fail(message: str) -> None:
    raise ValueError(message)
