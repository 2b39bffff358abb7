"""The school's archive (rule 12): the journals of closed periods and the summary sheets of
closed years as files, in a folder ``archive`` inside every backup place, so they live on the
same two media as the backups (001 §10.3; 003 §5.6), with a register in each that proves them.

``register.json`` (written whole to a temporary file, then moved over the old one) lists each
file: what it is (kind, class, year, period), when it was written and for which close of its
period or year (``source``), its SHA-256 and size, and the day it may go (``keep_until``: 25
years for a summary sheet, 5 for a journal, ``core.rules.archive_keep_until``). Nothing here
deletes or overwrites a file: a period closed again gets a second copy (``…_v2.xlsx``).

``catch_up`` writes whatever ``core.archive`` says is due and a place's register does not hold
yet; it is run after every close (nightly, the console, ``/admin``) and by
``schoolbot archive write``: a re-run writes nothing, a newly added place gets every file.
``verify`` reads every file of every place against the registers. Backups' pruning
(``storage.backup.prune``) only ever removes ``schoolbot-*`` folders, never this one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hmac
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from core import rules
from core.archive import JOURNAL, ArchiveItem, ArchiveService
from core.reports import JournalExport, Table
from storage.backup import DIR_MODE, FILE_MODE, backup_dirs, sha256

ARCHIVE = "archive"  # inside each backup place
REGISTER = "register.json"
LOCK = ".lock"  # held while a run writes; a dot file, so not the archive's content
FORMAT = 1
# A name never holds a character a common file system refuses (the class and year come from
# the school's files).
UNSAFE = str.maketrans({c: "_" for c in '<>:"/\\|?*\x00'})


@dataclass(frozen=True, slots=True)
class Entry:
    """A file of the archive, as its register records it."""

    file: str
    kind: str  # "journal", "summary"
    year: str
    class_name: str
    period: int | None
    written_at: datetime
    sha256: str
    size: int
    keep_until: date
    source: str  # the close it copies (ISO time): a new close, a new copy

    @property
    def key(self) -> tuple[str, str, str, int | None]:
        return (self.kind, self.year, self.class_name, self.period)

    def as_json(self) -> dict[str, Any]:
        record = asdict(self)
        record["written_at"] = self.written_at.isoformat()
        record["keep_until"] = self.keep_until.isoformat()
        return record

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Entry:
        return cls(
            str(record["file"]),
            str(record["kind"]),
            str(record["year"]),
            str(record["class_name"]),
            None if record.get("period") is None else int(record["period"]),
            datetime.fromisoformat(record["written_at"]),
            str(record["sha256"]),
            int(record["size"]),
            date.fromisoformat(record["keep_until"]),
            str(record.get("source", "")),
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """What ``verify`` found wrong in one place: «changed», «missing», «unregistered» (a file
    the register does not list) or «unreadable» (a register that cannot be read)."""

    code: str
    place: Path
    file: str


class Render(Protocol):
    """The files' contents in the school's language (``bot.archive_files``)."""

    def journal(self, export: JournalExport) -> bytes: ...

    def summary_xlsx(self, table: Table) -> bytes: ...

    def summary_pdf(self, table: Table) -> bytes: ...


def archive_dirs(settings: Any) -> list[Path]:
    """The archive of each backup place (``BACKUP_DIRS``, or the default beside the database)."""
    return [place / ARCHIVE for place in backup_dirs(settings)]


def read_register(folder: Path) -> list[Entry]:
    """A place's register; empty when nothing was archived there yet."""
    path = folder / REGISTER
    if not path.exists():
        return []
    body = json.loads(path.read_text(encoding="utf-8"))
    return [Entry.from_json(r) for r in body["files"]]


def _private_dir(folder: Path) -> None:
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)


def _write_atomically(path: Path, data: bytes) -> None:
    """The whole file or none of it: a temporary file beside it, synced, then renamed."""
    fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        os.chmod(partial, FILE_MODE)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def _write_register(folder: Path, entries: Sequence[Entry]) -> None:
    body = {"format": FORMAT, "files": [e.as_json() for e in entries]}
    text = json.dumps(body, ensure_ascii=False, indent=2)
    _write_atomically(folder / REGISTER, text.encode("utf-8"))


def _files(item: ArchiveItem) -> tuple[str, ...]:
    return ("xlsx",) if item.kind == JOURNAL else ("xlsx", "pdf")


def _key(item: ArchiveItem) -> tuple[str, str, str, int | None]:
    return (item.kind, item.year, item.class_name, item.period)


