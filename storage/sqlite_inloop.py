"""An aiosqlite connection that runs each call right away on the event loop's own thread.

aiosqlite hands every call (execute, fetch, cursor, close) to a worker thread and wakes the
event loop when it is done. On this kind of machine one such round trip costs 0.2–0.4 ms,
and SQLAlchemy makes several per statement, while the statement itself, an indexed read of
a few hundred rows from a file in the page cache, takes a few microseconds to a millisecond.
For the read-only engine the thread costs more than the work.

So the reader's connections run in the loop. A WAL reader never waits for a writer (it
reads the last committed snapshot), so a read cannot stall the loop on a lock; writers keep
aiosqlite's thread, because ``BEGIN IMMEDIATE`` may wait up to ``busy_timeout`` for the
write lock. A long read (a whole year's export) does hold the loop for its duration:
``benchmarks/bench_diary.py`` prints the longest such read next to the diary figures.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite


class _RunNow:
    """Stands in for aiosqlite's queue to its thread: SQLAlchemy's adapter puts a few calls
    there directly (setting ``isolation_level``); they run at once."""

    def put_nowait(self, item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InLoopConnection(aiosqlite.Connection):
    """aiosqlite's connection API with no worker thread: every call runs when awaited."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int = 64):
        super().__init__(connector, iter_chunk_size)
        self._tx = _RunNow()  # type: ignore[assignment]

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> InLoopConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Any:
        return self._connect().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def connect_in_loop(database: str, iter_chunk_size: int = 64, **kwargs: Any) -> InLoopConnection:
    """The ``async_creator_fn`` for SQLAlchemy's aiosqlite dialect: same arguments as
    ``aiosqlite.connect``."""
    return InLoopConnection(partial(sqlite3.connect, database, **kwargs), iter_chunk_size)
