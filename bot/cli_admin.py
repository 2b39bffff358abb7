"""The journal administrator's console commands: imports, access, periods, the audit log,
exports and reports (backups: ``bot.cli_backup``). Registered into ``schoolbot`` by
``bot.cli.build_parser``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from app.batches import console_reads
from app.import_text import ENTITIES, describe_problem, tally_lines
from bot import cli_backup
from bot.cli_common import CliError, Context, write_bytes
from core.access import CONSOLE
from core.import_apply import ImportReport, ImportService, Progress
from core.model import MarkValue, PersonRole
from core.people import find_person


class ProgressBar:
    """One console bar over an import's stages; silent when nothing is to be done."""

    def __init__(self, ctx: Context, title: str) -> None:
        self.bar = tqdm(total=0, desc=title, unit=ctx._("rows"), file=sys.stderr, leave=True)
        self.title = title
        self.gettext = ctx._

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.bar.total = total
        stage = self.gettext(ENTITIES[stage]) if stage in ENTITIES else stage
        self.bar.set_description(f"{self.title}: {stage}")
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def print_report(ctx: Context, report: ImportReport) -> None:
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
    ctx: Context,
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


def _read(ctx: Context, read: Callable[[], Any]) -> Any:
    from storage.importers import ImportFileError

    try:
        return read()
    except ImportFileError as exc:
        for problem in exc.problems:
            print(describe_problem(problem, ctx._), file=sys.stderr)
        raise CliError(ctx._("Nothing was imported: the file cannot be read.")) from exc


def read_files(ctx: Context, paths: list[Path]) -> Any:
    """The school's CSV and XLSX files as tables; an unreadable one is told with its line."""
    from core.imports import ALIASES
    from storage.importers import read_tables

    return _read(ctx, lambda: read_tables(paths, ALIASES))


async def cmd_import_roster(ctx: Context, args: argparse.Namespace) -> None:
    tables = read_files(ctx, args.files)
    await _import(
        ctx,
        args,
        lambda s, bar: s.roster(CONSOLE, tables, apply=not args.dry_run, progress=bar),
        ctx._("Roster"),
    )


async def cmd_import_timetable(ctx: Context, args: argparse.Namespace) -> None:
    tables = read_files(ctx, args.files)
    await _import(
        ctx,
        args,
        lambda s, bar: s.timetable(CONSOLE, tables, apply=not args.dry_run, progress=bar),
        ctx._("Timetable"),
    )


async def cmd_import_oneroster(ctx: Context, args: argparse.Namespace) -> None:
    from storage.importers import read_oneroster

    tables = _read(ctx, lambda: read_oneroster(args.path))
    await _import(
        ctx,
        args,
        lambda s, bar: s.oneroster(
            CONSOLE, tables, apply=not args.dry_run, school=args.school, progress=bar
        ),
        "OneRoster",
    )


def register(sub: argparse._SubParsersAction) -> None:
    cli_backup.register(sub)
    register_more(sub)

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


# -- exports and reports ------------------------------------------------------------------------


async def _reports(ctx: Context):
    """The database and the reports, whose reads are on record: close ``reports.reads``."""
    from core.reports import ReportService

    database = await ctx.database()
    return database, ReportService(database.uow, ctx.clock, console_reads(database.uow, ctx.clock))


async def cmd_export(ctx: Context, args: argparse.Namespace) -> None:
    from app.admin_files import report_xlsx

    database, reports = await _reports(ctx)
    try:
        if args.export_command == "journal":
            export = await reports.journal(CONSOLE, args.class_name, args.period)
            out: Path = args.out
            path = out if out.suffix.lower() == ".xlsx" else out / export.file_name
            write_bytes(ctx, path, report_xlsx(export, ctx.locale))
        else:
            async with database.uow(readonly=True) as uow:
                student = await find_person(uow, PersonRole.STUDENT, args.student)
            table = await reports.statement(CONSOLE, student)
            write_bytes(ctx, args.out, report_xlsx(table, ctx.locale))
    finally:
        await reports.reads.close()  # type: ignore[attr-defined]
        await database.dispose()


