"""The recorder's public API: what `recorder/__init__.pyi` declares is what the package serves."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import recorder

STUB = Path(recorder.__file__).with_suffix(".pyi")


def _stub() -> tuple[list[str], dict[str, tuple[str, str]]]:
    """The stub's ``__all__`` and, for each name it imports, (module, name in that module)."""
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    declared: list[str] = []
    sources: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                sources[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            declared = [ast.literal_eval(e) for e in node.value.elts]
    return declared, sources


def _resolve(module: str, name: str) -> object:
    try:
        return importlib.import_module(f"{module}.{name}")  # a submodule
    except ModuleNotFoundError:
        return getattr(importlib.import_module(module), name)


def test_the_stub_declares_exactly_what_the_package_serves() -> None:
    declared, sources = _stub()
    assert len(declared) == len(set(declared))
    assert set(declared) == set(sources) == set(recorder.__all__)


def test_every_name_is_the_object_of_the_module_it_comes_from() -> None:
    _, sources = _stub()
    for name, (module, attr) in sources.items():
        assert getattr(recorder, name) is _resolve(module, attr), name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="Nope"):
        recorder.Nope  # type: ignore[attr-defined]  # noqa: B018


def test_importing_the_package_loads_nothing_of_the_recorder() -> None:
    """A light module (the retry policy, the sandbox's video codecs) stays light."""
    probe = (
        "import sys, recorder; print(sorted(m for m in sys.modules if m.startswith('recorder.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
