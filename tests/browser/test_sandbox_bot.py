"""The real bot in the sandbox page, as a new user meets it: sign in, /meet new, End."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot.app.server import RunningServer
from tests.browser.cdp import chromium
from tests.browser.sandbox_page import end_call, send, sign_in
from tests.fixtures_bot import SandboxBot, eventually
from tests.fixtures_gchat import ChatDriver
from tests.media import write_tone

pytestmark = pytest.mark.browser


async def test_new_meeting_and_end_from_the_page(live_bot: RunningServer, tmp_path: Path) -> None:
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.new_page(f"{live_bot.base_url}/sandbox/")
        await sign_in(page)
        await send(page, "/meet new standup")
        await page.wait_for("!!document.querySelector('button[data-action-id=meet_end]')")
        card = await page.evaluate(
            "document.querySelector('button[data-action-id=meet_end]')"
            ".closest('.message').textContent"
        )
        assert "standup" in card
        assert "meet.google.com/" in card
        await page.screenshot(tmp_path / "card.png")

        await page.click("button[data-action-id=meet_end]")
        await page.wait_for("document.getElementById('confirm-ok').offsetParent !== null")
        await page.click("#confirm-ok")
        ended = await page.wait_for(
            "[...document.querySelectorAll('.message')].map(m => m.textContent)"
            ".find(t => t.includes('Ended at')) || null"
        )
        assert "standup" in ended
        assert "Closed by @Alice; no call was in progress." in ended
        assert await page.evaluate("!document.querySelector('button[data-action-id=meet_end]')")
        await page.screenshot(tmp_path / "ended.png")


async def test_record_a_call_and_play_the_files_from_the_page(
    live_bot: RunningServer, tmp_path: Path
) -> None:
    base = live_bot.base_url
    async with chromium(tmp_path / "profile") as browser, aiohttp.ClientSession() as http:
        page = await browser.new_page(f"{base}/sandbox/")
        await sign_in(page)
        await send(page, "/meet new standup")
        await page.wait_for("!!document.querySelector('button[data-action-id=meet_record]')")

        # three speakers talking over each other (short tones keep the test quick)
        async with http.get(f"{base}/sandbox/api/meet/spaces") as resp:
            [space] = (await resp.json())["spaces"]
        people = [
            {
                "name": name,
                "speak_at": 1.0 + 0.4 * i,
                "audio": str(write_tone(tmp_path / f"{name}.wav", freq=freq, seconds=1.2)),
            }
            for i, (name, freq) in enumerate((("Ann", 440.0), ("Ben", 660.0), ("Cy", 990.0)))
        ]
        body = {"space": space["name"], "participants": people}
        async with http.post(f"{base}/sandbox/api/meet/conferences", json=body) as resp:
            assert resp.status == 200, await resp.text()

        await page.click("button[data-action-id=meet_record]")
        await page.wait_for(
            "[...document.querySelectorAll('.thread .message')]"
            ".some(m => m.textContent.includes('Recording, started by'))"
        )
        await page.wait_for("!!document.querySelector('button[data-action-id=meet_stop]')")
        await page.screenshot(tmp_path / "recording.png")

        async def spoken() -> bool:
            async with http.get(f"{base}/sandbox/api/meet/media") as resp:
                sessions = (await resp.json())["sessions"]
            counts = sessions[-1]["frames_by_participant"] if sessions else {}
            return len(counts) == 3 and all(n >= 40 for n in counts.values())

        await eventually(spoken, within=15, what="everyone to speak")
        await end_call(page)
        links = await page.wait_for(
            "(() => { const r = [...document.querySelectorAll('.thread .message')]"
            ".find(m => m.textContent.includes('Recording ready'));"
            " return r ? [...r.querySelectorAll('a')].map(a => [a.textContent, a.href])"
            ".filter(([, h]) => h.includes('/files/')) : null; })()",
            within=20,
        )
        await page.screenshot(tmp_path / "results.png")
        names = sorted({name for name, _ in links if name.endswith((".ogg", ".m4a"))})
        assert names == ["Ann.ogg", "Ben.ogg", "Cy.ogg", "recording.m4a"]
        durations = {}
        for name, href in links:
            if name in names and name not in durations:
                durations[name] = await page.evaluate(
                    "new Promise((ok, no) => { const a = new Audio(); a.preload = 'metadata';"
                    " a.onloadedmetadata = () => ok(a.duration); a.onerror = () => no("
                    f"'cannot play ' + {name!r}); a.src = {href!r}; }})"
                )
        assert all(seconds > 1.0 for seconds in durations.values()), durations
        assert abs(durations["Ann.ogg"] - durations["recording.m4a"]) < 0.2


def _button(text: str) -> str:
    """JS: the Chat view's button labelled ``text`` (the newest one), or null."""
    return (
        "[...document.querySelectorAll('#gchat-view button.gchat-button')]"
        f".filter(b => b.textContent === {text!r} && !b.disabled).pop() || null"
    )


async def test_google_chat_view_new_record_and_end(live_bot: RunningServer, tmp_path: Path) -> None:
    async with chromium(tmp_path / "profile") as browser, aiohttp.ClientSession() as http:
        await ChatDriver(bot=SandboxBot(server=live_bot, http=http)).connect("alice")
        page = await browser.new_page(f"{live_bot.base_url}/sandbox/#gchat")
        await page.wait_for("document.getElementById('gchat-view').hidden === false")
        await page.click("#gchat-input")
        await page.type_text("/meet new standup")
        await page.press_enter()
        await page.wait_for(f"!!({_button('Record')})")
        card = await page.evaluate(f"({_button('Record')}).closest('.gchat-message').textContent")
        assert "standup" in card
        assert "meet.google.com/" in card
        await page.screenshot(tmp_path / "gchat-card.png")

        await page.evaluate(f"({_button('Record')}).click()")
        await page.wait_for(
            "[...document.querySelectorAll('#gchat-messages .gchat-message')]"
            ".some(m => m.textContent.includes('asked to record this meeting'))"
        )
        await page.evaluate(f"({_button('Stop recording')} || {{click() {{}}}}).click()")
        await page.wait_for(f"!!({_button('End')})")
        await page.evaluate(f"({_button('End')}).click()")
        await page.wait_for(f"!!({_button('End meeting')})")
        await page.evaluate(f"({_button('End meeting')}).click()")
        ended = await page.wait_for(
            "[...document.querySelectorAll('#gchat-messages .gchat-message')]"
            ".map(m => m.textContent).find(t => t.includes('Ended at')) || null"
        )
        assert "standup" in ended
        await page.screenshot(tmp_path / "gchat-ended.png")
