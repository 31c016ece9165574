"""Slack bodies are read as Bolt reads them and refused unless meetbot can serve their shape."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body as bolt_parse_body
from slack_sdk.web.async_client import AsyncWebClient

from bot import bounded_json
from bot.slack.payloads import MalformedPayload, check_payload, parse_body, reject_malformed

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
COMMAND = {"team_id": "T1", "user_id": "U1", "channel_id": "C1", "command": "/meet", "text": "x"}
CLICK: dict[str, Any] = {
    "type": "block_actions",
    "user": {"id": "U1", "team_id": "T1"},
    "team": {"id": "T1"},
    "channel": {"id": "C1"},
    "actions": [{"action_id": "meet_record", "value": "m1"}],
}
MENTION: dict[str, Any] = {
    "type": "event_callback",
    "team_id": "T1",
    "event_id": "Ev1",
    "event": {"type": "app_mention", "user": "U1", "channel": "C1", "text": "<@B> new"},
    "authorizations": [{"team_id": "T1", "user_id": "B", "is_bot": True}],
}


def _payload(obj: Any) -> bytes:
    return urlencode({"payload": json.dumps(obj)}).encode()


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (urlencode(COMMAND).encode(), FORM),
        (_payload(CLICK), FORM),
        (json.dumps(MENTION).encode(), JSON),
        (json.dumps({"type": "url_verification", "challenge": "c"}).encode(), JSON),
        (b"ssl_check=1&token=x", FORM),
    ],
)
def test_what_slack_sends_is_accepted_as_bolt_reads_it(body: bytes, ctype: str) -> None:
    checked = parse_body(body, content_type=ctype)
    assert checked.payload == bolt_parse_body(checked.text, ctype)


def test_a_command_saying_payload_reaches_bolt_as_a_command() -> None:
    body = urlencode({**COMMAND, "text": "new payload review"})
    assert bolt_parse_body(body, FORM) == {}  # what Bolt alone would have made of it
    checked = parse_body(body.encode(), content_type=FORM)
    assert bolt_parse_body(checked.text, FORM)["text"] == "new payload review"
    assert dict(parse_qsl(checked.text)) == dict(parse_qsl(body))


def _without(obj: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in keys}


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (b"", FORM),
        (b"\xff\xfe", FORM),
        (b'{"type": "event_callback", "x": "\xc3"}', JSON),
        (urlencode(_without(COMMAND, "user_id")).encode(), FORM),
        (urlencode(_without(COMMAND, "channel_id")).encode(), FORM),
        (urlencode({**COMMAND, "team_id": ""}).encode(), FORM),
        (b"payload=%7Bnot-json", FORM),
        (b"payload_x=1&team_id=T1", FORM),
        (_payload([CLICK]), FORM),
        (_payload("block_actions"), FORM),
        (_payload({**CLICK, "actions": []}), FORM),
        (_payload({**CLICK, "actions": ["meet_record"]}), FORM),
        (_payload({**CLICK, "actions": [{"value": "m1"}]}), FORM),
        (_payload({**CLICK, "actions": [{"action_id": ["x"]}]}), FORM),
        (_payload({**CLICK, "actions": [{"action_id": "meet_stop", "value": 3}]}), FORM),
        (_payload(_without(CLICK, "user")), FORM),
        (_payload({**CLICK, "user": "U1"}), FORM),
        (_payload({**CLICK, "team": None, "user": {"id": "U1"}}), FORM),
        (_payload({**CLICK, "team": "T1"}), FORM),
        (_payload(_without(CLICK, "channel")), FORM),
        (_payload({**CLICK, "type": "view_submission"}), FORM),
        (_payload({**CLICK, "type": ["block_actions"]}), FORM),
        (json.dumps([MENTION]).encode(), JSON),
        (json.dumps("event_callback").encode(), JSON),
        (json.dumps({**MENTION, "event": "app_mention"}).encode(), JSON),
        (json.dumps({**MENTION, "event": {"user": "U1"}}).encode(), JSON),
        (json.dumps({**MENTION, "event": {**MENTION["event"], "user": None}}).encode(), JSON),
        (json.dumps({**MENTION, "event": _without(MENTION["event"], "channel")}).encode(), JSON),
        (json.dumps({**MENTION, "authorizations": "T1"}).encode(), JSON),
        (json.dumps({**MENTION, "authorizations": [1]}).encode(), JSON),
        (json.dumps({**MENTION, "team_id": {"id": "T1"}}).encode(), JSON),
        (json.dumps({**MENTION, "enterprise": {"id": 7}}).encode(), JSON),
        (json.dumps({"type": "url_verification"}).encode(), JSON),
        (json.dumps({"type": "something_new"}).encode(), JSON),
        (b"[" * 50_000 + b"]" * 50_000, JSON),
        (b'{"a":' * 100 + b"1" + b"}" * 100, JSON),
        (b"[" * 50_000, JSON),
    ],
)
def test_malformed_bodies_are_refused(body: bytes, ctype: str) -> None:
    with pytest.raises(MalformedPayload):
        parse_body(body, content_type=ctype)


def test_the_content_type_decides_as_in_bolt() -> None:
    """A JSON body sent as a form is still JSON to Bolt when it starts with ``{``."""
    checked = parse_body(json.dumps(MENTION).encode(), content_type=FORM)
    assert checked.payload["type"] == "event_callback"
    body = json.dumps("x=1&" + urlencode(COMMAND)).encode()  # JSON, and a plausible form
    with pytest.raises(MalformedPayload):
        parse_body(body, content_type=JSON + "; charset=utf-8")


def test_socket_mode_payloads_are_checked_the_same_way() -> None:
    check_payload(COMMAND)
    check_payload(CLICK)
    for bad in ([], "x", {**CLICK, "actions": []}, {**MENTION, "event": []}):
        with pytest.raises(MalformedPayload):
            check_payload(bad)


@pytest.mark.parametrize(
    ("text", "depth"),
    [("1", 0), ("[]", 1), ('{"a": [{"b": "[[[["}]}', 3), ('["\\"[[", [1]]', 2)],
)
def test_depth_ignores_brackets_in_strings(text: str, depth: int) -> None:
    assert bounded_json.depth(text) == depth
    assert bounded_json.loads(text) == json.loads(text)


async def test_the_bolt_middleware_answers_400_and_runs_no_listener() -> None:
    """Socket Mode has no HTTP route: ``app.middleware(reject_malformed)`` does the check."""
    ran: list[str] = []

    async def authorize(**_: Any) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-t", bot_id="B")

    app = AsyncApp(
        authorize=authorize,
        signing_secret="unused",
        request_verification_enabled=False,
        client=AsyncWebClient(token=None, base_url="http://127.0.0.1:9/"),
    )
    app.middleware(reject_malformed)

    @app.command("/meet")
    async def command(ack: Any, body: dict[str, Any]) -> None:
        ran.append(body["user_id"])
        await ack()

    @app.action("meet_record")
    async def click(ack: Any) -> None:
        ran.append("click")
        await ack()

    async def dispatch(body: dict[str, Any]) -> int:
        request = AsyncBoltRequest(body=body, mode="socket_mode")
        return (await app.async_dispatch(request)).status

    assert await dispatch(_without(COMMAND, "user_id")) == 400
    assert await dispatch({**CLICK, "actions": [{"value": "m1"}]}) == 400
    assert ran == []
    assert await dispatch(COMMAND) == 200
    assert await dispatch(CLICK) == 200
    assert ran == ["U1", "click"]