def _month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(x) for x in text.split("-"))
        if not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError("use YYYY-MM") from None
    return year, month


def _date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("use YYYY-MM-DD") from None


REPORTS = (
    "marks-summary",
    "results",
    "attendance",
    "monthly",
    "quality",
    "guardians",
    "movement",
    "preliminary",
    "substitutions",
    "corrections",
)


async def cmd_report(ctx: Context, args: argparse.Namespace) -> None:
    from app.admin_files import report_xlsx
    from core.control import ControlReports

    kind = args.kind
    needs_class = kind not in ("quality", "movement", "preliminary", "substitutions", "corrections")
    if needs_class and not args.class_name:
        raise CliError(ctx._("This report needs --class."))
    if kind == "monthly" and args.month is None:
        raise CliError(ctx._("This report needs --month YYYY-MM."))
    if kind in ("attendance", "movement", "substitutions") and (
        args.start is None or args.end is None
    ):
        raise CliError(ctx._("This report needs --from and --to."))
    database, reports = await _reports(ctx)
    try:
        if kind == "marks-summary":
            table = await reports.marks_summary(CONSOLE, args.class_name, args.period)
        elif kind == "results":
            table = await reports.class_results(CONSOLE, args.class_name, args.period)
        elif kind == "attendance":
            table = await reports.attendance_summary(CONSOLE, args.class_name, args.start, args.end)
        elif kind == "monthly":
            table = await reports.monthly_attendance(CONSOLE, args.class_name, *args.month)
        elif kind == "quality":
            table = await reports.journal_quality(CONSOLE, args.period)
        elif kind == "guardians":
            table = await reports.guardians_activity(CONSOLE, args.class_name)
        elif kind == "corrections":
            table = await reports.corrections(CONSOLE, args.period)
        elif kind == "preliminary":
            table = await ControlReports(reports).preliminary(CONSOLE, args.class_name, args.period)
        elif kind == "substitutions":
            table = await ControlReports(reports).substitutions(CONSOLE, args.start, args.end)
        else:
            table = await reports.movement(CONSOLE, args.start, args.end)
    finally:
        await reports.reads.close()  # type: ignore[attr-defined]
        await database.dispose()
    write_bytes(ctx, args.out, report_xlsx(table, ctx.locale))


# -- periods and the audit log ------------------------------------------------------------------


async def cmd_period(ctx: Context, args: argparse.Namespace) -> None:
    from babel.dates import format_date

    from core.school_admin import SchoolAdminService
    from locales import terms

    def name(p) -> str:  # type: ignore[no-untyped-def]
        return terms.period(ctx._, ctx.locale, p.kind, p.number)

    def day(value) -> str:  # type: ignore[no-untyped-def]
        return format_date(value, "dd.MM.yyyy", locale=ctx.locale)

    database = await ctx.database()
    try:
        async with database.uow(readonly=True) as uow:
            year = await uow.years.containing(ctx.clock.today())
            periods = await uow.periods.for_year(year.id) if year else []
        if args.period_command == "list":
            for p in periods:
                state = ctx._("period.closed") if p.closed else ctx._("period.open")
                # the number first: it is what the other commands take
                print(f"{p.number}  {name(p)}  {day(p.starts_on)} – {day(p.ends_on)}  {state}")
            return
        period = next((p for p in periods if p.number == args.number), None)
        if period is None:
            raise CliError(
                ctx._("There is no period {n} in the current school year.").format(n=args.number)
            )
        service = SchoolAdminService(database.uow, ctx.clock)
        if args.period_command == "move":
            _, plan = await service.move_period(
                CONSOLE, period.id, args.start, args.end, args.reason
            )
            print(
                ctx._("{period} now runs {dates}.").format(
                    period=name(period), dates=f"{day(args.start)} – {day(args.end)}"
                )
            )
            from app.school_text import plan_lines

            print("\n".join(plan_lines(plan, ctx._, ctx.locale)))
        elif args.period_command == "close":
            await service.close_period(CONSOLE, period.id)
            print(ctx._("Closed: {period}.").format(period=name(period)))
            from bot.cli_archive import write_archive

            await write_archive(ctx, database)  # rule 12: its journals, per class
        else:
            await service.reopen_period(CONSOLE, period.id, args.reason)
            print(ctx._("Open again: {period}.").format(period=name(period)))
    finally:
        await database.dispose()


