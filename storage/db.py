"""Engines and sessions: SQLite in WAL mode by default, PostgreSQL for scale.

Units of work that write run one at a time, on both databases, so a read-then-write (a
correction of a mark, closing a period, a counter) never works from data another writer is
changing. Within a process they queue first come, first served (``WriterGate``), so only one
of them at a time asks the database. SQLite takes one writer at a time: writers begin with
``BEGIN IMMEDIATE``, so they wait at the start of their transaction (``_take_write_lock``, for
other processes' writers) instead of failing with "database is locked" when they first write;
read-only units of work use a second engine whose ``BEGIN`` is deferred and takes no write lock
(WAL lets them read while a writer works). On PostgreSQL a writing unit of work begins by
taking one transaction-level advisory lock (waiting at most as long as SQLite would), and READ
COMMITTED then shows it everything committed before it; the delivery queue's own sessions do
not take it (they claim rows with SKIP LOCKED).

A writer that waits longer than the busy timeout (``busy_timeout_ms``, 10 s by default) gets
``core.errors.Busy`` instead of the driver's error, as does one whose PostgreSQL transaction
hit a lock timeout, a serialization failure or a deadlock, or lost its connection mid-way
(``_raise_busy``): its transaction is rolled back whole, and the front-ends answer "the journal
is busy, try again" in one place. A database that cannot be reached at all is not "busy": that
error is left as it is, for the console's start-up message.
"""

from __future__ import annotations

import asyncio
import random
import time
import weakref
from types import TracebackType
from typing import Any, Self

from sqlalchemy import event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool
from sqlalchemy.util import await_only

from core.errors import Busy, NotFound
from core.ports import EventFanout
from storage.sqlite_inloop import connect_in_loop
from storage.tables import map_entities
from storage.uow import SqlUnitOfWork

BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for the one before it, by default
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


# SQLite's primary result codes for "another connection holds the lock".
_SQLITE_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
# PostgreSQL's SQLSTATEs of the same kind: lock_not_available (lock_timeout),
# serialization_failure, deadlock_detected.
_PG_BUSY = {"55P03", "40001", "40P01"}


def is_busy(context: ExceptionContext) -> bool:
    """Whether a statement failed because the database was busy (or its connection went away
    mid-transaction), rather than because of the statement or an unreachable server."""
    if context.is_pre_ping or context.connection is None:
        return False  # a pre-ping reconnects by itself; no connection at all: not "busy"
    if context.is_disconnect:
        return True
    original = context.original_exception
    if context.dialect is not None and context.dialect.name == "sqlite":
        return sqlite_busy(original)
    return getattr(original, "sqlstate", None) in _PG_BUSY


def sqlite_busy(error: BaseException) -> bool:
    """SQLite's «database is locked» (SQLITE_BUSY, SQLITE_LOCKED and their extended codes)."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_BUSY
    return "database is locked" in str(error) or "database table is locked" in str(error)


def out_of_range(error: BaseException | None) -> bool:
    """An argument PostgreSQL's integer columns cannot hold (asyncpg refuses it before the
    query is sent): an id typed or forged beyond 32 bits, which no row can have."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, OverflowError) or "out of int32 range" in str(error):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _raise_busy(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        if out_of_range(context.original_exception):
            raise NotFound("record", None) from context.sqlalchemy_exception
        if is_busy(context):
            # Raised here, SQLAlchemy still invalidates a lost connection; the session's
            # transaction is rolled back by whoever owns it, as with any error.
            raise Busy() from context.sqlalchemy_exception


class WriterGate:
    """Writing units of work of this process one at a time, in the order they came.

    Without it, a hundred writers at once each hold a pooled connection and all ask the
    database for its one write lock, with no order among them: on SQLite a writer can lose
    race after race and wait out the busy timeout while the work before it would have taken a
    second. In the gate they queue first come, first served, and one connection per process
    asks the database (for other processes' writers); a writer that waits here longer than
    the busy timeout gets ``Busy`` too. A unit of work opened inside another by the same task
    passes (it would wait for itself otherwise); another task waits, as it would for the
    database's lock."""

    def __init__(self, timeout_ms: int) -> None:
        self.timeout = timeout_ms / 1000
        # one queue per event loop (a console command runs its own), and who holds its turn
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turn] = (
            weakref.WeakKeyDictionary()
        )

    async def enter(self) -> _Turn | None:
        """Wait for this writer's turn; None for a unit of work inside the task's own."""
        loop = asyncio.get_running_loop()
        turn = self._turns.get(loop)
        if turn is None:
            turn = self._turns[loop] = _Turn()
        task = asyncio.current_task()
        if turn.owner is not None and turn.owner is task:
            return None
        try:
            async with asyncio.timeout(self.timeout):
                await turn.lock.acquire()
        except TimeoutError:
            raise Busy() from None
        turn.owner = task
        return turn

    @staticmethod
    def leave(turn: _Turn | None) -> None:
        if turn is not None:
            turn.owner = None
            turn.lock.release()


class _Turn:
    __slots__ = ("lock", "owner")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[Any] | None = None


class GatedUnitOfWork(SqlUnitOfWork):
    """A writing unit of work that passes the process's ``WriterGate`` for its duration."""

    def __init__(self, session: AsyncSession, *, gate: WriterGate, **kwargs: Any) -> None:
        super().__init__(session, **kwargs)
        self._gate = gate
        self._turn: _Turn | None = None

    async def __aenter__(self) -> Self:
        self._turn = await self._gate.enter()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc, tb)
        finally:
            turn, self._turn = self._turn, None
            self._gate.leave(turn)


