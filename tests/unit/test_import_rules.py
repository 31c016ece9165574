"""Which room may import which, read from the source (every import, TYPE_CHECKING ones too)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The emulated Meet sends video in the same wire format the recorder reads: it reuses the
# recorder's pure codec modules (RTP payload descriptors, packetizing, the codec enum) and
# the one place that teaches aiortc VP9 and AV1. Nothing else of the recorder.
RECORDER_CODECS = "recorder.video."

# Which stand-in may use which: Chat and Meet take Google's accounts and errors, the Media
# API serves the calls of the Meet REST store, and Google's state owns that store and the
# media hub. Slack stands alone.
STAND_IN_USES = {
    "slack": set(),
    "gchat": {"google"},
    "google": {"meet_rest", "meet_media"},
    "meet_rest": {"google"},
    "meet_media": {"google", "meet_rest"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _source(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports; ``from pkg import name`` also yields ``pkg.name``."""
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                here = (package or _module_name(path)).split(".")
                module = ".".join(here[: len(here) - node.level + 1] + [module]).strip(".")
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def _graph(package: str) -> dict[str, set[str]]:
    """Module → the project modules it imports, for every module under ``package``."""
    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        graph[_module_name(path)] = {m for m in _imports(path) if _source(m) is not None}
    return graph


def _closure(start: set[str]) -> set[str]:
    """The project modules ``start`` loads, following imports and parent packages."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        module = todo.pop()
        parents = [".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)]
        for name in (module, *parents):
            source = _source(name)
            if name in seen or source is None:
                continue
            seen.add(name)
            todo.extend(m for m in _imports(source) if _source(m) is not None)
    return seen


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def _room(module: str) -> str:
    return module.split(".")[0]


def _part(module: str) -> str:
    """The sandbox subpackage (or top module) a module is in: ``sandbox.slack.api`` → slack."""
    return (module.split(".") + [""])[1]


def test_sandbox_imports_nothing_of_the_bot() -> None:
    """A real Slack or Google knows nothing of the bot: sandbox/ loads no bot/ or storage/."""
    graph = _graph("sandbox")
    loaded = _closure(set(graph))
    assert sorted(m for m in loaded if _room(m) in ("bot", "storage")) == []
    recorder = {m for m in loaded if _room(m) == "recorder"}
    assert recorder, "the rule reads the imports (the emulated Meet uses the recorder's codecs)"
    assert sorted(m for m in recorder if not m.startswith(RECORDER_CODECS)) == [
        "recorder",
        "recorder.video",
    ]


def test_sandbox_modules_import_no_cycle() -> None:
    assert _cycles(_graph("sandbox")) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_emulators_do_not_import_the_control_api_or_the_app() -> None:
    """Emulators are the bottom layer: sandbox/control/ drives them, sandbox/app.py wires all."""
    graph = _graph("sandbox")
    upward = {
        (module, target)
        for module, targets in graph.items()
        if _part(module) in STAND_IN_USES
        for target in targets
        if _part(target) in ("app", "control")
    }
    assert sorted(upward) == []


def test_each_stand_in_uses_only_the_ones_it_needs() -> None:
    graph = _graph("sandbox")
    used = {
        (module, target)
        for module, targets in graph.items()
        if _part(module) in STAND_IN_USES
        for target in targets
        if _part(target) in STAND_IN_USES
        and _part(target) != _part(module)
        and _part(target) not in STAND_IN_USES[_part(module)]
    }
    assert sorted(used) == []


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