async def cmd_audit(ctx: Context, args: argparse.Namespace) -> None:
    """The audit log of a student or a teacher, or who looked at a student (``--reads``), in
    words; reading it is itself on record (channel ``console``)."""
    from app import audit_text
    from core.access_admin import AccessAdminService
    from core.admin import AdminService

    if args.reads and not args.student:
        raise CliError(ctx._("--reads needs --student."))
    database = await ctx.database()
    reads = console_reads(database.uow, ctx.clock)
    try:
        async with database.uow(readonly=True) as uow:
            student = teacher = None
            if args.student:
                student = await find_person(uow, PersonRole.STUDENT, args.student)
            if args.teacher:
                teacher = await find_person(uow, PersonRole.STAFF, args.teacher)
        log = AdminService(database.uow, ctx.clock, reads)
        if args.reads:
            entries = await log.looked(CONSOLE, student)  # type: ignore[arg-type]
        else:
            entries = await log.audit(CONSOLE, student_id=student, staff_id=teacher)
        staff_list = await AccessAdminService(database.uow, ctx.clock).staff_list(CONSOLE)
    finally:
        await reads.close()
        await database.dispose()
    if not entries:
        print(
            ctx._("Nobody on the staff has looked at this student's data yet.")
            if args.reads
            else ctx._("The audit log has no entries here.")
        )
    staff = {s.staff_id: s.name for s in staff_list}
    for e in entries:
        at = e.at.astimezone(ctx.clock.tz).strftime("%d.%m.%Y %H:%M")
        what = audit_text.action(ctx._, e.action) or e.action
        by = audit_text.who(ctx._, e, staff) or ctx._(audit_text.THE_SYSTEM)
        where = f" [{audit_text.channel(ctx._, e.channel)}]" if e.channel else ""
        line = f"{at}  {by}{where}  {what}"
        if not e.is_read and (e.before or e.after):
            line += f": {e.before or '—'} → {e.after or '—'}"
        if e.reason and not e.reason.startswith("account:"):
            line += f" — {e.reason}"
        print(line)


async def cmd_correct(ctx: Context, args: argparse.Namespace) -> None:
    """A deputy's or the admin's audited correction (001 §8.6): it acts as that person."""
    from core.access import Viewer
    from core.journal import JournalService

    value = None if args.remove else MarkValue(args.value)
    database = await ctx.database()
    try:
        async with database.uow(readonly=True) as uow:
            by = await find_person(uow, PersonRole.STAFF, args.by)
            staff = await uow.staff.get(by)
            if staff is None:
                raise CliError(ctx._("There is no staff member with id {id}.").format(id=args.by))
            roles = frozenset(r.role for r in await uow.staff_roles.for_staff(by))
        viewer = Viewer(staff_id=by, staff_roles=roles)
        await JournalService(database.uow, ctx.clock).correct_mark(
            viewer, args.mark, value, args.reason
        )
    finally:
        await database.dispose()
    print(
        ctx._("Mark {id} corrected by {name}; the old value stays in the history.").format(
            id=args.mark, name=staff.full_name
        )
    )


MARK_VALUES = list(MarkValue)