# Seconds between a waiting writer's tries for SQLite's write lock, at random in this range.
WRITE_LOCK_POLL = (0.001, 0.004)


def _take_write_lock(conn: Any, begin: str, timeout: float) -> None:
    """``begin`` (``BEGIN IMMEDIATE``), asked for again every few milliseconds until
    ``timeout`` seconds have passed, then ``Busy``.

    SQLite's own busy handler sleeps the longer the longer a connection has waited, up to
    100 ms a time, so under a crowd of writers (four processes of a hundred) the one that
    has waited longest loses nearly every race to newcomers and can wait out the whole busy
    timeout. Asking at the same short pace whatever the wait keeps the odds even. The sleeps
    are on the event loop, not in the connection's thread."""
    cursor = conn.connection.dbapi_connection.cursor()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                cursor.execute(begin)
                return
            except Exception as exc:  # the driver's own error: not wrapped by SQLAlchemy here
                if not sqlite_busy(exc):
                    break  # let SQLAlchemy run it again and report it as it reports errors
                if time.monotonic() >= deadline:
                    raise Busy() from exc
            await_only(asyncio.sleep(random.uniform(*WRITE_LOCK_POLL)))
    finally:
        cursor.close()
    conn.exec_driver_sql(begin)


def sqlite_engine(
    url: URL,
    *,
    begin: str = "BEGIN IMMEDIATE",
    foreign_keys: bool = True,
    query_only: bool = False,
    in_loop: bool = False,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    **kwargs: Any,
) -> AsyncEngine:
    """An aiosqlite engine whose connections use WAL and whose transactions start with ``begin``.

    ``in_loop``: the connections run their calls on the event loop's thread instead of a
    worker thread each (``storage.sqlite_inloop``); for the read-only engine. A writer's
    ``BEGIN IMMEDIATE`` waits in ``_take_write_lock``, up to ``busy_timeout_ms``; the
    connection's own ``busy_timeout`` then is only for the pragmas when it connects.
    """
    if is_memory_sqlite(url):
        kwargs.setdefault("poolclass", StaticPool)
    if in_loop:
        kwargs.setdefault("connect_args", {})["async_creator_fn"] = connect_in_loop
    engine = create_async_engine(url, **kwargs)
    pragmas = [
        f"PRAGMA busy_timeout = {int(busy_timeout_ms)}",
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
        f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}",
    ]
    if query_only:
        pragmas.append("PRAGMA query_only = ON")
    polls = begin.upper().startswith(("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"))
    if polls:
        pragmas.append("PRAGMA busy_timeout = 0")

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
        if polls:
            _take_write_lock(conn, begin, busy_timeout_ms / 1000)
        else:
            conn.exec_driver_sql(begin)

    _raise_busy(engine)
    return engine


def postgres_engine(
    url: URL, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, **kwargs: Any
) -> AsyncEngine:
    """An asyncpg engine; a connection with the execution option ``one_writer`` begins each
    transaction by waiting (up to ``busy_timeout_ms``) for the writers' advisory lock."""
    kwargs.setdefault("isolation_level", "READ COMMITTED")
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("one_writer"):
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(busy_timeout_ms)}")
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")

    _raise_busy(engine)
    return engine


class Database:
    """The database of one school: a writer engine, a reader engine, units of work."""

    def __init__(
        self,
        url: str | URL,
        *,
        echo: bool = False,
        fanout: EventFanout | None = None,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        map_entities()
        self.url = normalize_url(url)
        # How long a writer waits for the one before it before giving up with ``Busy``.
        self.busy_timeout_ms = busy_timeout_ms
        self.writer_gate = WriterGate(busy_timeout_ms)
        # Turns committed events into pushes; None: events go only to the outbox.
        self.fanout = fanout
        self.backend = self.url.get_backend_name()
        if self.backend == "sqlite":
            self.engine = sqlite_engine(self.url, echo=echo, busy_timeout_ms=busy_timeout_ms)
            if is_memory_sqlite(self.url):
                # One shared connection: a second engine would see another database.
                self.read_engine = self.engine
            else:
                self.read_engine = sqlite_engine(
                    self.url,
                    begin="BEGIN DEFERRED",
                    query_only=True,
                    in_loop=True,
                    echo=echo,
                    busy_timeout_ms=busy_timeout_ms,
                )
            self.uow_engine = self.engine
        else:
            self.engine = postgres_engine(self.url, echo=echo, busy_timeout_ms=busy_timeout_ms)
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
        cls,
        url: str | URL,
        *,
        echo: bool = False,
        fanout: EventFanout | None = None,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> Database:
        """Engines are created here (lazily connecting), never at import time."""
        return cls(url, echo=echo, fanout=fanout, busy_timeout_ms=busy_timeout_ms)

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    def session(self, readonly: bool = False) -> AsyncSession:
        """A bare session on the writer (or reader) engine, for code outside the core's ports."""
        return (self._reader if readonly else self._writer)()

    def uow(self, readonly: bool = False) -> SqlUnitOfWork:
        if readonly:
            return SqlUnitOfWork(self._reader(), readonly=True)
        return GatedUnitOfWork(self._uow_writer(), gate=self.writer_gate, fanout=self.fanout)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine and self.backend == "sqlite":
            await self.read_engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"
