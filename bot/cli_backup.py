"""``schoolbot backup`` and ``schoolbot restore``: signed (and encrypted) backups, their
verification, restore and drill, and the key that signs them (rule 12)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from app.backup_text import backup_problem, drill_lines
from bot.cli_common import CliError, Context

if TYPE_CHECKING:
    from storage.backup import BackupKey


def _refused(ctx: Context, exc: Exception) -> CliError:
    return CliError(backup_problem(getattr(exc, "code", ""), getattr(exc, "facts", {}), ctx._))


def _key(ctx: Context) -> BackupKey:
    from storage.backup import BackupError, key_of

    try:
        key = key_of(ctx.settings)
    except BackupError as exc:
        raise _refused(ctx, exc) from exc
    if key is None:
        raise CliError(backup_problem("no_key", {}, ctx._))
    return key


def _chosen(ctx: Context, given: Path) -> Path:
    """The backup itself, or the ``--out`` folder's newest backup, said which."""
    from storage.backup import BackupError, resolve

    try:
        folder = resolve(given)
    except BackupError as exc:
        raise _refused(ctx, exc) from exc
    if folder != given:
        print(ctx._("The newest backup in {dir}: {name}").format(dir=given, name=folder.name))
    return folder


async def cmd_backup(ctx: Context, args: argparse.Namespace) -> None:
    from storage.backup import BackupError, backup

    if args.out is None:
        raise CliError(ctx._("Please give --out DIR (or: backup verify DIR)."))
    key = _key(ctx)
    database = await ctx.database()
    try:
        info = await backup(
            database, args.out, key, ctx.clock.now(), encrypt=ctx.settings.backup_encrypt
        )
    except BackupError as exc:
        raise _refused(ctx, exc) from exc
    finally:
        await database.dispose()
    done = (
        ctx._("Backup written to {path}: {rows} rows in {tables} tables, signed and encrypted.")
        if info.encrypted
        else ctx._("Backup written to {path}: {rows} rows in {tables} tables, signed.")
    )
    print(done.format(path=info.path, rows=info.total, tables=len(info.rows)))


async def cmd_verify(ctx: Context, args: argparse.Namespace) -> None:
    from storage.backup import BackupError, verify

    key = _key(ctx)
    folder = _chosen(ctx, args.dir)
    try:
        info = verify(folder, key)
    except BackupError as exc:
        raise _refused(ctx, exc) from exc
    print(
        ctx._(
            "The backup is intact and signed with BACKUP_KEY: {rows} rows in {tables} tables, "
            "schema {revision}."
        ).format(rows=info.total, tables=len(info.rows), revision=info.revision)
    )


async def cmd_restore(ctx: Context, args: argparse.Namespace) -> None:
    from storage.backup import BackupError, restore

    key = _key(ctx)
    folder = _chosen(ctx, args.dir)
    try:
        info = await restore(folder, ctx.settings.database_url, key)
    except BackupError as exc:
        raise _refused(ctx, exc) from exc
    print(
        ctx._("Restored {rows} rows in {tables} tables from {path}.").format(
            rows=info.total, tables=len(info.rows), path=info.path
        )
    )


async def cmd_drill(ctx: Context, args: argparse.Namespace) -> None:
    from storage.backup import backup_dirs, drill, record_drill

    key = _key(ctx)
    places = backup_dirs(ctx.settings)
    where: Path | None = args.dir or (places[0] if places else None)
    if where is None:
        raise CliError(ctx._("Please give the backups' folder (or set BACKUP_DIRS)."))
    result = await drill(where, key, ctx.clock.now())
    if args.dir is None:  # the scheduled backups' drill: shown in status and /admin
        record_drill(where, result, key)
    if result.ok:
        print(
            ctx._(
                "Restore drill: {name} restored into a scratch database; every table's row "
                "count matches the manifest."
            ).format(name=result.backup)
        )
        return
    for line in drill_lines(result, ctx._):
        print(line)
    raise CliError(
        ctx._("Restore drill failed: {name} did not restore as its manifest says.").format(
            name=result.backup or where
        )
    )


async def cmd_key_new(ctx: Context, args: argparse.Namespace) -> None:
    from storage.backup import new_key

    if ctx.settings.backup_key is not None:
        print(
            ctx._(
                "BACKUP_KEY is already set. Backups made with it can only be verified and "
                "restored with it: keep the old key if you replace it."
            )
        )
    print(ctx._("A new backup key (shown once: it is not stored anywhere):"))
    print()
    print(f"    BACKUP_KEY={new_key()}")
    print()
    print(
        ctx._(
            "Put this line into the bot's environment (.env) and keep a copy away from the "
            "server and the backups (a safe, a password manager): without it no backup can be "
            "verified, restored or decrypted."
        )
    )


def register(sub: argparse._SubParsersAction) -> None:
    bk = sub.add_parser(
        "backup",
        help="a signed, encrypted online backup; backup verify|drill DIR checks one",
        description="Writes DIR/schoolbot-<time>/ while the bot keeps running: every table "
        "(a consistent snapshot), a manifest of every table with its row count, SHA256SUMS "
        "signed with BACKUP_KEY (HMAC-SHA256) and, on SQLite, a copy made with SQLite's backup "
        "API; encrypted with a key derived from BACKUP_KEY unless BACKUP_ENCRYPT=0. Files are "
        "0600, folders 0700. Scheduled backups go to BACKUP_DIRS.",
    )
    bk.add_argument("--out", type=Path, metavar="DIR", help="the folder to write the backup in")
    bk.set_defaults(handler=cmd_backup)
    bk_sub = bk.add_subparsers(dest="backup_command", metavar="ACTION")
    ver = bk_sub.add_parser(
        "verify",
        help="check a backup's signature, files and row counts",
        description="Refuses a backup not signed with BACKUP_KEY, a changed or missing file, a "
        "missing table. DIR may be the --out folder: its newest backup is checked.",
    )
    ver.add_argument("dir", type=Path, metavar="DIR", help="a backup, or the folder of backups")
    ver.set_defaults(handler=cmd_verify)
    dr = bk_sub.add_parser(
        "drill",
        help="restore the newest backup into a scratch database and compare row counts",
        description="Restores the newest backup in DIR (default: the first BACKUP_DIRS folder, "
        "where the result is kept for schoolbot status and /admin) into a temporary SQLite "
        "database and compares each table's rows with the manifest. The scheduler runs it "
        "weekly.",
    )
    dr.add_argument("dir", nargs="?", type=Path, metavar="DIR", help="a folder of backups")
    dr.set_defaults(handler=cmd_drill)
    key = bk_sub.add_parser("key", help="the key that signs and encrypts backups")
    key_sub = key.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    new = key_sub.add_parser(
        "new",
        help="print a new BACKUP_KEY once (nothing is stored)",
        description="Prints a new random BACKUP_KEY to put into the environment; it is not "
        "written anywhere. Keep a copy away from the server.",
    )
    new.set_defaults(handler=cmd_key_new)
    rs = sub.add_parser(
        "restore",
        help="restore a signed backup into an empty database (DATABASE_URL)",
        description="Verifies the backup (signature, files, every table), then creates the "
        "schema and every row in one transaction; refuses a database that is not empty. DIR "
        "may be the --out folder: its newest backup is restored.",
    )
    rs.add_argument("dir", type=Path, metavar="DIR", help="a backup, or the folder of backups")
    rs.set_defaults(handler=cmd_restore)
