"""The MAX adapter's memory in the database: the numbers of MAX's message ids (table
``max_message_ids``), the long polling's marker (``max_polling``) and the files one messenger
knows of the other's (``file_copies``).

Not a unit-of-work repository: a mid is numbered the moment the adapter first sees it (a sent
message, a pressed one), in a short transaction of its own on the writer engine, outside the
writers' gate and PostgreSQL's advisory lock. The insert is ``ON CONFLICT DO NOTHING`` followed
by a read, so two processes numbering the same mid at once both get the one row. A mapping
never changes once made, so both directions are kept in a bounded memory cache.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.db import Database
from storage.tables import file_copies, max_message_ids, max_polling

CACHE_SIZE = 10_000


class MaxMessageIdStore:
    def __init__(self, database: Database, cache_size: int = CACHE_SIZE) -> None:
        self.database = database
        self.cache_size = cache_size
        self._numbers: OrderedDict[str, int] = OrderedDict()
        self._mids: OrderedDict[int, str] = OrderedDict()

    def _remember(self, mid: str, number: int) -> None:
        for cache, key, value in ((self._numbers, mid, number), (self._mids, number, mid)):
            cache[key] = value  # type: ignore[index]
            cache.move_to_end(key)  # type: ignore[attr-defined]
            while len(cache) > self.cache_size:
                cache.popitem(last=False)  # type: ignore[attr-defined]

    async def number(self, mid: str) -> int:
        """The number of ``mid``, made on first sight (race-safe across processes)."""
        found = self._numbers.get(mid)
        if found is not None:
            self._numbers.move_to_end(mid)
            return found
        insert = pg_insert if self.database.backend == "postgresql" else sqlite_insert
        statement = (
            insert(max_message_ids)
            .values(mid=mid, created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["mid"])
        )
        async with self.database.session() as session, session.begin():
            await session.execute(statement)
            number = (
                await session.execute(
                    select(max_message_ids.c.id).where(max_message_ids.c.mid == mid)
                )
            ).scalar_one()
        self._remember(mid, number)
        return number

    async def mid(self, number: int) -> str | None:
        """The mid numbered ``number``; None if none is."""
        found = self._mids.get(number)
        if found is not None:
            return found
        if not 0 < number < 2**31:  # beyond the column: no row, and PostgreSQL would refuse it
            return None
        async with self.database.session(readonly=True) as session:
            mid = (
                await session.execute(
                    select(max_message_ids.c.mid).where(max_message_ids.c.id == number)
                )
            ).scalar_one_or_none()
        if mid is not None:
            self._remember(mid, number)
        return mid


class MaxPollingMarker:
    """Where MAX's long polling stands (table ``max_polling``, one row), across restarts."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def load(self) -> int | None:
        async with self.database.session(readonly=True) as session:
            return (
                await session.execute(select(max_polling.c.marker).where(max_polling.c.id == 1))
            ).scalar_one_or_none()

    async def save(self, marker: int) -> None:
        insert = pg_insert if self.database.backend == "postgresql" else sqlite_insert
        now = datetime.now(UTC)
        statement = (
            insert(max_polling)
            .values(id=1, marker=marker, updated_at=now)
            .on_conflict_do_update(
                index_elements=["id"], set_={"marker": marker, "updated_at": now}
            )
        )
        async with self.database.session() as session, session.begin():
            await session.execute(statement)


class FileCopyStore:
    """A file that arrived in one messenger, as the other knows it once sent there (a Telegram
    file's MAX upload token, a MAX file's Telegram file_id), so it is carried across once and
    not again after a restart."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def _key(ref: str) -> str:
        return hashlib.sha256(ref.encode()).hexdigest()

    async def get(self, ref: str, messenger: str) -> str | None:
        async with self.database.session(readonly=True) as session:
            return (
                await session.execute(
                    select(file_copies.c.copy).where(
                        file_copies.c.ref_hash == self._key(ref),
                        file_copies.c.messenger == messenger,
                    )
                )
            ).scalar_one_or_none()

    async def put(self, ref: str, messenger: str, copy: str) -> None:
        insert = pg_insert if self.database.backend == "postgresql" else sqlite_insert
        statement = (
            insert(file_copies)
            .values(
                ref_hash=self._key(ref),
                messenger=messenger,
                copy=copy,
                created_at=datetime.now(UTC),
            )
            .on_conflict_do_update(index_elements=["ref_hash", "messenger"], set_={"copy": copy})
        )
        async with self.database.session() as session, session.begin():
            await session.execute(statement)
