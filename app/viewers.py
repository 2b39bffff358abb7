"""Who is asking: the viewer for each update, from a short-lived cache.

Building a viewer takes a few queries; a diary tap must answer in milliseconds, so viewers are
kept for half a minute. They are dropped at once when this process changes an account's links,
and within a second when any other process (the console revoking access, an import) changes
what viewers are built from: at most once a second a request first reads the database's access
version (one row, bumped by triggers in the changing transaction) and, if it moved, starts
afresh, and so does the diary's memory of students' classes and groups (a transfer). Pushes do
not use this cache: they check the links when they are sent.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, User

from app.batches import Batcher, seen_writer
from core.access import Viewer
from core.accounts import AccountService

logger = logging.getLogger(__name__)


def messenger_of(bot: Bot | None) -> str:
    """The messenger ``bot`` speaks: its session's ``messenger`` ("max" for MAX's session),
    "telegram" for aiogram's own. Read off the object, so a Telegram-only process never loads
    MAX's kit."""
    return getattr(getattr(bot, "session", None), "messenger", "telegram")


class ViewerCache:
    def __init__(
        self,
        accounts: AccountService,
        ttl: float = 30.0,
        size: int = 20_000,
        check_every: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.accounts = accounts
        self.on_change = on_change  # also drop what else was kept of who is where
        self.ttl = ttl
        self.size = size
        self.check_every = check_every
        self.monotonic = monotonic
        self._items: OrderedDict[tuple[str, str, bool], tuple[float, Viewer]] = OrderedDict()
        self._version: int | None = None
        self._next_check = 0.0
        self._generation = 0  # bumped whenever everything kept is dropped

    async def get(self, messenger: str, external_id: str, private: bool) -> Viewer:
        """The viewer of ``external_id`` on ``messenger`` ("telegram", "max"): the same number on
        two messengers is two accounts."""
        now = self.monotonic()
        if self.ttl > 0 and now >= self._next_check:
            self._next_check = now + self.check_every
            await self._check_version()
        key = (messenger, external_id, private)
        hit = self._items.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        generation = self._generation
        viewer = await self.accounts.viewer_for(messenger, external_id, private)
        # A viewer read while access changed elsewhere may be stale: use it once, keep it not.
        if viewer.account_id is not None and self.ttl > 0 and generation == self._generation:
            self._items[key] = (now + self.ttl, viewer)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return viewer

    async def _check_version(self) -> None:
        try:
            version = await self.accounts.access_version()
        except Exception:  # the viewer's own read will tell the user; keep nothing meanwhile
            logger.warning("could not read the access version", exc_info=True)
            version = None
        if version is None or version != self._version:
            self._items.clear()
            self._generation += 1
            self.on_change()
        self._version = version

    def forget(self, messenger: str, external_id: str) -> None:
        for private in (True, False):
            self._items.pop((messenger, external_id, private), None)


class LastSeen(Batcher[tuple[int, datetime]]):
    """When each account last used the bot, written in batches off the answer's path
    (``app.batches``). An account is due at most once an hour."""

    def __init__(
        self,
        record: Callable[[Mapping[int, datetime]], Awaitable[None]],
        now: Callable[[], datetime],
        every: float = 3600.0,
        delay: float = 10.0,
        batch: int = 500,
        size: int = 50_000,
    ) -> None:
        super().__init__(seen_writer(record), "accounts as seen", delay, batch)
        self.now = now
        self.every = every
        self.size = size
        self._written: dict[int, float] = {}

    def seen(self, account_id: int) -> None:
        now = time.monotonic()
        last = self._written.get(account_id)
        if last is not None and now - last < self.every:
            return
        if len(self._written) >= self.size:
            self._written.clear()
        self._written[account_id] = now
        self.put((account_id, self.now()), key=account_id)


class ViewerMiddleware(BaseMiddleware):
    """Puts ``viewer`` and ``messenger`` (the update's bot's: "telegram", "max") into the
    handler's data; notes "last seen" for a later batched write."""

    def __init__(self, viewers: ViewerCache, last_seen: LastSeen | None = None) -> None:
        self.viewers = viewers
        self.last_seen = last_seen

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        messenger = messenger_of(data.get("bot"))
        data["messenger"] = messenger
        if user is None:
            data["viewer"] = Viewer(private_chat=False, channel=messenger)
        else:
            private = chat is not None and chat.type == ChatType.PRIVATE
            viewer = await self.viewers.get(messenger, str(user.id), private)
            data["viewer"] = viewer
            if self.last_seen is not None and viewer.account_id is not None:
                self.last_seen.seen(viewer.account_id)
        return await handler(event, data)
