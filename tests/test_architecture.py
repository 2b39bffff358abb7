"""The layout's import rules (DESIGN.md, layout table), checked by walking the source with ast."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {"core", "storage", "notifications", "app", "handlers", "bot", "locales"}

# What each layer may import besides the standard library and itself.
ALLOWED: dict[str, set[str]] = {
    "core": {"pydantic"},
    "storage": {"core", "sqlalchemy", "aiosqlite", "alembic", "faker", "openpyxl", "cryptography"},
    "notifications": {"core", "storage", "apscheduler", "locales", "babel", "redis"},
    # what the screens are made of (app/): the files and pictures, the settings, aiogram's types
    "app": {
        *("core", "storage", "locales", "aiogram", "babel", "pydantic", "pydantic_settings"),
        *("openpyxl", "fpdf", "qrcode", "matplotlib", "apscheduler"),
    },
    "handlers": {"core", "app", "aiogram", "locales", "babel", "magic_filter"},
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


# --- the messengers' kits (issue #13: MAX beside Telegram) ------------------------------------

APPLICATION = sorted(PROJECT)
MAX_KIT = ROOT / "bot" / "max"


def imported_modules(path: Path) -> set[str]:
    """``modules_imported`` with ``from app import keyboards`` read as ``app.keyboards`` too."""
    found = modules_imported(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "bot":
            found.update(f"bot.{alias.name}" for alias in node.names)
    return found


def _is(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_only_the_max_kit_imports_maxapi() -> None:
    """MAX's library stops at ``bot/max/``: its types never reach a screen, a push or the
    domain (lazy imports inside functions count)."""
    offences = [
        str(path.relative_to(ROOT))
        for layer in APPLICATION
        for path in layer_files(layer)
        if not path.is_relative_to(MAX_KIT)
        and any(_is(m, "maxapi") for m in imported_modules(path))
    ]
    assert not offences, f"maxapi outside bot/max/: {offences}"


@pytest.mark.parametrize("layer", ["core", "storage", "notifications"])
def test_the_inner_layers_know_no_messenger(layer: str) -> None:
    """The domain, the storage and the delivery queue import no messenger library, and
    nothing of the front-ends (``bot``, ``handlers``): either messenger plugs in from above."""
    forbidden = ("aiogram", "maxapi", "bot", "handlers")
    offences = sorted(
        f"{path.relative_to(ROOT)}: {m}"
        for path in layer_files(layer)
        for m in imported_modules(path)
        if any(_is(m, x) for x in forbidden)
    )
    assert not offences, f"{layer}/ imports a messenger or a front-end: {offences}"


# bot/ is the composition root, the console and the messengers' kits: it imports the rest, and
# nothing outside it imports any of it (the handlers stand on app/, not on bot/).
TELEGRAM_KIT = ROOT / "bot" / "telegram"
# aiogram's transports (its HTTP session to Telegram, the Bot API server's address, its webhook):
# only the kits build them; the handlers, the screens and the root use aiogram's types only.
TRANSPORTS = ("aiogram.client.session.aiohttp", "aiogram.client.telegram", "aiogram.webhook")


@pytest.mark.parametrize("layer", sorted(PROJECT - {"bot"}))
def test_nothing_imports_the_root_or_a_kit(layer: str) -> None:
    offences = sorted(
        f"{path.relative_to(ROOT)}: {m}"
        for path in layer_files(layer)
        for m in imported_modules(path)
        if _is(m, "bot")
    )
    assert not offences, f"{layer}/ imports bot/: {offences}"


def test_only_the_kits_build_a_transport() -> None:
    offences = sorted(
        f"{path.relative_to(ROOT)}: {m}"
        for layer in APPLICATION
        for path in layer_files(layer)
        if not (path.is_relative_to(MAX_KIT) or path.is_relative_to(TELEGRAM_KIT))
        for m in imported_modules(path)
        if any(_is(m, t) for t in TRANSPORTS)
    )
    assert not offences, f"a messenger's transport outside its kit: {offences}"


def test_the_kit_rules_catch_a_lazy_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from app import keyboards\n"
        "def f():\n    import maxapi.types\n    from bot.runner import run\n"
    )
    found = imported_modules(bad)
    assert {"app.keyboards", "maxapi.types", "bot.runner"} <= found
