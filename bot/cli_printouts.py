"""``schoolbot guardian paper`` and ``schoolbot printouts``: guardians informed on paper and
their paper diaries (rule 8; 000 §7.2; 003 reg.2 §2.2.2). Registered into ``schoolbot`` by
``bot.cli``."""

from __future__ import annotations

import argparse
import os
from functools import partial
from pathlib import Path

from babel.dates import format_date

from bot.cli_common import CliError, Context, iso_date, save_bytes
from core.access import CONSOLE
from core.model import PersonRole


async def cmd_guardian_paper(ctx: Context, args: argparse.Namespace) -> None:
    from core.people import find_person
    from core.printouts import PrintoutService

    if args.off and args.on is not None:
        raise CliError(ctx._("Give either --on or --off, not both."))
    since = None if args.off else (args.on or ctx.clock.today())
    database = await ctx.database()
    try:
        async with database.uow(readonly=True) as uow:
            guardian_id = await find_person(uow, PersonRole.GUARDIAN, args.id)
        guardian = await PrintoutService(database.uow, ctx.clock).set_paper(
            CONSOLE, guardian_id, since
        )
    finally:
        await database.dispose()
    if guardian.paper_since is None:
        print(
            ctx._("{name} gets the diary in the bot, not on paper.").format(name=guardian.full_name)
        )
        return
    day = format_date(guardian.paper_since, "d MMMM y", locale=ctx.locale)
    print(
        ctx._("{name} gets the diary on paper from {day}.").format(name=guardian.full_name, day=day)
    )


def _folder(ctx: Context, out: Path) -> Path:
    if not (out.is_dir() and os.access(out, os.W_OK)):
        raise CliError(ctx._("Cannot write into the folder {path}.").format(path=out))
    return out


async def cmd_printouts(ctx: Context, args: argparse.Namespace) -> None:
    from app.batches import console_reads
    from app.paper_diary import printout_pdf
    from core.printouts import PrintoutService

    out = _folder(ctx, args.out)
    database = await ctx.database()
    reads = console_reads(database.uow, ctx.clock)
    service = PrintoutService(database.uow, ctx.clock, reads)
    name = ctx._("Paper diaries, {class_name}").format(class_name=args.class_name)
    path = out / f"{name.replace('/', '-')} {ctx.clock.today().isoformat()}.pdf"
    try:
        done = await service.print_class(
            CONSOLE,
            args.class_name,
            partial(printout_pdf, _=ctx._, locale=ctx.locale),
            everyone=args.all,
            keep=partial(save_bytes, path),
        )
    finally:
        await reads.close()
        await database.dispose()
    if not done.pages:
        print(
            ctx._(
                "Nobody in {class_name} gets the diary on paper; nothing printed. "
                "Use --all to print every student."
            ).format(class_name=done.printout.class_name)
        )
        return
    print(
        ctx._("Written: {path} — students: {students}, pages: {pages}.").format(
            path=path, students=len(done.printout.students), pages=done.pages
        )
    )


def register(sub: argparse._SubParsersAction) -> None:
    gu = sub.add_parser("guardian", help="guardians: who is informed on paper")
    gu_sub = gu.add_subparsers(dest="guardian_command", metavar="ACTION", required=True)
    gp = gu_sub.add_parser(
        "paper",
        help="mark a guardian as refusing electronic access: the diary on paper (rule 8)",
        description="From --on (default: today) the class teacher prints this guardian's "
        "children's diaries every two weeks; --off puts them back on the bot.",
    )
    gp.add_argument("--id", required=True, help="the guardian's id (R-01 or the database's)")
    gp.add_argument("--on", type=iso_date, help="YYYY-MM-DD (default: today)")
    gp.add_argument("--off", action="store_true", help="back to the bot, no paper")
    gp.set_defaults(handler=cmd_guardian_paper)

    pr = sub.add_parser(
        "printouts",
        help="a class's paper diaries as one PDF: the last two weeks, a page per student",
        description="One page (or more) per student whose guardian is on paper: marks with "
        "work types and dates, absences with reasons, the forecast, remarks, the coming "
        "week's homework and a line for the parent's signature. Each printout is logged.",
    )
    pr.add_argument("--class", dest="class_name", required=True, help="e.g. 7А")
    pr.add_argument("--out", type=Path, required=True, metavar="DIR", help="the folder for the PDF")
    pr.add_argument(
        "--all", action="store_true", help="every student of the class (a parents' meeting)"
    )
    pr.set_defaults(handler=cmd_printouts)
