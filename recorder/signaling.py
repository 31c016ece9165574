"""``connectActiveConference``: the one REST call that trades our SDP offer for Meet's answer."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from recorder.errors import ConnectRefused, MediaAuthError, RefusalReason, SignalingError
from recorder.retry import RetryPolicy, Transient, parse_retry_after, transient_status

logger = logging.getLogger(__name__)

_REASONS = {reason.value for reason in RefusalReason} - {RefusalReason.UNKNOWN.value}
_REASON_IN_TEXT = re.compile("|".join(sorted(_REASONS, key=len, reverse=True)))


class TokenSource(Protocol):
    """Gives a valid OAuth access token for the Google account the recorder acts for."""

    async def access_token(self, *, force_refresh: bool = False) -> str: ...


@dataclass(frozen=True, slots=True)
class Answer:
    """Meet's SDP answer and the trace id to quote in bug reports."""

    sdp: str
    trace_id: str | None


class MediaSignaling:
    """POSTs offers to ``{base_url}v2beta/{space}:connectActiveConference``.

    Args:
        session: the shared HTTP session for Google.
        base_url: Meet's REST root ending in ``/`` (``https://meet.googleapis.com/``).
        tokens: the acting user's tokens; refreshed once on a 401.
        retry: the retry policy for 429/5xx/network errors (``Retry-After`` honoured).
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        base_url: str,
        tokens: TokenSource,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._session = session
        self._base = base_url if base_url.endswith("/") else base_url + "/"
        self._tokens = tokens
        self._retry = retry or RetryPolicy(attempts=3, base_delay=0.5)

    async def connect(self, *, space: str, offer: str, confirmation_timeout: int) -> Answer:
        """Send ``offer`` for ``space`` (``spaces/{id}`` or ``spaces/{meetingCode}``).

        Raises:
            ConnectRefused: a documented refusal (``reason`` says which).
            MediaAuthError: 401 after one refresh, or 403.
            SignalingError: anything else that failed after the retries.
        """
        name = space if space.startswith("spaces/") else f"spaces/{space}"
        url = f"{self._base}v2beta/{name}:connectActiveConference"
        body = {"offer": offer, "config": {"confirmationTimeout": f"{confirmation_timeout}s"}}
        refreshed = False

        async def attempt() -> Answer:
            nonlocal refreshed
            token = await self._tokens.access_token(force_refresh=refreshed)
            try:
                return await self._post(url, body, token)
            except MediaAuthError as exc:
                if exc.status != 401 or refreshed:
                    raise
            refreshed = True  # the token expired under us: one refresh, not a retry
            return await self._post(url, body, await self._tokens.access_token(force_refresh=True))

        return await self._retry.run(attempt, classify=_transient, what="connectActiveConference")

    async def _post(self, url: str, body: dict[str, Any], token: str) -> Answer:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with self._session.post(url, json=body, headers=headers) as response:
                text = await response.text()
                status, retry_after = response.status, response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SignalingError(f"network error: {exc}") from exc
        if status == 200:
            return _answer(text)
        raise _error(status, text, retry_after)


def _transient(exc: BaseException) -> Transient | None:
    """Network failures, 429 and 5xx; never a documented refusal or an auth failure."""
    if isinstance(exc, ConnectRefused | MediaAuthError) or not isinstance(exc, SignalingError):
        return None
    return Transient(retry_after=exc.retry_after) if transient_status(exc.status) else None


def _answer(text: str) -> Answer:
    try:
        data = json.loads(text)
        sdp = data["answer"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SignalingError("Meet's reply had no SDP answer", status=200) from exc
    if not isinstance(sdp, str) or not sdp.startswith("v="):
        raise SignalingError("Meet's reply had no SDP answer", status=200)
    trace = data.get("traceId")
    logger.info("connectActiveConference answered (traceId %s)", trace)
    return Answer(sdp=sdp, trace_id=trace if isinstance(trace, str) else None)


def _error(status: int, text: str, retry_after: str | None) -> SignalingError:
    """Maps Google's error JSON to a typed error; the reason comes from ErrorInfo or the text."""
    message, reason = _parse_error(text)
    if reason is not None:
        return ConnectRefused(message, reason=reason, status=status)
    if status in (401, 403):
        return MediaAuthError(message, status=status)
    return SignalingError(message, status=status, retry_after=parse_retry_after(retry_after))


def _parse_error(text: str) -> tuple[str, RefusalReason | None]:
    try:
        error = json.loads(text)["error"]
        message = str(error.get("message") or error.get("status") or "error")
        details = error.get("details") or []
    except (ValueError, KeyError, TypeError, AttributeError):
        return (text[:200] or "empty error body"), None
    for detail in details if isinstance(details, list) else []:
        reason = detail.get("reason") if isinstance(detail, dict) else None
        if reason in _REASONS:
            return message, RefusalReason(reason)
    found = _REASON_IN_TEXT.search(message)
    return message, RefusalReason(found.group(0)) if found else None
