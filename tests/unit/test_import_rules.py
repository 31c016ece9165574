"""Which room may import which, read from the source (every import, TYPE_CHECKING ones too)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _every_import(path: Path) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """(line, module, names) of each import in ``path``; a plain ``import m`` has no names."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, tuple(alias.name for alias in node.names)


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def _recorders_public_names() -> set[str]:
    stub = ast.parse((ROOT / "recorder" / "__init__.pyi").read_text(encoding="utf-8"))
    [names] = [
        node.value
        for node in stub.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert isinstance(names, ast.List)
    return {ast.literal_eval(e) for e in names.elts}


def test_core_uses_only_the_recorders_public_api() -> None:
    """bot/core imports ``from recorder import <public name>`` and nothing deeper; the
    recorder imports nothing of the bot (it is a library the bot hosts)."""
    public = _recorders_public_names()
    core = sorted((ROOT / "bot" / "core").rglob("*.py"))
    deeper: list[str] = []
    used: set[str] = set()
    for path in core:
        where = path.relative_to(ROOT)
        for line, module, names in _every_import(path):
            if not _in(module, "recorder"):
                continue
            if module != "recorder" or not names or not set(names) <= public:
                deeper.append(f"{where}:{line} {module} {', '.join(names)}".strip())
            used.update(names)
    assert deeper == []
    assert {"Recorder", "RecordingJob", "Outcome"} & used, "the rule reads core's imports"

    backwards = [
        f"{path.relative_to(ROOT)}:{line} {module}"
        for path in sorted((ROOT / "recorder").rglob("*.py"))
        for line, module, _ in _every_import(path)
        if _in(module, "bot")
    ]
    assert backwards == []
