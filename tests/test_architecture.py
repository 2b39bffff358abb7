"""The layout's import rules (DESIGN.md, layout table), checked by walking the source with ast."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {"core", "storage", "notifications", "handlers", "bot", "locales"}

# What each layer may import besides the standard library and itself.
ALLOWED: dict[str, set[str]] = {
    "core": {"pydantic"},
    "storage": {"core", "sqlalchemy", "aiosqlite", "alembic", "faker", "openpyxl", "cryptography"},
    "notifications": {"core", "storage", "apscheduler", "locales", "babel", "redis"},
    "handlers": {"core", "bot", "aiogram", "locales", "babel", "magic_filter"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def layer_files(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    allowed = ALLOWED[layer] | {layer} | set(sys.stdlib_module_names) | {"__future__"}
    offences = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in layer_files(layer)
        for name in imports_of(path)
        if name not in allowed
    }
    assert not offences, f"{layer}/ imports what it may not: {sorted(offences)}"


def test_core_is_messenger_agnostic() -> None:
    """No Telegram word in the domain: a second messenger front-end must fit."""
    for path in layer_files("core"):
        text = path.read_text(encoding="utf-8").lower()
        assert "telegram" not in text and "aiogram" not in text, path


def test_the_rule_itself_catches_an_offence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom aiogram import Bot\nfrom core.model import Mark\n")
    assert imports_of(bad) == {"sqlalchemy", "aiogram", "core"}


def modules_imported(path: Path) -> set[str]:
    """The full dotted names ``path`` imports, lazy imports inside functions too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_console_has_no_circle() -> None:
    """``bot.cli`` registers the ``bot.cli_*`` command modules; they share ``bot.cli_common`` and
    never import the entry point back, nor does the shared module import any command module."""
    commands = sorted((ROOT / "bot").glob("cli_*.py"))
    assert len(commands) >= 6
    for path in commands:
        imported = modules_imported(path)
        assert "bot.cli" not in imported, path
        if path.name == "cli_common.py":
            assert not any(m.startswith("bot.cli_") for m in imported), path
