"""The school's days at the console: ``schoolbot lessons`` (make, substitute, cancel, restore,
move, add), ``student move``, ``year new``, ``status``. Registered into ``schoolbot`` by
``bot.cli.build_parser``; every command goes through the same core services as the bot."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.school_text import plan_lines, status_lines, turnover_lines
from bot.cli_admin import print_report, read_files
from bot.cli_common import CliError, Context, iso_date
from core.access import CONSOLE
from core.lessons import horizon
from core.model import PersonRole
from core.people import StudentService, class_named, find_person
from core.school_admin import SchoolAdminService
from core.status import StatusService
from core.tabular import norm_name
from core.year import LAST_GRADE, YearService


def _slot(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 12:
        raise argparse.ArgumentTypeError("a lesson number, 0 to 12")
    return int(text)


async def _lesson(ctx: Context, database, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The lesson the arguments name: a class's lesson at a date and slot (and group)."""
    async with database.uow(readonly=True) as uow:
        cls = await class_named(uow, args.class_name, args.date)
        group = None
        if args.group:
            groups = {norm_name(g.name): g.id for g in await uow.subgroups.for_class(cls.id)}
            group = groups.get(norm_name(args.group))
            if group is None:
                raise CliError(
                    ctx._("Class {class_name} has no group {group}.").format(
                        class_name=cls.name, group=args.group
                    )
                )
    admin = SchoolAdminService(database.uow, ctx.clock)
    return admin, await admin.find_lesson(CONSOLE, cls.id, args.date, args.slot, group)  # type: ignore[arg-type]


async def cmd_lessons(ctx: Context, args: argparse.Namespace) -> None:
    database = await ctx.database()
    try:
        action = args.lessons_command
        if action == "make":
            start, end = horizon(ctx.clock.today())
            plan = await SchoolAdminService(database.uow, ctx.clock).make_lessons(
                CONSOLE, args.start or start, args.end or end
            )
            print("\n".join(plan_lines(plan, ctx._, ctx.locale)))
            return
        if action == "add":
            async with database.uow(readonly=True) as uow:
                cls = await class_named(uow, args.class_name, args.date)
                teacher = await find_person(uow, PersonRole.STAFF, args.teacher)
                subjects = {norm_name(s.name): s.id for s in await uow.subjects.list_all()}
                groups = {norm_name(g.name): g.id for g in await uow.subgroups.for_class(cls.id)}  # type: ignore[arg-type]
            subject = subjects.get(norm_name(args.subject))
            if subject is None:
                raise CliError(ctx._("The school has no subject {name}.").format(name=args.subject))
            group = groups.get(norm_name(args.group)) if args.group else None
            if args.group and group is None:
                raise CliError(
                    ctx._("Class {class_name} has no group {group}.").format(
                        class_name=cls.name, group=args.group
                    )
                )
            lesson = await SchoolAdminService(database.uow, ctx.clock).add_lesson(
                CONSOLE,
                cls.id,
                args.date,
                args.slot,
                subject,
                teacher,
                group,
                args.room or "",  # type: ignore[arg-type]
            )
            print(
                ctx._("Extra lesson {id} added: {cls}, {day}, lesson {slot}.").format(
                    id=lesson.id, cls=cls.name, day=args.date.isoformat(), slot=args.slot
                )
            )
            return
        admin, lesson = await _lesson(ctx, database, args)
        if action == "substitute":
            async with database.uow(readonly=True) as uow:
                teacher = await find_person(uow, PersonRole.STAFF, args.teacher)
                person = await uow.staff.get(teacher)
            lesson = await admin.substitute(CONSOLE, lesson.id, teacher)
            if lesson.substitute_id is None:
                print(
                    ctx._("Lesson {id}: the timetable's teacher teaches it.").format(id=lesson.id)
                )
            else:
                print(
                    ctx._("Lesson {id}: {name} stands in.").format(
                        id=lesson.id, name=person.full_name if person else teacher
                    )
                )
        elif action == "cancel":
            await admin.cancel_lesson(CONSOLE, lesson.id, args.reason or "")  # type: ignore[arg-type]
            print(ctx._("Lesson {id} is cancelled.").format(id=lesson.id))
        elif action == "restore":
            await admin.restore_lesson(CONSOLE, lesson.id)  # type: ignore[arg-type]
            print(ctx._("Lesson {id} will take place.").format(id=lesson.id))
        else:
            moved = await admin.move_lesson(
                CONSOLE,
                lesson.id,
                args.to_date,
                args.to_slot,
                args.reason or "",  # type: ignore[arg-type]
            )
            print(
                ctx._("Lesson {id} is moved to {day}, lesson {slot} (now lesson {new}).").format(
                    id=lesson.id, day=moved.day.isoformat(), slot=moved.slot, new=moved.id
                )
            )
    finally:
        await database.dispose()


