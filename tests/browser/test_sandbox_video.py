"""Video in the sandbox page, as a user meets it: cameras on, Record, End → an MP4 that plays."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot.app.server import RunningServer
from tests.browser.cdp import chromium
from tests.browser.sandbox_page import end_call, send, sign_in
from tests.camera_call import call_with_cameras, everyone_seen_and_heard
from tests.fixtures_bot import SandboxBot

pytestmark = pytest.mark.browser

# Loads the thread's inline player, plays it (muted, as autoplay allows) for a second and a
# half, and reads what Chromium decoded: size, length, bytes of video and of sound, and how
# many distinct colours one frame holds (a black or frozen player has one).
_PLAY = """(async () => {
  const video = document.querySelector('.thread video.file-player');
  video.muted = true;
  if (video.readyState < 1) await new Promise((ok, no) => {
    video.addEventListener('loadedmetadata', ok, {once: true});
    video.addEventListener('error', () => no('cannot play: ' + video.error.message), {once: true});
  });
  await video.play();
  await new Promise((ok) => {
    const tick = () => video.currentTime > 1.5 ? ok() : setTimeout(tick, 50);
    tick();
  });
  video.pause();
  const canvas = document.createElement('canvas');
  canvas.width = 160; canvas.height = 90;
  const context = canvas.getContext('2d');
  context.drawImage(video, 0, 0, 160, 90);
  const pixels = context.getImageData(0, 0, 160, 90).data;
  const colours = new Set();
  for (let i = 0; i < pixels.length; i += 4) {
    colours.add((pixels[i] >> 4) << 8 | (pixels[i + 1] >> 4) << 4 | pixels[i + 2] >> 4);
  }
  return {width: video.videoWidth, height: video.videoHeight, duration: video.duration,
          videoBytes: video.webkitVideoDecodedByteCount,
          audioBytes: video.webkitAudioDecodedByteCount, colours: colours.size};
})()"""


async def _recorded_seconds(bot: SandboxBot) -> float:
    """How long the (latest) recording in the sandbox's #general is."""
    repos = bot.runtime.repos
    meeting = await repos.meetings.latest_in_channel(
        platform="slack", team_id="T0SANDBOX", channel_id="C0GENERAL"
    )
    assert meeting is not None
    recording = await repos.recordings.latest_for_meeting(meeting_id=meeting.id)
    assert recording is not None
    assert recording.duration is not None
    return recording.duration


async def test_cameras_on_record_end_gives_an_mp4_that_plays_in_the_page(
    live_bot: RunningServer, tmp_path: Path
) -> None:
    async with chromium(tmp_path / "profile") as browser, aiohttp.ClientSession() as http:
        bot = SandboxBot(server=live_bot, http=http)
        page = await browser.new_page(f"{bot.url}/sandbox/")
        await sign_in(page)
        await send(page, "/meet new standup")
        await page.wait_for("!!document.querySelector('button[data-action-id=meet_record]')")
        assert await page.evaluate("document.getElementById('meet-cameras').checked")
        [space] = (await bot.api("GET", "meet/spaces"))["spaces"]
        await call_with_cameras(bot, space["name"], tmp_path)
        await page.click("button[data-action-id=meet_record]")
        await page.wait_for("!!document.querySelector('button[data-action-id=meet_stop]')")
        await everyone_seen_and_heard(bot)
        await end_call(page)
        await page.wait_for(
            "[...document.querySelectorAll('.thread .message')]"
            ".some(m => m.textContent.includes('Composing the video'))",
            within=20,
        )
        await page.wait_for("!!document.querySelector('.thread video.file-player')", within=60)
        text = await page.evaluate(
            "[...document.querySelectorAll('.thread .message')].map(m => m.textContent).join('\\n')"
        )
        assert "Video ready" in text
        assert "Composing the video" not in text  # the notice was edited in place

        played = await page.evaluate(_PLAY)
        await page.screenshot(tmp_path / "video.png")
        assert (played["width"], played["height"]) == (1280, 720), played
        assert abs(played["duration"] - await _recorded_seconds(bot)) < 0.2, played
        assert played["videoBytes"] > 0, played
        assert played["audioBytes"] > 0, played
        assert played["colours"] > 20, played
