"""The journal administrator's console commands: imports, access, periods, the audit log,
exports and reports, backups. Registered into ``schoolbot`` by ``bot.cli.build_parser``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot.cli import CliError, _Context
from bot.import_text import describe_problem, tally_lines
from core.access import SYSTEM
from core.import_apply import ImportReport, ImportService, Progress


class ProgressBar:
    """One console bar over an import's stages; silent when nothing is to be done."""

    def __init__(self, ctx: _Context, title: str) -> None:
        self.bar = tqdm(total=0, desc=title, unit=ctx._("rows"), file=sys.stderr, leave=True)
        self.title = title

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.bar.total = total
        self.bar.set_description(f"{self.title}: {stage}")
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def print_report(ctx: _Context, report: ImportReport) -> None:
    for problem in report.warnings:
        print(ctx._("warning: {text}").format(text=describe_problem(problem, ctx._)))
    if report.errors:
        for problem in report.errors:
            print(describe_problem(problem, ctx._), file=sys.stderr)
        raise CliError(
            ctx._("Nothing was imported: {n} errors, listed above.").format(n=len(report.errors))
        )
    for line in tally_lines(report, ctx._):
        print(line)
    if report.applied:
        print(ctx._("Imported."))
    else:
        print(ctx._("Checked only (--dry-run): nothing was changed."))


async def _import(
    ctx: _Context,
    args: argparse.Namespace,
    run: Callable[[ImportService, Progress], Any],
    title: str,
) -> None:
    database = await ctx.database()
    bar = ProgressBar(ctx, title)
    try:
        report = await run(ImportService(database.uow, ctx.clock), bar)
    finally:
        bar.close()
        await database.dispose()
    print_report(ctx, report)


def _read(ctx: _Context, read: Callable[[], Any]) -> Any:
    from storage.importers import ImportFileError

    try:
        return read()
    except ImportFileError as exc:
        for problem in exc.problems:
            print(describe_problem(problem, ctx._), file=sys.stderr)
        raise CliError(ctx._("Nothing was imported: the file cannot be read.")) from exc


async def cmd_import_roster(ctx: _Context, args: argparse.Namespace) -> None:
    from core.imports import ALIASES
    from storage.importers import read_tables

    tables = _read(ctx, lambda: read_tables(args.files, ALIASES))
    await _import(
        ctx,
        args,
        lambda s, bar: s.roster(SYSTEM, tables, apply=not args.dry_run, progress=bar),
        ctx._("Roster"),
    )


async def cmd_import_timetable(ctx: _Context, args: argparse.Namespace) -> None:
    from core.imports import ALIASES
    from storage.importers import read_tables

    tables = _read(ctx, lambda: read_tables(args.files, ALIASES))
    await _import(
        ctx,
        args,
        lambda s, bar: s.timetable(SYSTEM, tables, apply=not args.dry_run, progress=bar),
        ctx._("Timetable"),
    )


async def cmd_import_oneroster(ctx: _Context, args: argparse.Namespace) -> None:
    from storage.importers import read_oneroster

    tables = _read(ctx, lambda: read_oneroster(args.path))
    await _import(
        ctx,
        args,
        lambda s, bar: s.oneroster(
            SYSTEM, tables, apply=not args.dry_run, school=args.school, progress=bar
        ),
        "OneRoster",
    )


def register(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser(
        "import",
        help="import a roster, a timetable or a OneRoster bundle (all or nothing)",
        description="Each import is one transaction: a file imports whole or not at all. "
        "Formats are described in the README; examples are in examples/.",
    )
    imp_sub = imp.add_subparsers(dest="import_command", metavar="WHAT", required=True)
    roster = imp_sub.add_parser(
        "roster",
        help="students, guardians, staff, subjects, subgroups, calendar (CSV or XLSX)",
        description="Imports students, guardians and their links, staff and their roles, "
        "subjects, subgroups and the calendar. Re-importing updates by id; students missing "
        "from a students table are marked as having left.",
    )
    roster.add_argument("files", nargs="+", type=Path, metavar="FILE", help="CSV or XLSX files")
    roster.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
    roster.set_defaults(handler=cmd_import_roster)
    timetable = imp_sub.add_parser(
        "timetable",
        help="the weekly timetable and the bells (CSV or XLSX)",
        description="Imports the weekly timetable and bell times. Lines missing from a new "
        "timetable end yesterday; nothing is deleted.",
    )
    timetable.add_argument("files", nargs="+", type=Path, metavar="FILE")
    timetable.add_argument("--dry-run", action="store_true", help="check and report only")
    timetable.set_defaults(handler=cmd_import_timetable)
    oneroster = imp_sub.add_parser(
        "oneroster",
        help="a OneRoster 1.1 or 1.2 CSV bundle (a folder or a zip)",
        description="Imports orgs, academic sessions, courses, classes, users with their "
        "guardians, enrollments, demographics and, when present, gradebook results as marks.",
    )
    oneroster.add_argument("path", type=Path, metavar="PATH", help="a folder or a zip")
    oneroster.add_argument("--school", metavar="SOURCEDID", help="the org to import")
    oneroster.add_argument("--dry-run", action="store_true", help="check and report only")
    oneroster.set_defaults(handler=cmd_import_oneroster)
