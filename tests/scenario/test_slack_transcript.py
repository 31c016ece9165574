"""The issue's story in Slack: three people talk over each other, Record, End → the transcript
is in the thread within seconds, every word with the person who said it."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import aiohttp

from recorder.transcribe.wer import word_error_rate, words
from tests.adapters.test_recorder_transcript import SCRIPT, SPEAK_AT, participants
from tests.fixtures_bot import SandboxBot, eventually

_URL = re.compile(r"https?://[^\s|>\"\\]+")
_VOICE = re.compile(r"^<v ([^>]+)>(.*?)(?:</v>)?$")


async def _thread(bot: SandboxBot, card: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in await bot.messages() if m.get("thread_ts") == card["ts"]]


def _link(message: dict[str, Any], label: str) -> str:
    for url in _URL.findall(json.dumps(message)):
        if label in url:
            return str(url)
    raise AssertionError(f"no {label} link in {message['text']}")


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


def _vtt_by_speaker(vtt: str) -> dict[str, str]:
    said: dict[str, list[str]] = {}
    for line in vtt.splitlines():
        if match := _VOICE.match(line):
            said.setdefault(match[1], []).append(match[2])
    return {name: " ".join(parts) for name, parts in said.items()}


async def test_crosstalk_is_transcribed_per_speaker_and_posted_within_seconds(
    connected_bot: SandboxBot, tmp_path: Path
) -> None:
    bot = connected_bot
    await bot.command("new planning")
    [card] = await bot.cards()
    [space] = (await bot.api("GET", "meet/spaces"))["spaces"]
    specs, seconds = participants(tmp_path)
    await bot.api(
        "POST", "meet/conferences", {"space": space["meetingCode"], "participants": specs}
    )
    await bot.click(card["ts"], "meet_record")

    call_over = time.monotonic() + SPEAK_AT + seconds  # the emulator plays the lines in real time

    async def all_spoke() -> bool:  # the call goes on until everyone has said their line
        sessions = (await bot.api("GET", "meet/media"))["sessions"]
        sent = sessions[-1]["frames_by_participant"] if sessions else {}
        return len(sent) == len(SCRIPT) and time.monotonic() > call_over

    await eventually(all_spoke, within=30 + seconds, what="everyone to say their line")
    ended = time.monotonic()
    await bot.api("POST", "meet/conferences/end", {"space": space["meetingCode"]})

    async def summary() -> Any:
        return [m for m in await _thread(bot, card) if "Transcript ready" in m["text"]]

    [message] = await eventually(summary, within=10, what="the transcript, 10 s after the end")
    assert time.monotonic() - ended < 10
    thread = await _thread(bot, card)
    uploaded = [f["name"] for m in thread for f in m.get("files") or []]
    assert sorted(uploaded) == sorted(
        ["transcript.txt", "transcript.vtt", "transcript.srt", "transcript.json"]
    )
    assert all(name in message["text"] for name in SCRIPT)  # excerpt and talk time

    status, txt = await _get(_link(message, "/files/"))  # the first link is the TXT
    assert status == 200
    assert all(f"{name}:" in txt for name in SCRIPT)
    vtt_status, vtt = await _get(
        [u for u in _URL.findall(json.dumps(message)) if "/files/" in u][1]
    )
    assert vtt_status == 200
    assert vtt.startswith("WEBVTT")
    said = _vtt_by_speaker(vtt)
    assert set(said) == set(SCRIPT)
    everyone = {name: set(words(text)) for name, (_, _, text) in SCRIPT.items()}
    for name in SCRIPT:
        others = set().union(*(w for n, w in everyone.items() if n != name)) - everyone[name]
        assert not set(words(said[name])) & others, (name, said[name])
    reference = " ".join(text for _, _, text in SCRIPT.values())
    assert word_error_rate(reference, " ".join(said[name] for name in SCRIPT)) < 0.1

    page_status, page = await _get(_link(message, "/meetings/"))
    assert page_status == 200
    assert all(name in page for name in SCRIPT)
