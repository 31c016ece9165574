"""Test-wide rules: loopback-only network, a clean environment, and the shared fixtures."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

pytest_plugins = [
    "tests.fixtures_db",
    "tests.fixtures_bot",
    "tests.adapters.google_emulator",
    "tests.fixtures_gchat",
]

_PREFIXES = ("MEETBOT_", "SLACK_", "GOOGLE_")
_KEEP = {"MEETBOT_TEST_POSTGRES_URL"}
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _loopback(address):
        raise ConnectionRefusedError(f"tests are loopback-only: refused {address!r}")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _loopback(address):
        raise ConnectionRefusedError(f"tests are loopback-only: refused {address!r}")
    return _real_connect_ex(self, address)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def clean_environ() -> Iterator[None]:
    """No developer's MEETBOT_*/SLACK_*/GOOGLE_* variables leak into a test."""
    saved = {k: v for k, v in os.environ.items() if k.startswith(_PREFIXES) and k not in _KEEP}
    for key in saved:
        del os.environ[key]
    os.environ["SKIP_SLACK_SDK_WARNING"] = "1"
    yield
    os.environ.update(saved)
