"""Console commands for access in bulk and the class charts: ``schoolbot invites``,
``revoke``, ``linked`` and ``chart``. Registered into ``schoolbot`` by ``bot.cli``."""

from __future__ import annotations

import argparse
from pathlib import Path

from babel.dates import format_datetime

from app.batches import console_reads
from bot.cli_common import CliError, Context, positive, writable, write_bytes
from core.access import CONSOLE
from core.invites import DEFAULT_TTL_DAYS
from core.model import PersonRole
from core.people import find_person
from locales import terms


def _outputs(out: Path) -> tuple[Path, Path]:
    """FILE.xlsx and FILE.pdf from FILE, FILE.xlsx or FILE.pdf."""
    base = out.with_suffix("") if out.suffix.lower() in (".xlsx", ".pdf") else out
    return base.with_name(base.name + ".xlsx"), base.with_name(base.name + ".pdf")


async def cmd_invites(ctx: Context, args: argparse.Namespace) -> None:
    from app.invite_sheet import sheet_pdf, sheet_xlsx
    from core.access_admin import AccessAdminService

    xlsx, pdf = _outputs(args.out)

    for path in (xlsx, pdf):
        if not writable(path):
            raise CliError(ctx._("Cannot write the file {path}.").format(path=path))
    database = await ctx.database()
    try:
        service = AccessAdminService(database.uow, ctx.clock)
        if args.staff:
            lines = await service.staff_sheet(CONSOLE, args.days)
        else:
            lines = await service.class_sheet(CONSOLE, args.class_name, args.days)
    finally:
        await database.dispose()
    if not lines:  # --staff only: a class without students is refused above
        print(ctx._("Every member of staff has signed in: no codes were issued."))
        return
    links = ctx.settings.invite_links
    tz = ctx.clock.tz
    write_bytes(ctx, xlsx, sheet_xlsx(lines, ctx._, links, tz))
    write_bytes(ctx, pdf, sheet_pdf(lines, ctx._, links, tz, ctx.settings.invite_bots()))
    if args.staff:
        print(ctx._("{n} invite codes issued for staff not signed in yet.").format(n=len(lines)))
        return
    print(
        ctx._("{n} invite codes issued for {class_name}.").format(
            n=len(lines), class_name=args.class_name
        )
    )


async def cmd_revoke(ctx: Context, args: argparse.Namespace) -> None:
    from core.access_admin import AccessAdminService
    from core.invites import InviteService

    database = await ctx.database()
    try:
        if args.invite is not None:
            await InviteService(database.uow, ctx.clock).revoke(CONSOLE, args.invite)
            print(ctx._("Invite {id} is revoked.").format(id=args.invite))
            return
        if args.role is None or args.id is None:
            raise CliError(ctx._("Please give --invite ID, or --role and --id."))
        role = PersonRole(args.role)
        async with database.uow(readonly=True) as uow:
            person = await find_person(uow, role, args.id)
        n = await AccessAdminService(database.uow, ctx.clock).revoke_person(CONSOLE, role, person)
    finally:
        await database.dispose()
    print(ctx._("Access revoked: {n} accounts unlinked, unused codes revoked.").format(n=n))


async def cmd_linked(ctx: Context, args: argparse.Namespace) -> None:
    from core.access_admin import AccessAdminService

    database = await ctx.database()
    reads = console_reads(database.uow, ctx.clock)  # who read the list is on record
    try:
        service = AccessAdminService(database.uow, ctx.clock, reads)
        lines = await service.linked(CONSOLE, args.class_name)
    finally:
        await reads.close()
        await database.dispose()
    if not lines:
        print(ctx._("Nobody is linked here yet."))
    for x in lines:
        since = format_datetime(
            x.linked_at.astimezone(ctx.clock.tz), "dd.MM.yyyy", locale=ctx.locale
        )
        linked_as = x.role if x.role in (PersonRole.GUARDIAN, PersonRole.STUDENT) else terms.STAFF
        role = terms.role(ctx._, linked_as)
        state = ctx._("active") if x.active else ctx._("blocked the bot")
        print(f"{x.name}\t{role}\t{x.class_name or '—'}\t{since}\t{x.locale}\t{state}")


async def cmd_chart(ctx: Context, args: argparse.Namespace) -> None:
    from app.admin_charts import attendance_png, results_png
    from core.access_admin import AccessAdminService

    database = await ctx.database()
    try:
        service = AccessAdminService(database.uow, ctx.clock)
        data = await service.class_year(CONSOLE, args.class_name)
    finally:
        await database.dispose()
    draw = results_png if args.kind == "results" else attendance_png
    write_bytes(ctx, args.out, draw(data, ctx.locale))


def register(sub: argparse._SubParsersAction) -> None:
    inv = sub.add_parser(
        "invites",
        help="invite codes for a class's guardians and students, or for the staff, as XLSX and PDF",
        description="Issues one code per guardian and per student of the class (or, with "
        "--staff, per member of staff who teaches, leads a class or has a role and has not "
        "signed in yet) in one transaction and writes a printable sheet with QR codes: "
        "FILE.xlsx and FILE.pdf.",
    )
    who = inv.add_mutually_exclusive_group(required=True)
    who.add_argument("--class", dest="class_name", help="e.g. 7А")
    who.add_argument("--staff", action="store_true", help="the staff not signed in yet")
    inv.add_argument("--out", type=Path, required=True, metavar="FILE", help="FILE[.xlsx|.pdf]")
    inv.add_argument(
        "--days", type=positive, default=DEFAULT_TTL_DAYS, help="days the codes stay valid"
    )
    inv.set_defaults(handler=cmd_invites)

    rv = sub.add_parser(
        "revoke",
        help="revoke an invite code, or all of a person's access",
        description="--invite ID revokes one code; --role ROLE --id ID unlinks every account "
        "of that person and revokes their unused codes (audited).",
    )
    rv.add_argument("--invite", type=int, metavar="ID", help="an invite's id")
    rv.add_argument("--role", choices=[r.value for r in PersonRole if r != PersonRole.STAFF])
    rv.add_argument("--id", help="the person's id in the school's files (U-101) or the database's")
    rv.set_defaults(handler=cmd_revoke)

    ln = sub.add_parser("linked", help="who is linked: person, role, since, language, active")
    ln.add_argument("--class", dest="class_name", help="only this class's students and parents")
    ln.set_defaults(handler=cmd_linked)

    ch = sub.add_parser("chart", help="a class's year as a PNG chart: results or attendance")
    ch.add_argument("kind", choices=("results", "attendance"))
    ch.add_argument("--class", dest="class_name", required=True, help="e.g. 7А")
    ch.add_argument("--out", type=Path, required=True, metavar="FILE", help="a .png file")
    ch.set_defaults(handler=cmd_chart)
