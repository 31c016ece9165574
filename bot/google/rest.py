"""One Google REST API over the shared aiohttp session: token, JSON, retries, typed errors."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.google.errors import Answer, ApiErrors
from bot.settings import GoogleSettings
from recorder.retry import RetryPolicy, Sleep

logger = logging.getLogger(__name__)

Json = dict[str, Any]
Params = Mapping[str, str | int | None]


class GoogleRest:
    """Calls ``{base_url}{path}`` (paths as in the API's discovery document, ``v2/{+name}``).

    The session is the application's one session for Google (not closed here). Transient
    failures are retried by ``retry``; every failure leaves as the API's typed error.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        base_url: str,
        errors: ApiErrors,
        retry: RetryPolicy,
        timeout: float = 30.0,
    ) -> None:
        self._session = session
        self._base = base_url if base_url.endswith("/") else base_url + "/"
        self._errors = errors
        self._retry = retry
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str,
        params: Params | None = None,
        body: Json | None = None,
    ) -> Json:
        """One API method; the answer's JSON object (``{}`` for an empty body).

        Raises:
            Exception: the API's typed error (``errors``), the original chained.
        """
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}

        async def once() -> Json:
            return await self._once(method, path, token=token, query=query, body=body)

        return await self._retry.run(once, classify=self._errors.classify, what=self._what(method))

    async def _once(
        self, method: str, path: str, *, token: str, query: dict[str, str], body: Json | None
    ) -> Json:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            async with self._session.request(
                method,
                self._base + path,
                params=query,
                json=body,
                headers=headers,
                timeout=self._timeout,
            ) as response:
                status, content = response.status, await response.read()
                retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._errors.unreachable(exc) from exc
        if not 200 <= status < 300:
            raise self._errors.from_answer(Answer(status, content, retry_after))
        return self._json(content)

    def _json(self, content: bytes) -> Json:
        try:
            data = json.loads(content) if content.strip() else {}
        except ValueError as exc:
            raise self._errors.malformed("body", exc) from exc
        if not isinstance(data, dict):
            raise self._errors.malformed("body", ValueError("not a JSON object"))
        return data

    def _what(self, method: str) -> str:
        return f"{self._errors.name} {method}"


def resource_path(version: str, name: str, suffix: str = "") -> str:
    """``{version}/{+name}{suffix}`` with ``name``'s segments escaped (no ``..`` tricks).

    Raises:
        ValueError: ``name`` has an empty, ``.`` or ``..`` segment.
    """
    segments = name.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        raise ValueError(f"not a resource name: {name!r}")
    return f"{version}/{'/'.join(quote(s, safe='') for s in segments)}{suffix}"


def retry_policy(
    settings: GoogleSettings, *, max_delay: float = 30.0, sleep: Sleep = asyncio.sleep
) -> RetryPolicy:
    """The Google APIs' retry policy from settings (attempts, first backoff)."""
    return RetryPolicy(
        attempts=settings.retry_attempts,
        base_delay=settings.retry_base_delay,
        max_delay=max_delay,
        sleep=sleep,
    )
