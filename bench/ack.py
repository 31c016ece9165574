"""Slack ack latency: signed `/meet new` commands at a fixed rate against a running bot.

By default it starts two processes: `meetbot emulators` (the Slack and Google stand-ins) and
`meetbot serve` pointed at them, so the bot's figures are its own. It installs the app, links
a Google account, then fires commands open-loop (a request leaves every 1/rate seconds whether
or not earlier ones have been answered) and prints one JSON object:

    python bench/ack.py [--rate 200] [--duration 10] [--text "new bench"]

Latency is measured from sending the request to reading the bot's HTTP response (the ack).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier
from stack import prepare, stack


async def _fire(
    http: aiohttp.ClientSession, url: str, verifier: SignatureVerifier, text: str, i: int
) -> tuple[float, int]:
    body = urlencode(
        {
            "team_id": "T0SANDBOX",
            "channel_id": "C0GENERAL",
            "user_id": "U0ALICE",
            "command": "/meet",
            "text": f"{text} {i}",
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
    async with http.post(f"{url}/slack/events", data=body, headers=headers) as resp:
        await resp.read()
        return (time.perf_counter() - start) * 1000, resp.status


async def _load(
    url: str, secret: str, *, rate: float, duration: float, text: str
) -> dict[str, Any]:
    verifier = SignatureVerifier(secret)
    total = int(rate * duration)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        start = time.perf_counter()
        tasks = []
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_fire(http, url, verifier, text, i)))
        results = await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    latencies = sorted(ms for ms, _ in results)
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "command": f"/meet {text}",
        "target_rate_per_s": rate,
        "duration_s": duration,
        "requests": total,
        "non_200": sum(1 for _, status in results if status != 200),
        "throughput_per_s": round(total / elapsed, 1),
        "ack_ms": {
            "p50": round(q[49], 2),
            "p95": round(q[94], 2),
            "p99": round(q[98], 2),
            "max": round(latencies[-1], 2),
        },
        "budget_p99_ms": 100,
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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--text", default="new bench")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="meetbot-bench-") as tmp:
        async with stack(Path(tmp)) as (bot_url, emu_url), aiohttp.ClientSession() as http:
            secret = await prepare(http, emu_url)
            await _load(bot_url, secret, rate=20, duration=1, text=args.text)  # warm-up
            result = await _load(
                bot_url, secret, rate=args.rate, duration=args.duration, text=args.text
            )
            result["background"] = await _drain(http, emu_url, start=time.perf_counter())
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
