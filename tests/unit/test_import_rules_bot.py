"""The bot's import rules (docs/architecture.md): core platform-neutral, bot/app reached only
from the entry points, bot/web free of the composition root."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, at any depth (type-only and late imports too);
    ``from a import b`` yields both ``a`` and ``a.b`` (b may be a module)."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def _violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for module in _imports(path):
            if any(module == bad or module.startswith(bad + ".") for bad in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {module}")
    return found


def test_the_rules_see_imports() -> None:
    """The checker itself: it finds what the composition root really imports."""
    wiring = set(_imports(ROOT / "bot/app/wiring.py"))
    assert {"bot.web.pages", "aiohttp.web", "bot.slack.app", "recorder.service"} <= wiring


def test_core_is_platform_neutral() -> None:
    """bot/core knows no chat platform, no Google client, no HTTP server, no composition."""
    forbidden = (
        "bot.app",
        "bot.web",
        "bot.slack",
        "bot.gchat",
        "bot.google",
        "slack_bolt",
        "slack_sdk",
        "aiohttp.web",
    )
    assert _violations("bot/core", forbidden) == []


def test_web_pages_import_nothing_of_the_composition_root() -> None:
    """bot/web serves pages from what the composition root hands it through its own AppKeys
    (FILE_SERVER, MEETING_PAGES, CONNECT, READINESS); it imports nothing of bot/app."""
    assert _violations("bot/web", ("bot.app",)) == []


def test_only_entry_points_import_the_composition_root() -> None:
    """Adapters, core, recorder, storage and sandbox are composed; none reaches back into
    bot/app. Only the CLIs (bot/cli.py, bot/record_cli.py) start from it."""
    entry_points = {"bot/cli.py", "bot/record_cli.py"}
    found = []
    for folder in ("bot", "recorder", "storage", "sandbox"):
        found += [
            line
            for line in _violations(folder, ("bot.app",))
            if not line.startswith(("bot/app/", *entry_points))
        ]
    assert found == []
