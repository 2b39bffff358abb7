"""The ``schoolbot`` console command.

Every subcommand has ``--help``, exits non-zero with one clear line on bad input, and changes
nothing when it fails: each write runs in one transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from pydantic import ValidationError

from app.config import Settings
from app.messages import describe_error
from bot.cli_common import CliError, Context, positive, writable, write_atomically
from core import redaction
from core.access import CONSOLE
from core.errors import DomainError
from core.invites import DEFAULT_TTL_DAYS, MAX_TTL_DAYS, InviteService
from core.model import PersonRole
from locales import translations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


# -- subcommands -----------------------------------------------------------------------------


async def cmd_db_upgrade(ctx: Context, args: argparse.Namespace) -> None:
    from storage.migrate import upgrade

    revision = await upgrade(ctx.settings.database_url, args.revision)
    print(ctx._("The database is up to date (revision {revision}).").format(revision=revision))


async def cmd_demo(ctx: Context, args: argparse.Namespace) -> None:
    from storage.demo import load_demo
    from storage.migrate import upgrade

    out: Path | None = args.invites
    if out is not None and not writable(out):
        raise CliError(ctx._("Cannot write the file {path}.").format(path=out))
    await upgrade(ctx.settings.database_url)
    database = await ctx.database()
    started = time.perf_counter()
    try:
        async with database.uow(readonly=True) as uow:
            if await uow.schools.first() is not None:
                raise CliError(
                    ctx._(
                        "The database already has a school; the demo loads only into an "
                        "empty database."
                    )
                )
        summary = await load_demo(database.uow, ctx.clock, seed=args.seed, with_invites=bool(out))
    finally:
        await database.dispose()
    elapsed = time.perf_counter() - started
    print(
        ctx._(
            "Demo school loaded in {seconds:.1f} s: {classes} classes, {students} students, "
            "{guardians} guardians, {staff} staff, {lessons} lessons, {marks} marks, "
            "{absences} absences, {homework} homework, {finals} period marks."
        ).format(seconds=elapsed, **{k: v for k, v in vars(summary).items() if k != "invites"})
    )
    if out is not None:
        for entry in summary.invites.values():
            links = ctx.settings.invite_links(entry["code"])
            if links:
                entry["link"] = links[0][1]  # Telegram's when it runs
            if len(links) > 1:
                entry["links"] = dict(links)
        write_atomically(out, json.dumps(summary.invites, ensure_ascii=False, indent=2))
        print(ctx._("Invite codes written to {path}.").format(path=out))


async def _find_person(ctx: Context, uow, role: PersonRole, args: argparse.Namespace) -> int:
    from core.people import find_person, people_of

    if args.id is not None:
        return await find_person(uow, role, args.id)
    wanted = " ".join(args.name.lower().replace("ё", "е").split())
    people = await people_of(uow, role).list_all()
    found = [
        p
        for p in people
        if " ".join(p.full_name.lower().replace("ё", "е").split()).startswith(wanted)
    ]
    if args.class_name and role == PersonRole.STUDENT:
        classes = {c.id: c.name for c in await uow.classes.list_all()}
        found = [p for p in found if classes.get(p.class_id, "").lower() == args.class_name.lower()]
    if not found:
        raise CliError(ctx._("Nobody with the name {name} was found.").format(name=args.name))
    if len(found) > 1:
        names = "; ".join(f"{p.id}: {p.full_name}" for p in found[:10])
        raise CliError(
            ctx._("Several people match {name}: {names}. Please give --id.").format(
                name=args.name, names=names
            )
        )
    return found[0].id


async def cmd_invite(ctx: Context, args: argparse.Namespace) -> None:
    role = PersonRole(args.role)
    database = await ctx.database()
    try:
        async with database.uow(readonly=True) as uow:
            person_id = await _find_person(ctx, uow, role, args)
        issued = await InviteService(database.uow, ctx.clock).issue(
            CONSOLE, role, person_id, ttl_days=args.days
        )
    finally:
        await database.dispose()
    print(ctx._("Invite code for {name}: {code}").format(name=issued.name, code=issued.code))
    from app.messages import link_lines

    for line in link_lines(ctx._, ctx.settings.invite_links(issued.code)):
        print(line)
    until = format_datetime(issued.invite.expires_at, "d MMMM y, HH:mm", locale=ctx.locale)
    print(ctx._("Valid once, until {until}.").format(until=until))


def _token_checked(ctx: Context) -> None:
    # Before the runner's imports (aiogram takes seconds to load): a typo is told at once.
    if ctx.settings.token_problem:
        reason = ctx._(ctx.settings.token_problem)
        raise CliError(ctx._("Cannot start: {reason}").format(reason=reason))


async def cmd_run(ctx: Context, args: argparse.Namespace) -> None:
    _token_checked(ctx)
    from bot.runner import StartupError, run

    _log_to_console()
    parts = {"worker": not args.without_worker, "scheduler": not args.without_scheduler}
    try:
        await run(ctx.settings, **parts)  # every configured messenger, polling or webhook each
    except StartupError as exc:
        reason = exc.reason(ctx._)
        raise CliError(ctx._("Cannot start: {reason}").format(reason=reason)) from exc


async def cmd_worker(ctx: Context, args: argparse.Namespace) -> None:
    _token_checked(ctx)
    from bot.runner import StartupError, run_worker

    _log_to_console()
    try:
        await run_worker(ctx.settings, scheduler=args.with_scheduler)
    except StartupError as exc:
        reason = exc.reason(ctx._)
        raise CliError(ctx._("Cannot start: {reason}").format(reason=reason)) from exc


# -- plumbing --------------------------------------------------------------------------------


def _log_to_console() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    redaction.guard_logging()  # the new handler masks secrets too


def _fail(text: object) -> None:
    """The refusal on stderr, with no secret in it."""
    print(f"schoolbot: {redaction.redact(text)}", file=sys.stderr)


def _configuration_error(field: str, error: Any) -> str:
    """A setting refused, in the school's language as far as the environment tells it (the
    settings themselves could not be read); our validators' reasons are message ids."""
    locale = os.environ.get("DEFAULT_LOCALE", "ru")
    _ = translations(locale if locale in ("ru", "en") else "ru").gettext
    cause = error.get("ctx", {}).get("error")
    problem = _(str(cause)) if isinstance(cause, ValueError) else error["msg"]
    return _("Configuration error: {field}: {problem}").format(field=field, problem=problem)


