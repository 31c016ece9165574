"""The retry policy on its own: what it retries, how long it waits, and where it may live."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from recorder.retry import RetryPolicy, Transient, parse_retry_after

ROOT = Path(__file__).resolve().parents[2]


class Busy(Exception):
    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__("busy")
        self.retry_after = retry_after


def classify(exc: BaseException) -> Transient | None:
    return Transient(retry_after=exc.retry_after) if isinstance(exc, Busy) else None


class Script:
    """A call that fails with the given errors, in order, then answers ``"done"``."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def policy(delays: list[float], *, attempts: int = 4, max_delay: float = 8.0) -> RetryPolicy:
    """First backoff bound 1 s; the sleep records instead of waiting."""

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    return RetryPolicy(attempts=attempts, base_delay=1.0, max_delay=max_delay, sleep=sleep)


async def test_backoff_doubles_its_bound_and_is_capped() -> None:
    delays: list[float] = []
    call = Script(Busy(), Busy(), Busy())

    assert await policy(delays, max_delay=3.0).run(call, classify=classify, what="t") == "done"

    assert call.calls == 4
    assert [d <= bound for d, bound in zip(delays, (1.0, 2.0, 3.0), strict=True)] == [True] * 3
    assert all(d >= 0 for d in delays)


async def test_retry_after_replaces_the_backoff_up_to_the_cap() -> None:
    delays: list[float] = []

    await policy(delays).run(Script(Busy(2.5), Busy(90)), classify=classify, what="t")

    assert delays == [2.5, 8.0]


async def test_other_errors_are_raised_at_once() -> None:
    delays: list[float] = []
    call = Script(ValueError("bad request"))

    with pytest.raises(ValueError, match="bad request"):
        await policy(delays).run(call, classify=classify, what="t")

    assert (call.calls, delays) == (1, [])


async def test_the_last_transient_error_is_raised_unchanged() -> None:
    delays: list[float] = []
    last = Busy(0.5)

    with pytest.raises(Busy) as caught:
        await policy(delays, attempts=2).run(Script(Busy(), last), classify=classify, what="t")

    assert caught.value is last
    assert len(delays) == 1


@pytest.mark.parametrize(
    ("header", "seconds"), [("7", 7.0), ("0.5", 0.5), (None, None), ("-1", None), ("soon", None)]
)
def test_retry_after_header(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)


def _imports(package: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
    return found


def test_the_recorder_and_its_retry_policy_import_nothing_of_the_bot() -> None:
    assert "bot" not in _imports("recorder")