def register_more(sub: argparse._SubParsersAction) -> None:
    co = sub.add_parser(
        "correct-mark",
        help="an audited correction of a mark by a deputy or the admin, with a reason",
        description="Later than 7 days after entry only a deputy or the journal admin may fix a "
        "mark (001 §8.6). The old mark stays in the history; the audit log records who, when "
        "and why. Refused in a closed period.",
    )
    co.add_argument("--mark", type=int, required=True, help="the mark's id")
    what = co.add_mutually_exclusive_group(required=True)
    what.add_argument("--value", choices=[v.value for v in MARK_VALUES], help="the right value")
    what.add_argument("--remove", action="store_true", help="the mark was given by mistake")
    co.add_argument("--reason", required=True, help="why the mark is corrected")
    co.add_argument(
        "--by", required=True, help="the deputy's or admin's id (T-003 or the database's)"
    )
    co.set_defaults(handler=cmd_correct)

    ex = sub.add_parser("export", help="the journal of a class for a period, a student's statement")
    ex_sub = ex.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    jr = ex_sub.add_parser(
        "journal",
        help="the class journal for a period as XLSX, named <year>_<period>_<class>.xlsx",
        description="Per subject: students x lesson dates with marks and absences, topics and "
        "homework, the period mark (the archive copy of 000 §4.6).",
    )
    jr.add_argument("--class", dest="class_name", required=True, help="e.g. 7А")
    jr.add_argument("--period", type=int, help="period number (default: the current one)")
    jr.add_argument("--out", type=Path, default=Path("."), help="a folder or a file name")
    jr.set_defaults(handler=cmd_export)
    st = ex_sub.add_parser("statement", help="a student's marks statement for a transfer")
    st.add_argument("--student", required=True, help="the student's id (K-02 or the database's)")
    st.add_argument("--out", type=Path, required=True, help="an .xlsx file")
    st.set_defaults(handler=cmd_export)

    rp = sub.add_parser(
        "report",
        help="reports as XLSX: " + ", ".join(REPORTS),
        description="marks-summary (class x subjects of period marks), results (excellent, "
        "good, failing, quality %%), attendance (--from/--to), monthly (--month), quality "
        "(journal quality per teacher), guardians (linked and consented), movement "
        "(arrivals and departures, --from/--to), preliminary (students at risk of a 2 or of "
        "н/а and near a better mark; every class unless --class), substitutions (lessons given "
        "by a substitute and cancelled, --from/--to).",
    )
    rp.add_argument("kind", choices=REPORTS)
    rp.add_argument("--class", dest="class_name", help="e.g. 7А")
    rp.add_argument("--period", type=int, help="period number (default: the current one)")
    rp.add_argument("--month", type=_month, help="YYYY-MM")
    rp.add_argument("--from", dest="start", type=_date, help="YYYY-MM-DD")
    rp.add_argument("--to", dest="end", type=_date, help="YYYY-MM-DD")
    rp.add_argument("--out", type=Path, required=True, help="an .xlsx file")
    rp.set_defaults(handler=cmd_report)

    pe = sub.add_parser("period", help="list, close, reopen or move study periods (rule 10)")
    pe_sub = pe.add_subparsers(dest="period_command", metavar="ACTION", required=True)
    pe_sub.add_parser("list", help="the current year's periods").set_defaults(handler=cmd_period)
    cl = pe_sub.add_parser("close", help="close a period: nothing in it can be edited afterwards")
    cl.add_argument("number", type=int, help="the period's number in the current year")
    cl.set_defaults(handler=cmd_period)
    ro = pe_sub.add_parser("reopen", help="reopen a closed period, with a reason")
    ro.add_argument("number", type=int)
    ro.add_argument("--reason", required=True, help="why it is reopened (kept in the audit log)")
    ro.set_defaults(handler=cmd_period)
    mo = pe_sub.add_parser(
        "move",
        help="move a period's dates (a quarantine); the lessons follow",
        description="The period must stay inside the school year and not overlap another; "
        "lessons are made on its new days and removed from the lost ones (kept and reported "
        "when something is written in them).",
    )
    mo.add_argument("number", type=int)
    mo.add_argument("--from", dest="start", type=_date, required=True, help="YYYY-MM-DD")
    mo.add_argument("--to", dest="end", type=_date, required=True, help="YYYY-MM-DD")
    mo.add_argument("--reason", required=True, help="why (kept in the audit log)")
    mo.set_defaults(handler=cmd_period)

    au = sub.add_parser("audit", help="the audit log of a student or of a teacher")
    who = au.add_mutually_exclusive_group(required=True)
    who.add_argument("--student", help="a student's id (K-02 or the database's)")
    who.add_argument("--teacher", help="a staff member's id (T-004 or the database's)")
    au.add_argument(
        "--reads", action="store_true", help="who looked at the student's data (with --student)"
    )
    au.set_defaults(handler=cmd_audit)
