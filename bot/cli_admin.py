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
from bot.messages import N_
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


BACKUP_PROBLEMS = {
    "no_schema": N_("The database has no schema: run schoolbot db upgrade first."),
    "no_manifest": N_("{path} is not a backup: there is no SHA256SUMS or manifest.json."),
    "missing_file": N_("The backup is incomplete: {file} is missing."),
    "checksum_mismatch": N_("The backup is damaged: {file} does not match its SHA-256."),
    "row_count_mismatch": N_("The backup is damaged: {file} has {found} rows, not {expected}."),
    "bad_format": N_("This backup format ({value}) is not known to this version."),
    "unknown_revision": N_("The backup's schema {revision} is newer than this program."),
    "unknown_table": N_("The backup has a table this program does not know: {table}."),
    "not_empty": N_("The database is not empty; restore only into an empty database."),
}


def _backup_error(ctx: _Context, exc: Exception) -> CliError:
    template = BACKUP_PROBLEMS.get(getattr(exc, "code", ""), "{error}")
    facts = {**getattr(exc, "facts", {}), "error": exc}
    return CliError(ctx._(template).format(**facts))


async def cmd_backup(ctx: _Context, args: argparse.Namespace) -> None:
    from storage.backup import BackupError, backup, verify

    if args.backup_command == "verify":
        try:
            info = verify(args.dir)
        except BackupError as exc:
            raise _backup_error(ctx, exc) from exc
        print(
            ctx._("The backup is intact: {rows} rows in {tables} tables, schema {revision}.").format(
                rows=info.total, tables=len(info.rows), revision=info.revision
            )
        )
        return
    if args.out is None:
        raise CliError(ctx._("Please give --out DIR (or: backup verify DIR)."))
    database = await ctx.database()
    try:
        info = await backup(database, args.out, ctx.clock.now())
    except BackupError as exc:
        raise _backup_error(ctx, exc) from exc
    finally:
        await database.dispose()
    print(
        ctx._("Backup written to {path}: {rows} rows in {tables} tables, SHA-256 checked.").format(
            path=info.path, rows=info.total, tables=len(info.rows)
        )
    )


async def cmd_restore(ctx: _Context, args: argparse.Namespace) -> None:
    from storage.backup import BackupError, restore

    try:
        info = await restore(args.dir, ctx.settings.database_url)
    except BackupError as exc:
        raise _backup_error(ctx, exc) from exc
    print(
        ctx._("Restored {rows} rows in {tables} tables from {path}.").format(
            rows=info.total, tables=len(info.rows), path=info.path
        )
    )


def register(sub: argparse._SubParsersAction) -> None:
    bk = sub.add_parser(
        "backup",
        help="an online backup with a SHA-256 manifest; backup verify DIR checks one",
        description="Writes DIR/schoolbot-<time>/ while the bot keeps running: every table "
        "(a consistent snapshot), SHA256SUMS and, on SQLite, a copy made with SQLite's backup "
        "API. Scheduled backups go to BACKUP_DIRS.",
    )
    bk.add_argument("--out", type=Path, metavar="DIR", help="the folder to write the backup in")
    bk.set_defaults(handler=cmd_backup, backup_command=None)
    bk_sub = bk.add_subparsers(dest="backup_command", metavar="ACTION")
    ver = bk_sub.add_parser("verify", help="check a backup's files against its SHA-256 sums")
    ver.add_argument("dir", type=Path, metavar="DIR", help="a schoolbot-<time> folder")
    ver.set_defaults(handler=cmd_backup)
    rs = sub.add_parser(
        "restore",
        help="restore a backup into an empty database (DATABASE_URL)",
        description="Verifies the backup, then creates the schema and every row in one "
        "transaction; refuses a database that is not empty.",
    )
    rs.add_argument("dir", type=Path, metavar="DIR", help="a schoolbot-<time> folder")
    rs.set_defaults(handler=cmd_restore)

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