def _name(item: ArchiveItem, known: Iterable[Entry], extension: str) -> str:
    """The file's name: the same everywhere a copy of this close already has one; a further
    close of the same period gets the next edition (``…_v2``)."""
    source = item.source.isoformat()
    mine = [e for e in known if e.key == _key(item) and e.file.endswith("." + extension)]
    for e in mine:
        if e.source == source:
            return e.file
    stem = item.stem.translate(UNSAFE)
    editions = len({e.source for e in mine})
    return f"{stem}.{extension}" if not editions else f"{stem}_v{editions + 1}.{extension}"


async def _contents(service: ArchiveService, item: ArchiveItem, render: Render) -> list[bytes]:
    """The item's files; made in a thread, as openpyxl takes about a second for a class's
    journal and the bot keeps answering meanwhile."""
    if item.kind == JOURNAL:
        return [await asyncio.to_thread(render.journal, await service.journal(item))]
    table = await service.summary(item)
    return [
        await asyncio.to_thread(render.summary_xlsx, table),
        await asyncio.to_thread(render.summary_pdf, table),
    ]


async def catch_up(
    service: ArchiveService, folders: Sequence[Path], render: Render, now: datetime
) -> list[Entry]:
    """Writes into every place what is due and not yet in its register; returns what it wrote
    (one entry per file and place). A place's register is saved after each item, so a run cut
    short keeps what it finished and the next one does the rest."""
    if not folders:
        return []
    for folder in folders:
        _private_dir(folder)
    with contextlib.ExitStack() as held:
        for folder in folders:  # the bot, the nightly job and the console never write at once
            held.enter_context(await asyncio.to_thread(_locked, folder))
        return await _catch_up(service, folders, render, now)


@contextlib.contextmanager
def _held(fp: IO[bytes]) -> Iterator[None]:
    try:
        yield
    finally:
        fcntl.flock(fp, fcntl.LOCK_UN)
        fp.close()


def _locked(folder: Path) -> contextlib.AbstractContextManager[None]:
    """An exclusive lock on the place's archive (``.lock``), waited for."""
    fp = open(folder / LOCK, "ab")  # closed by _held
    fcntl.flock(fp, fcntl.LOCK_EX)
    return _held(fp)


async def _catch_up(
    service: ArchiveService, folders: Sequence[Path], render: Render, now: datetime
) -> list[Entry]:
    registers = {folder: read_register(folder) for folder in folders}
    written: list[Entry] = []
    for item in await service.due():
        known = [e for entries in registers.values() for e in entries]
        names = [_name(item, known, ext) for ext in _files(item)]
        todo = [f for f in folders if not set(names) <= {e.file for e in registers[f]}]
        if not todo:
            continue
        contents = await _contents(service, item, render)
        for folder in todo:
            have = {e.file for e in registers[folder]}
            for name, data in zip(names, contents, strict=True):
                if name in have:
                    continue
                await asyncio.to_thread(_write_atomically, folder / name, data)
                entry = Entry(
                    name,
                    item.kind,
                    item.year,
                    item.class_name,
                    item.period,
                    now,
                    sha256(folder / name),
                    len(data),
                    rules.archive_keep_until(item.kind, now.date()),
                    item.source.isoformat(),
                )
                registers[folder].append(entry)
                written.append(entry)
            _write_register(folder, registers[folder])
    return written


def verify(folders: Sequence[Path]) -> list[Problem]:
    """Every file of every place against its register's checksum; a file one place's register
    lists must be in every place; a file no register lists is named too."""
    problems: list[Problem] = []
    registers: dict[Path, list[Entry]] = {}
    for folder in folders:
        try:
            registers[folder] = read_register(folder)
        except (OSError, ValueError, KeyError, TypeError):
            problems.append(Problem("unreadable", folder, REGISTER))
            registers[folder] = []
    everywhere = {e.file: e for entries in registers.values() for e in entries}
    for folder in folders:
        listed = {e.file: e for e in registers[folder]}
        for name, entry in sorted(everywhere.items()):
            path = folder / name
            if not path.is_file():
                problems.append(Problem("missing", folder, name))
            elif not hmac.compare_digest(sha256(path), listed.get(name, entry).sha256):
                problems.append(Problem("changed", folder, name))
        if folder.is_dir():
            extra = sorted(
                p.name
                for p in folder.iterdir()
                if p.name != REGISTER and not p.name.startswith(".") and p.name not in everywhere
            )
            problems += [Problem("unregistered", folder, name) for name in extra]
    return problems


def listing(folders: Sequence[Path]) -> list[tuple[Entry, int]]:
    """Each file once, with the number of places holding it in their register, by name."""
    found: dict[str, tuple[Entry, int]] = {}
    for folder in folders:
        try:
            entries = read_register(folder)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for e in entries:
            first, n = found.get(e.file, (e, 0))
            found[e.file] = (first, n + 1)
    return [found[name] for name in sorted(found)]
