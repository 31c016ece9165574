"""The one retry policy for outside services: tenacity, full-jitter backoff, Retry-After honoured.

Each adapter says which of its errors are transient (429, 5xx, no answer) and what delay the
server asked for; the policy decides how long to wait and when to give up. Nothing else in
meetbot loops over attempts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Transient:
    """An error worth another try; ``retry_after`` is the server's ``Retry-After`` in seconds."""

    retry_after: float | None = None


# Says whether a failure is transient (and the delay the server asked for), or not (None).
Classify = Callable[[BaseException], Transient | None]


def transient_status(status: int) -> bool:
    """429 and 5xx are worth another try; 0 means no HTTP answer at all (network, timeout)."""
    return status in (0, 429) or status >= 500


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the delta form; Google sends no date form), else None."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, ``Retry-After`` (capped) when the server sends one.

    Args:
        attempts: tries in all, the first included.
        base_delay: the first backoff's upper bound in seconds, doubled per retry.
        max_delay: cap on one wait, a ``Retry-After`` included.
        sleep: how to wait (tests inject one that records the delays).
    """

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Sleep = asyncio.sleep

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("attempts must be >= 1 and delays >= 0")

    async def run(self, call: Callable[[], Awaitable[T]], *, classify: Classify, what: str) -> T:
        """Await ``call()`` until it succeeds, fails for good, or the attempts run out.

        Raises:
            Exception: the last failure, unchanged (typed errors stay typed).
        """
        backoff = wait_random_exponential(multiplier=self.base_delay, max=self.max_delay)

        def wait(state: RetryCallState) -> float:
            hint = _hint(state, classify)
            if hint is not None and hint.retry_after is not None:
                return min(hint.retry_after, self.max_delay)
            return float(backoff(state))

        def log(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            delay = state.next_action.sleep if state.next_action else 0.0
            logger.warning(
                "%s failed (attempt %d/%d: %s), retrying in %.2fs",
                what,
                state.attempt_number,
                self.attempts,
                type(error).__name__,
                delay,
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait,
            retry=retry_if_exception(lambda exc: classify(exc) is not None),
            sleep=self.sleep,
            before_sleep=log,
            reraise=True,
        )
        return await retrying(call)


def _hint(state: RetryCallState, classify: Classify) -> Transient | None:
    error = state.outcome.exception() if state.outcome is not None else None
    return classify(error) if error is not None else None
