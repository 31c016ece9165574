"""Slack ack latency: signed `/meet` commands in a realistic mix, at a fixed rate, open-loop.

By default it starts two processes: `meetbot emulators` (the Slack and Google stand-ins) and
`meetbot serve` pointed at them, so the bot's figures are its own. It installs the app, links
a Google account, then fires commands open-loop (a request leaves every 1/rate seconds whether
or not earlier ones have been answered) and prints one JSON object:

    python bench/ack.py [--rate 200] [--duration 10] [--mix new=5,status=2,record=1,...]
    python bench/ack.py --text "new bench"      # one command only (the benchmark before #12)

Latency is measured from sending the request to reading the bot's HTTP response (the ack),
overall and per command. `record`, `stop`, `transcript` and `status` act on the channel's
latest meeting, as a person typing them would; `new` creates one (and a Meet space and a card
after its ack, which is the background load the acks compete with).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier
from stack import ROOT, prepare, stack

REALISTIC_MIX = "new=5,status=2,record=1,stop=1,transcript=1"
"""Half the commands start a meeting; the rest read or act on the latest one."""
BUDGET_P99_MS = 100
TIMEOUT_S = 10.0  # a request unanswered this long counts as an error, not a latency


def parse_mix(text: str) -> list[str]:
    """``new=5,status=2`` → the command words, in a fixed shuffled order (seeded)."""
    words: list[str] = []
    for part in text.split(","):
        word, _, weight = part.strip().partition("=")
        if not word or (weight and not weight.isdigit()):
            raise argparse.ArgumentTypeError(f"bad mix entry {part!r} (want word=weight)")
        words += [word] * int(weight or 1)
    random.Random(12).shuffle(words)
    return words


def _text(word: str, i: int) -> str:
    """The command's text: a new meeting gets a numbered title, the rest are typed as is."""
    word = "new bench" if word == "new" else word
    return f"{word} {i}" if word.startswith("new ") else word


async def _fire(
    http: aiohttp.ClientSession, url: str, verifier: SignatureVerifier, text: str, i: int
) -> tuple[float, int | str]:
    body = urlencode(
        {
            "team_id": "T0SANDBOX",
            "channel_id": "C0GENERAL",
            "user_id": "U0ALICE",
            "command": "/meet",
            "text": text,
            "api_app_id": "A0MEETBOT",
            "trigger_id": f"bench.{i}",
        }
    )
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
    }
    start = time.perf_counter()
    try:
        async with http.post(f"{url}/slack/events", data=body, headers=headers) as resp:
            await resp.read()
            return (time.perf_counter() - start) * 1000, resp.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        return (time.perf_counter() - start) * 1000, type(exc).__name__


def _quantiles(latencies: Sequence[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    if len(ordered) < 2:
        only = round(ordered[0], 2) if ordered else 0.0
        return {"p50": only, "p95": only, "p99": only, "max": only}
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50": round(q[49], 2),
        "p95": round(q[94], 2),
        "p99": round(q[98], 2),
        "max": round(ordered[-1], 2),
    }


def _summary(words: list[str], results: list[tuple[float, int | str]]) -> dict[str, Any]:
    by_word: dict[str, list[float]] = {}
    for word, (ms, status) in zip(words, results, strict=True):
        if status == 200:
            by_word.setdefault(word, []).append(ms)
    errors: dict[str, int] = {}
    for _, status in results:
        if status != 200:
            errors[str(status)] = errors.get(str(status), 0) + 1
    ok = [ms for ms, status in results if status == 200]
    return {
        "ack_ms": _quantiles(ok),
        "per_command": {
            word: {"requests": len(ms), **_quantiles(ms)} for word, ms in sorted(by_word.items())
        },
        "errors": errors,
        "non_200": sum(errors.values()),
    }


async def _load(
    url: str, secret: str, *, rate: float, duration: float, mix: list[str]
) -> dict[str, Any]:
    verifier = SignatureVerifier(secret)
    total = int(rate * duration)
    words = [mix[i % len(mix)] for i in range(total)]
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        start = time.perf_counter()
        tasks = []
        for i, word in enumerate(words):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_fire(http, url, verifier, _text(word, i), i)))
        results = await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return {
        "target_rate_per_s": rate,
        "duration_s": duration,
        "requests": total,
        "throughput_per_s": round(total / elapsed, 1),
        **_summary(words, results),
        "budget_p99_ms": BUDGET_P99_MS,
    }


async def _drain(http: aiohttp.ClientSession, emu_url: str, *, start: float) -> dict[str, Any]:
    """Wait until the cards stop coming (each one is a created space); report the backlog."""
    last, stable_since = -1, time.perf_counter()
    while time.perf_counter() - stable_since < 2.0 and time.perf_counter() - start < 300:
        async with http.get(f"{emu_url}/sandbox/api/meet/spaces") as resp:
            count = len((await resp.json())["spaces"])
        if count != last:
            last, stable_since = count, time.perf_counter()
        await asyncio.sleep(0.2)
    return {"spaces_created": last, "drained_after_load_s": round(stable_since - start, 1)}


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument(
        "--mix",
        type=parse_mix,
        default=parse_mix(REALISTIC_MIX),
        help=f"command words with weights (default {REALISTIC_MIX})",
    )
    parser.add_argument("--text", help='one command text instead of the mix, e.g. "new bench"')
    parser.add_argument(
        "--bot-root",
        type=Path,
        default=ROOT,
        help="the checkout whose bot is measured (default this one)",
    )
    return parser.parse_args()


async def main() -> None:
    args = _args()
    mix: list[str] = [args.text] if args.text else args.mix
    weights = sorted({w: mix.count(w) for w in mix}.items(), key=lambda kv: -kv[1])
    described = args.text or ",".join(f"{w}={n}" for w, n in weights)
    with tempfile.TemporaryDirectory(prefix="meetbot-bench-") as tmp:
        async with (
            stack(Path(tmp), root=args.bot_root) as (bot_url, emu_url),
            aiohttp.ClientSession() as http,
        ):
            secret = await prepare(http, emu_url)
            await _load(bot_url, secret, rate=20, duration=1, mix=mix)  # warm-up
            result = await _load(bot_url, secret, rate=args.rate, duration=args.duration, mix=mix)
            result["background"] = await _drain(http, emu_url, start=time.perf_counter())
    print(json.dumps({"commands": described, **result}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
