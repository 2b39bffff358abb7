"""What every ``schoolbot`` subcommand module shares: the console's context, its refusal, and
the argument types and file writes they all use. The command modules (``bot.cli`` and the
``bot.cli_*`` it registers) import this and nothing of each other's entry point, so the console
has no import circle."""

from __future__ import annotations

import argparse
import os
import tempfile
from datetime import date
from pathlib import Path

from app.config import Settings
from locales import translations


class CliError(Exception):
    """A refusal already phrased for the console."""


class Context:
    """One console command's settings, language and clock; ``database()`` opens the school."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.locale = settings.default_locale
        self._ = translations(self.locale).gettext
        self.clock = settings.clock()

    async def database(self):
        from notifications.fanout import Fanout
        from storage.db import Database

        # What a console command changes is pushed like a change made in the bot.
        fanout = Fanout(self.clock, running=self.settings.messengers or None)
        return Database.connect(self.settings.database_url, fanout=fanout)


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("use YYYY-MM-DD") from None


def writable(path: Path) -> bool:
    parent = path.resolve().parent
    return parent.is_dir() and os.access(parent, os.W_OK) and not path.is_dir()


def write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.resolve().parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fp:
        fp.write(text)
    os.replace(tmp, path)


def save_bytes(path: Path, data: bytes) -> None:
    """Whole or not at all: written beside, then renamed over."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_bytes(ctx: Context, path: Path, data: bytes) -> None:
    """A file the console writes, whole or not at all; says where it went."""
    if not writable(path):
        raise CliError(ctx._("Cannot write the file {path}.").format(path=path))
    save_bytes(path, data)
    print(ctx._("Written: {path}").format(path=path))