async def cmd_student(ctx: Context, args: argparse.Namespace) -> None:
    database = await ctx.database()
    try:
        async with database.uow(readonly=True) as uow:
            student_id = await find_person(uow, PersonRole.STUDENT, args.id)
            student = await uow.students.get(student_id)
        on = args.on or ctx.clock.today()
        await StudentService(database.uow, ctx.clock).move(
            CONSOLE, student_id, args.to, on, tuple(args.subgroups or ())
        )
    finally:
        await database.dispose()
    print(
        ctx._(
            "{name} is in {class_name} from {day}; the earlier class stays in the history."
        ).format(
            name=student.full_name if student else args.id, class_name=args.to, day=on.isoformat()
        )
    )


async def cmd_year(ctx: Context, args: argparse.Namespace) -> None:
    tables = read_files(ctx, [args.calendar])
    database = await ctx.database()
    try:
        done = await YearService(database.uow, ctx.clock).new_year(
            CONSOLE, args.name, tables, last_grade=args.last_grade, apply=not args.dry_run
        )
        if done.report.applied:  # rule 12: the finished year's summary sheets
            from bot.cli_archive import write_archive

            await write_archive(ctx, database)
    finally:
        await database.dispose()
    if done.report.errors:
        print_report(ctx, done.report)  # says why, and exits non-zero
    print("\n".join(turnover_lines(done, ctx._)))
    print_report(ctx, done.report)


async def cmd_status(ctx: Context, args: argparse.Namespace) -> None:
    database = await ctx.database()
    try:
        status = await StatusService(database.uow, ctx.clock).status(CONSOLE, ctx.settings.backups)
    finally:
        await database.dispose()
    print("\n".join(status_lines(status, ctx._, ctx.locale)))
    if not status.ready:
        raise CliError(ctx._("The school cannot work yet: what is marked ⛔ comes first."))


