"""``schoolbot archive list|verify|write``: the school's archive in every backup place (rule 12;
``storage.archive``): the journals of closed periods, the summary sheets of closed years, and
the register that proves them. ``period close`` and ``year new`` write into it too."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from app.messages import N_
from bot.cli_common import CliError, Context

if TYPE_CHECKING:
    from storage.archive import Entry, Problem

KINDS = {"journal": N_("journal"), "summary": N_("summary sheet")}
PROBLEMS = {
    "changed": N_("changed: {file} in {place} does not match its SHA-256 in the register"),
    "missing": N_("missing: {file} is not in {place}"),
    "unregistered": N_("not in the register: {file} in {place}"),
    "unreadable": N_("the register of {place} cannot be read"),
}


def _folders(ctx: Context, given: list[Path] | None) -> list[Path]:
    from storage.archive import archive_dirs

    folders = list(given or archive_dirs(ctx.settings))
    if not folders:
        raise CliError(ctx._("Backups and the archive are turned off (BACKUP_DIRS=off)."))
    return folders


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1 << 20 else f"{n / (1 << 20):.1f} MB"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def entry_rows(ctx: Context, found: list[tuple[Entry, int]], places: int) -> list[str]:
    head = [
        ctx._("File"),
        ctx._("What"),
        ctx._("Class"),
        ctx._("Period"),
        ctx._("Written"),
        ctx._("Size"),
        ctx._("Keep until"),
        ctx._("Places"),
        "SHA-256",
    ]
    rows = [
        [
            e.file,
            ctx._(KINDS.get(e.kind, e.kind)),
            e.class_name,
            str(e.period) if e.period is not None else e.year,
            e.written_at.astimezone(ctx.clock.tz).strftime("%d.%m.%Y %H:%M"),
            _size(e.size),
            e.keep_until.strftime("%d.%m.%Y"),
            f"{n}/{places}",
            e.sha256[:12],
        ]
        for e, n in found
    ]
    return _table([head, *rows])


async def cmd_list(ctx: Context, args: argparse.Namespace) -> None:
    from storage.archive import listing

    folders = _folders(ctx, args.dir)
    found = listing(folders)
    print(ctx._("Archive: {places}").format(places=", ".join(str(f) for f in folders)))
    if not found:
        print(ctx._("Nothing is in the archive yet: it fills as periods and years close."))
        return
    print("\n".join(entry_rows(ctx, found, len(folders))))


def problem_line(ctx: Context, problem: Problem) -> str:
    return ctx._(PROBLEMS[problem.code]).format(file=problem.file, place=problem.place)


async def cmd_verify(ctx: Context, args: argparse.Namespace) -> None:
    from storage.archive import listing, verify

    folders = _folders(ctx, args.dir)
    problems = verify(folders)
    if problems:
        raise CliError("\n".join(problem_line(ctx, p) for p in problems))
    files = len(listing(folders))
    print(
        ctx._("The archive is intact: {files} files in {places} places match the register.").format(
            files=files, places=len(folders)
        )
    )


async def write_archive(ctx: Context, database, closing: bool = True) -> None:  # type: ignore[no-untyped-def]
    """What the archive lacks, written and said; after ``period close`` and ``year new`` too
    (``closing``: a failure says the close stands)."""
    from app.archive import Archiver

    try:
        written = await Archiver(database.uow, ctx.clock).catch_up(ctx.settings)
    except OSError as exc:  # the close stands; the next run (or tonight's) writes it
        if not closing:
            raise
        raise CliError(
            ctx._(
                "It is closed, but the archive could not be written ({problem}). It will be "
                "tried again tonight, or run: schoolbot archive write"
            ).format(problem=exc.strerror or type(exc).__name__)
        ) from exc
    if not written:
        print(ctx._("The archive already holds everything closed; nothing new was written."))
        return
    files = sorted({e.file for e in written})
    print(ctx._("Written to the archive ({n}):").format(n=len(files)))
    print("\n".join(f"  {name}" for name in files))


async def cmd_write(ctx: Context, args: argparse.Namespace) -> None:
    _folders(ctx, None)
    database = await ctx.database()
    try:
        await write_archive(ctx, database, closing=False)
    finally:
        await database.dispose()


def register(sub: argparse._SubParsersAction) -> None:
    ar = sub.add_parser(
        "archive",
        help="the archive of journals and summary sheets: list, verify, write",
        description="The archive lives in a folder 'archive' inside every backup place "
        "(BACKUP_DIRS, or 'backups' beside the database): each closed period's journal per "
        "class as <year>_<period>_<class>.xlsx (kept 5 years), each closed year's summary sheet "
        "per class as <year>_year_<class>.xlsx and .pdf (kept 25 years), and register.json with "
        "every file's SHA-256, size, date and keep-until. Nothing is deleted from it.",
    )
    ar_sub = ar.add_subparsers(dest="archive_command", metavar="ACTION", required=True)
    ls = ar_sub.add_parser("list", help="print the register: every file, when, its size, until")
    ls.add_argument("--dir", type=Path, action="append", help="an archive folder (repeatable)")
    ls.set_defaults(handler=cmd_list)
    ver = ar_sub.add_parser(
        "verify",
        help="check every file of every place against the register",
        description="Reads every file in every archive folder and compares its SHA-256 with the "
        "register; exits 1 naming each changed or missing file and each file not in the "
        "register.",
    )
    ver.add_argument("--dir", type=Path, action="append", help="an archive folder (repeatable)")
    ver.set_defaults(handler=cmd_verify)
    wr = ar_sub.add_parser(
        "write",
        help="write what the archive still lacks (closed periods and years); a re-run writes "
        "nothing new",
    )
    wr.set_defaults(handler=cmd_write)
