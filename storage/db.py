"""Engines and sessions: SQLite in WAL mode by default, PostgreSQL for scale.

Units of work that write run one at a time, on both databases, so a read-then-write (a
correction of a mark, closing a period, a counter) never works from data another writer is
changing. SQLite takes one writer at a time: writers begin with ``BEGIN IMMEDIATE``, so they
queue on ``busy_timeout`` at the start of their transaction instead of failing with "database
is locked" when they first write; read-only units of work use a second engine whose ``BEGIN``
is deferred and takes no write lock (WAL lets them read while a writer works). On PostgreSQL a
writing unit of work begins by taking one transaction-level advisory lock (waiting at most as
long as SQLite would), and READ COMMITTED then shows it everything committed before it; the
delivery queue's own sessions do not take it (they claim rows with SKIP LOCKED).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from core.ports import EventFanout
from storage.sqlite_inloop import connect_in_loop
from storage.tables import map_entities
from storage.uow import SqlUnitOfWork

BUSY_TIMEOUT_MS = 10_000
WRITER_LOCK = 0x5C400_0001  # PostgreSQL advisory lock key of the writing units of work

_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"}
_PG_DRIVERS = {
    "postgres",
    "postgresql",
    "postgresql+psycopg2",
    "postgresql+psycopg",
    "postgresql+asyncpg",
}


def normalize_url(url: str | URL) -> URL:
    """The async-driver form of a database URL: ``sqlite+aiosqlite`` or ``postgresql+asyncpg``."""
    parsed = make_url(url)
    if parsed.drivername in _SQLITE_DRIVERS:
        return parsed.set(drivername="sqlite+aiosqlite")
    if parsed.drivername in _PG_DRIVERS:
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}")


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def sqlite_engine(
    url: URL,
    *,
    begin: str = "BEGIN IMMEDIATE",
    foreign_keys: bool = True,
    query_only: bool = False,
    in_loop: bool = False,
    **kwargs: Any,
) -> AsyncEngine:
    """An aiosqlite engine whose connections use WAL and whose transactions start with ``begin``.

    ``in_loop``: the connections run their calls on the event loop's thread instead of a
    worker thread each (``storage.sqlite_inloop``); for the read-only engine.
    """
    if is_memory_sqlite(url):
        kwargs.setdefault("poolclass", StaticPool)
    if in_loop:
        kwargs.setdefault("connect_args", {})["async_creator_fn"] = connect_in_loop
    engine = create_async_engine(url, **kwargs)
    pragmas = [
        f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
        f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}",
    ]
    if query_only:
        pragmas.append("PRAGMA query_only = ON")

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver must not issue BEGIN on its own: we emit it below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


def postgres_engine(url: URL, **kwargs: Any) -> AsyncEngine:
    """An asyncpg engine; a connection with the execution option ``one_writer`` begins each
    transaction by waiting (up to ``BUSY_TIMEOUT_MS``) for the writers' advisory lock."""
    kwargs.setdefault("isolation_level", "READ COMMITTED")
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("one_writer"):
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {BUSY_TIMEOUT_MS}")
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")

    return engine


class Database:
    """The database of one school: a writer engine, a reader engine, units of work."""

    def __init__(
        self, url: str | URL, *, echo: bool = False, fanout: EventFanout | None = None
    ) -> None:
        map_entities()
        self.url = normalize_url(url)
        # Turns committed events into pushes; None: events go only to the outbox.
        self.fanout = fanout
        self.backend = self.url.get_backend_name()
        if self.backend == "sqlite":
            self.engine = sqlite_engine(self.url, echo=echo)
            if is_memory_sqlite(self.url):
                # One shared connection: a second engine would see another database.
                self.read_engine = self.engine
            else:
                self.read_engine = sqlite_engine(
                    self.url, begin="BEGIN DEFERRED", query_only=True, in_loop=True, echo=echo
                )
            self.uow_engine = self.engine
        else:
            self.engine = postgres_engine(self.url, echo=echo)
            self.read_engine = self.engine.execution_options(postgresql_readonly=True)
            self.uow_engine = self.engine.execution_options(one_writer=True)
        self._writer = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self._uow_writer = async_sessionmaker(
            self.uow_engine, expire_on_commit=False, autoflush=True
        )
        # Nothing read-only ever flushes: a change to a loaded entity stays in memory.
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False, autoflush=False)

    @classmethod
    def connect(
        cls, url: str | URL, *, echo: bool = False, fanout: EventFanout | None = None
    ) -> Database:
        """Engines are created here (lazily connecting), never at import time."""
        return cls(url, echo=echo, fanout=fanout)

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    def session(self, readonly: bool = False) -> AsyncSession:
        """A bare session on the writer (or reader) engine, for code outside the core's ports."""
        return (self._reader if readonly else self._writer)()

    def uow(self, readonly: bool = False) -> SqlUnitOfWork:
        session = self._reader() if readonly else self._uow_writer()
        return SqlUnitOfWork(session, readonly=readonly, fanout=None if readonly else self.fanout)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine and self.backend == "sqlite":
            await self.read_engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"
