"""MAX's message ids are strings (``mid.…``); aiogram's are ints. Each mid gets a number, kept in
the database so that another process (the delivery worker editing a broadcast's progress, a
restart) finds the same message.

A user's own message is different: nothing edits it, and a reply to it is answered by the
process that read it, so it gets a passing number (negative, this process's memory only) and
costs no write on the way in.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from storage.db import Database


class MessageIds(Protocol):
    async def number(self, mid: str) -> int:
        """The number of ``mid``, made on first sight."""
        ...

    def passing(self, mid: str) -> int:
        """A number for a user's message, known to this process only (negative)."""
        ...

    async def mid(self, number: int) -> str | None:
        """The mid numbered ``number``; None if never seen."""
        ...


class PassingIds:
    """The users' messages this process has read lately: negative numbers, never stored."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._passing: OrderedDict[int, str] = OrderedDict()
        self._next_passing = itertools.count(1)

    def passing(self, mid: str) -> int:
        number = -next(self._next_passing)
        self._passing[number] = mid
        while len(self._passing) > self._size:
            self._passing.popitem(last=False)
        return number

    def passed(self, number: int) -> str | None:
        return self._passing.get(number)


class MemoryMessageIds(PassingIds):
    """For unit tests of the adapter only: one process, forgotten on exit."""

    def __init__(self) -> None:
        super().__init__()
        self._numbers: dict[str, int] = {}
        self._mids: dict[int, str] = {}
        self._next = itertools.count(1)

    async def number(self, mid: str) -> int:
        found = self._numbers.get(mid)
        if found is None:
            found = next(self._next)
            self._numbers[mid] = found
            self._mids[found] = mid
        return found

    async def mid(self, number: int) -> str | None:
        return self.passed(number) if number < 0 else self._mids.get(number)


class DatabaseMessageIds(PassingIds):
    """The app's map: table ``max_message_ids`` of the app's database (``storage.max_ids``),
    shared by every process on that database."""

    def __init__(self, database: Database) -> None:
        from storage.max_ids import MaxMessageIdStore

        super().__init__()
        self._store = MaxMessageIdStore(database)

    async def number(self, mid: str) -> int:
        return await self._store.number(mid)

    async def mid(self, number: int) -> str | None:
        return self.passed(number) if number < 0 else await self._store.mid(number)
