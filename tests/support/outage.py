"""A database that goes away for a while, for fault campaigns.

``TcpProxy``: a TCP proxy on 127.0.0.1 in front of a server (PostgreSQL); ``cut()`` resets every
open connection and refuses new ones until ``restore()``, as a database host that drops off the
network and comes back. ``StatementOutage``: the same seen from SQLAlchemy for a SQLite file,
which has no socket to cut: while it is down, every transaction's BEGIN, every statement and
every COMMIT on the given engines fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.down = False
        self.cuts = 0
        self.refused = 0  # connections refused while down
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @classmethod
    def before(cls, url: str | URL) -> TcpProxy:
        parsed = make_url(url)
        return cls(parsed.host or "127.0.0.1", parsed.port or 5432)

    def url_through(self, url: str | URL) -> str:
        """``url`` with its host and port replaced by this proxy's."""
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(False)

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> TcpProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def cut(self) -> None:
        """Reset every open connection; refuse new ones until ``restore``."""
        self.down = True
        self.cuts += 1
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    def restore(self) -> None:
        self.down = False

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self._tasks.discard(task)
            for w in (writer, up_writer):
                self._open.discard(w)
                w.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


class StatementOutage:
    """While ``down``, the engines' transactions cannot begin, run or commit."""

    def __init__(self, *engines: AsyncEngine) -> None:
        self.down = False
        self.failed = 0
        seen: set[int] = set()
        for engine in engines:
            sync = engine.sync_engine
            if id(sync) in seen:
                continue
            seen.add(id(sync))
            # first in line: the BEGIN itself must not run while the database is away
            event.listen(sync, "begin", self._check, insert=True)
            event.listen(sync, "commit", self._check, insert=True)
            event.listen(sync, "before_cursor_execute", self._check, insert=True)

    def _check(self, *args: Any) -> None:
        if self.down:
            self.failed += 1
            raise sqlite3.OperationalError("unable to open database file (the test's outage)")

    def cut(self) -> None:
        self.down = True

    def restore(self) -> None:
        self.down = False
