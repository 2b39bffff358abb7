"""Who is asking: the viewer for each update, from a short-lived cache.

Building a viewer takes a few queries; a diary tap must answer in milliseconds, so viewers are
kept for half a minute and dropped at once when this process changes an account's links.
Pushes do not use this cache: they check the links when they are sent.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, User

from core.access import Viewer
from core.accounts import AccountService

MESSENGER = "telegram"


class ViewerCache:
    def __init__(self, accounts: AccountService, ttl: float = 30.0, size: int = 20_000) -> None:
        self.accounts = accounts
        self.ttl = ttl
        self.size = size
        self._items: OrderedDict[tuple[str, bool], tuple[float, Viewer]] = OrderedDict()

    async def get(self, external_id: str, private: bool) -> Viewer:
        key = (external_id, private)
        now = time.monotonic()
        hit = self._items.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        viewer = await self.accounts.viewer_for(MESSENGER, external_id, private)
        if viewer.account_id is not None and self.ttl > 0:
            self._items[key] = (now + self.ttl, viewer)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return viewer

    def forget(self, external_id: str) -> None:
        for private in (True, False):
            self._items.pop((external_id, private), None)


class ViewerMiddleware(BaseMiddleware):
    """Puts ``viewer`` into the handler's data; reads only, never writes."""

    def __init__(self, viewers: ViewerCache) -> None:
        self.viewers = viewers

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if user is None:
            data["viewer"] = Viewer(private_chat=False)
        else:
            private = chat is not None and chat.type == ChatType.PRIVATE
            data["viewer"] = await self.viewers.get(str(user.id), private)
        return await handler(event, data)
