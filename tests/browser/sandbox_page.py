"""Steps in the sandbox page that several browser tests take, as a user takes them."""

from __future__ import annotations

from tests.browser.cdp import Page


async def sign_in(page: Page) -> None:
    """Waits for the page, then signs in with (emulated) Google."""
    await page.wait_for("document.body.dataset.ready === 'true'")
    await page.click("#google-signin")
    await page.wait_for(
        "document.getElementById('google-status').textContent.includes('Connected as')"
    )


async def send(page: Page, text: str) -> None:
    """Types ``text`` in the composer and sends it with Enter."""
    await page.click("#composer-input")
    await page.type_text(text)
    await page.press_enter()


async def end_call(page: Page) -> None:
    """Presses the Meet panel's End call."""
    await page.evaluate(
        "[...document.querySelectorAll('button')].find(b => b.textContent === 'End call').click()"
    )
