"""Alembic migrations run from code: no alembic.ini, the URL is passed in.

Each command runs in one transaction: a migration that fails halfway changes nothing (SQLite
and PostgreSQL both have transactional DDL). On SQLite, foreign keys are off while the schema
changes (batch mode rebuilds tables) and checked before the commit.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from storage.db import normalize_url, postgres_engine, sqlite_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

R = TypeVar("R")


class MigrationError(RuntimeError):
    pass


def alembic_config(url: str | URL | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.attributes["url"] = normalize_url(url).render_as_string(hide_password=False)
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def migration_engine(url: str | URL) -> AsyncEngine:
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return sqlite_engine(parsed, foreign_keys=False, poolclass=NullPool)
    return postgres_engine(parsed, poolclass=NullPool)


async def _in_transaction(url: str | URL, work: Callable[[Connection], R]) -> R:
    engine = migration_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


def _alembic(
    fn: Callable[..., Any], *args: Any, **kwargs: Any
) -> Callable[[Connection], str | None]:
    def work(conn: Connection) -> str | None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        fn(cfg, *args, **kwargs)
        if conn.dialect.name == "sqlite":
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise MigrationError(f"foreign keys broken by the migration: {broken[:5]}")
        return MigrationContext.configure(conn).get_current_revision()

    return work


async def upgrade(url: str | URL, revision: str = "head") -> str | None:
    """Migrate the database at ``url`` up to ``revision``; returns the revision reached."""
    return await _in_transaction(url, _alembic(command.upgrade, revision))


async def downgrade(url: str | URL, revision: str) -> str | None:
    """Migrate down to ``revision`` (``base``: nothing left); returns the revision reached."""
    return await _in_transaction(url, _alembic(command.downgrade, revision))


async def current_revision(url: str | URL) -> str | None:
    """The revision the database is at; None for an empty database."""

    def work(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    return await _in_transaction(url, work)


def make_revision(url: str | URL, message: str, rev_id: str | None = None) -> None:
    """For developers: autogenerate a new revision by comparing the metadata with the
    database at ``url`` (migrated to head first)."""
    cfg = alembic_config(url)
    run_blocking(upgrade(url))
    command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)


def run_blocking(coro: Coroutine[Any, Any, R]) -> R:
    """Run a coroutine to completion from sync code, even when a loop is already running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    result: list[R] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=target, name="schoolbot-migrate")
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def upgrade_sync(url: str | URL, revision: str = "head") -> str | None:
    """``upgrade`` for synchronous callers such as a CLI."""
    return run_blocking(upgrade(url, revision))


def downgrade_sync(url: str | URL, revision: str) -> str | None:
    return run_blocking(downgrade(url, revision))