def register(sub: argparse._SubParsersAction) -> None:
    ls = sub.add_parser(
        "lessons",
        help="dated lessons from the timetable; substitutions, cancellations, moves, extra lessons",
        description="Lessons are made from the timetable three weeks ahead (every import and "
        "every night do it too); a lesson is named by its class, date and lesson number.",
    )
    ls_sub = ls.add_subparsers(dest="lessons_command", metavar="ACTION", required=True)
    mk = ls_sub.add_parser(
        "make", help="make (and re-make) the lessons of a span from the timetable"
    )
    mk.add_argument("--from", dest="start", type=iso_date, help="YYYY-MM-DD (default: today)")
    mk.add_argument("--to", dest="end", type=iso_date, help="YYYY-MM-DD (default: in three weeks)")
    mk.set_defaults(handler=cmd_lessons)

    def lesson(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--class", dest="class_name", required=True, help="e.g. 6Б")
        parser.add_argument("--date", type=iso_date, required=True, help="YYYY-MM-DD")
        parser.add_argument("--slot", type=_slot, required=True, help="the lesson's number")
        parser.add_argument("--group", help="the subgroup, when the class is split then")
        parser.set_defaults(handler=cmd_lessons)

    su = ls_sub.add_parser(
        "substitute",
        help="record a substitute teacher (rule 1: before the lesson, or on its day before "
        "anything is written in it)",
    )
    lesson(su)
    su.add_argument(
        "--teacher",
        required=True,
        help="the substitute's id (T-004 or the database's); the timetable's teacher takes it back",
    )
    ca = ls_sub.add_parser("cancel", help="cancel a lesson nothing is written in yet")
    lesson(ca)
    ca.add_argument("--reason", help="why (the parents see it)")
    re = ls_sub.add_parser("restore", help="take a cancellation back")
    lesson(re)
    mv = ls_sub.add_parser(
        "move", help="move a lesson nothing is written in to another day or slot"
    )
    lesson(mv)
    mv.add_argument("--to-date", type=iso_date, required=True, help="YYYY-MM-DD")
    mv.add_argument("--to-slot", type=_slot, required=True, help="the new lesson number")
    mv.add_argument("--reason", help="why (kept in the audit log)")
    ad = ls_sub.add_parser("add", help="an extra lesson the timetable does not have")
    ad.add_argument("--class", dest="class_name", required=True, help="e.g. 6Б")
    ad.add_argument("--date", type=iso_date, required=True, help="YYYY-MM-DD")
    ad.add_argument("--slot", type=_slot, required=True, help="the lesson's number")
    ad.add_argument("--subject", required=True, help="the subject's name")
    ad.add_argument("--teacher", required=True, help="the teacher's id (T-004 or the database's)")
    ad.add_argument("--group", help="for a subgroup only")
    ad.add_argument("--room", help="the room")
    ad.set_defaults(handler=cmd_lessons)

    st = sub.add_parser("student", help="move a student to another class from a day")
    st_sub = st.add_subparsers(dest="student_command", metavar="ACTION", required=True)
    sm = st_sub.add_parser(
        "move",
        help="a transfer: the old class ends the day before, the history stays",
        description="Refused when it would change a closed period, or leave marks or absences "
        "of the old class after the day.",
    )
    sm.add_argument("--id", required=True, help="the student's id (K-02 or the database's)")
    sm.add_argument("--to", required=True, metavar="CLASS", help="e.g. 7Б")
    sm.add_argument("--on", type=iso_date, help="YYYY-MM-DD (default: today)")
    sm.add_argument("--subgroups", nargs="*", metavar="GROUP", help="the new class's subgroups")
    sm.set_defaults(handler=cmd_student)

    yr = sub.add_parser("year", help="a new school year: classes go up a grade")
    yr_sub = yr.add_subparsers(dest="year_command", metavar="ACTION", required=True)
    yn = yr_sub.add_parser(
        "new",
        help="the new year from its calendar; 7А -> 8А, graduates leave, the old year closes",
        description="One transaction: the new year with its periods and holidays from FILE, "
        "every class one grade up with its students, class teacher and subgroups, the last "
        "grade's students leaving on the old year's last day, the old year's periods closed. "
        "Links and settings carry over; teaching waits for the new timetable.",
    )
    yn.add_argument("name", metavar="YEAR", help="e.g. 2027/2028")
    yn.add_argument("--calendar", type=Path, required=True, metavar="FILE", help="CSV or XLSX")
    yn.add_argument(
        "--last-grade",
        type=int,
        default=LAST_GRADE,
        help=f"graduates' grade (default {LAST_GRADE})",
    )
    yn.add_argument("--dry-run", action="store_true", help="say what it would do, change nothing")
    yn.set_defaults(handler=cmd_year)

    sa = sub.add_parser(
        "status",
        help="what the school still lacks to work today, each with the command that fixes it",
    )
    sa.set_defaults(handler=cmd_status)