Handler = Callable[[Context, argparse.Namespace], Awaitable[None]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schoolbot",
        description="The school's electronic class journal and diary, used from a messenger.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        help="run the bot in Telegram and/or MAX: long polling, or a webhook when "
        "WEBHOOK_URL / MAX_WEBHOOK_URL is set",
        description="Runs the bot until SIGTERM or Ctrl+C; it then finishes the updates in "
        "flight and exits. Needs BOT_TOKEN (Telegram), MAX_BOT_TOKEN (MAX) or both, in one "
        "process; TELEGRAM_API_URL and MAX_API_URL point it at other API servers. "
        "By default the same process delivers the pushes and runs the scheduled jobs (one "
        "command is a complete deployment).",
    )
    run.add_argument(
        "--without-worker",
        action="store_true",
        help="do not deliver pushes here (a separate `schoolbot worker` does)",
    )
    run.add_argument(
        "--without-scheduler",
        action="store_true",
        help="do not run the scheduled jobs here (digests, summaries, reminders)",
    )
    run.set_defaults(handler=cmd_run)

    worker = sub.add_parser(
        "worker",
        help="deliver pushes only (no updates are taken): for more delivery processes",
        description="Sends the pushes waiting in the database until SIGTERM. Several workers "
        "may run at once: each claims its own rows. Needs BOT_TOKEN.",
    )
    worker.add_argument(
        "--with-scheduler",
        action="store_true",
        help="also run the scheduled jobs (only one scheduler is ever active at a time)",
    )
    worker.set_defaults(handler=cmd_worker)

    db = sub.add_parser("db", help="create or migrate the database")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = db_sub.add_parser("upgrade", help="create the database or bring it to the latest schema")
    up.add_argument("--revision", default="head", help="target revision (default: head)")
    up.set_defaults(handler=cmd_db_upgrade)

    demo = sub.add_parser(
        "demo", help="load a realistic demo school into an empty database (DATABASE_URL)"
    )
    demo.add_argument(
        "--invites", type=Path, metavar="FILE", help="write one-time invite codes as JSON here"
    )
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default: 2026)")
    demo.set_defaults(handler=cmd_demo)

    invite = sub.add_parser("invite", help="issue a one-time invite code for one person")
    invite.add_argument(
        "--role", required=True, choices=[r.value for r in PersonRole if r != PersonRole.STAFF]
    )
    who = invite.add_mutually_exclusive_group(required=True)
    who.add_argument("--id", help="the person's id in the school's files (U-101) or the database's")
    who.add_argument("--name", help="the person's full name or its beginning (surname first)")
    invite.add_argument("--class", dest="class_name", help="narrow a student's name to a class")
    invite.add_argument(
        "--days",
        type=positive,
        default=DEFAULT_TTL_DAYS,
        help=f"days the code stays valid (at most {MAX_TTL_DAYS})",
    )
    invite.set_defaults(handler=cmd_invite)

    from bot import cli_access, cli_admin, cli_archive, cli_school

    cli_admin.register(sub)
    cli_access.register(sub)
    cli_school.register(sub)
    cli_archive.register(sub)
    from bot import cli_printouts

    cli_printouts.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]).upper()
        _fail(_configuration_error(field, first))
        return EXIT_USAGE
    settings.guard_secrets()
    ctx = Context(settings)
    handler: Handler = args.handler
    try:
        asyncio.run(handler(ctx, args))
    except CliError as exc:
        _fail(exc)
        return EXIT_FAILED
    except DomainError as exc:
        _fail(describe_error(exc, ctx.locale))
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a database that does not answer, a broken URL ...
        from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

        if isinstance(exc, OperationalError | DBAPIError | ArgumentError | OSError):
            error = redaction.one_line(exc)
            _fail(ctx._("The database cannot be used: {error}").format(error=error))
            return EXIT_FAILED
        raise
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
