"""The sandbox page in headless Chromium: type a command, see the card, press a button."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.app import Sandbox
from tests.adapters.sandbox_server import running_sandbox
from tests.browser.cdp import chromium, chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium"),
]


def card(title: str) -> list[dict[str, object]]:
    def button(action_id: str, text: str, style: str) -> dict[str, object]:
        return {
            "type": "button",
            "action_id": action_id,
            "style": style,
            "value": "spaces/abc",
            "text": {"type": "plain_text", "text": text},
        }

    return [
        {"type": "header", "text": {"type": "plain_text", "text": "Meeting ready"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{title}* is ready: <https://meet.google.com/abc-defg-hij|Join>",
            },
            "fields": [{"type": "mrkdwn", "text": "Code: `abc-defg-hij`"}],
        },
        {
            "type": "actions",
            "elements": [
                button("meet_record", "Record", "primary"),
                button("meet_end", "End", "danger"),
            ],
        },
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Created by <@U0ALICE>"}]},
    ]


def stand_in_bot(app: web.Application, sandbox: Sandbox) -> None:
    """Verifies signatures; posts a card for ``/meet new``; replies in thread on Record."""
    verifier = SignatureVerifier(sandbox.slack.app.signing_secret)
    token = sandbox.slack.issue_bot_token(scopes=("chat:write",))

    async def events(request: web.Request) -> web.Response:
        raw = await request.read()
        if not verifier.is_valid(
            body=raw,
            timestamp=request.headers["X-Slack-Request-Timestamp"],
            signature=request.headers["X-Slack-Signature"],
        ):
            return web.Response(status=401)
        client = AsyncWebClient(token=token, base_url=f"{request.url.origin()}/sandbox/slack/api/")
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if "payload" in form:
            payload = json.loads(form["payload"])
            await client.chat_postMessage(
                channel=payload["channel"]["id"],
                thread_ts=payload["container"]["message_ts"],
                text=f"Recording started by <@{payload['user']['id']}>",
            )
            return web.Response()
        title = form["text"].removeprefix("new").strip() or "Meeting"
        await client.chat_postMessage(channel=form["channel_id"], text=title, blocks=card(title))
        return web.json_response({"text": f"Creating _{title}_…"})

    app.router.add_post("/slack/events", events)


async def test_command_card_and_button(tmp_path: Path) -> None:
    async with (
        running_sandbox(bot_routes=stand_in_bot) as live,
        chromium(tmp_path / "profile") as browser,
    ):
        page = await browser.new_page(f"{live.base_url}/sandbox/")
        await page.wait_for("document.body.dataset.ready === 'true'")
        assert await page.evaluate("document.querySelector('label[for=composer-input]') !== null")

        await page.click("#composer-input")
        await page.type_text("/meet new standup")
        await page.press_enter()
        await page.wait_for("!!document.querySelector('button[data-action-id=meet_record]')")

        rendered = await page.evaluate(
            """(() => {
                const section = document.querySelector('.block.section');
                return {
                    bold: section.querySelector('strong').textContent,
                    link: section.querySelector('a').getAttribute('href'),
                    code: section.querySelector('.fields code').textContent,
                    header: document.querySelector('.block.header').textContent,
                    mention: document.querySelector('.block.context .mention').textContent,
                    primary: document.querySelector('[data-action-id=meet_record]')
                        .classList.contains('primary'),
                    danger: document.querySelector('[data-action-id=meet_end]')
                        .classList.contains('danger'),
                    ephemeral: document.querySelector('.message.ephemeral .only-you').textContent,
                };
            })()"""
        )
        assert rendered == {
            "bold": "standup",
            "link": "https://meet.google.com/abc-defg-hij",
            "code": "abc-defg-hij",
            "header": "Meeting ready",
            "mention": "@Alice",
            "primary": True,
            "danger": True,
            "ephemeral": "Only visible to you",
        }

        await page.click("button[data-action-id=meet_record]")
        reply = await page.wait_for(
            "(document.querySelector('.thread .message .text') || {}).textContent"
        )
        assert reply == "Recording started by @Alice"

        await page.evaluate(
            """(() => {
                const picker = document.getElementById('user-picker');
                picker.value = 'U0BOB';
                picker.dispatchEvent(new Event('change'));
            })()"""
        )
        await page.wait_for("document.querySelectorAll('.message.ephemeral').length === 0")
        assert await page.evaluate("document.querySelectorAll('.message').length") == 2

        shot = await page.screenshot(tmp_path / "sandbox-page.png")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
