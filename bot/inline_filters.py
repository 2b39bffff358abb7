"""Run synchronous filters inline instead of in a thread.

aiogram calls a synchronous callable — every magic filter such as ``F.chat.type == "private"``
or ``F.text == MARKS`` — through ``asyncio.to_thread``. An update passes a dozen of them on its
way through the routers, so each diary tap paid a dozen thread hand-offs (several
milliseconds, far more on a busy machine). These filters are tiny and pure: wrapping them in a
coroutine runs them on the event loop with the same arguments and the same result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject


def _inline(callback: Callable[..., Any]) -> Callable[..., Any]:
    async def run(*args: Any, **kwargs: Any) -> Any:
        return callback(*args, **kwargs)

    return run


def filters_of(router: Router) -> list[FilterObject]:
    found: list[FilterObject] = []
    for r in router.chain_tail:
        for observer in r.observers.values():
            found.extend(observer._handler.filters or [])
            for handler in observer.handlers:
                found.extend(handler.filters or [])
    return found


def inline_sync_filters(router: Router) -> int:
    """Make every synchronous filter under ``router`` a coroutine; returns how many changed."""
    changed = 0
    for f in filters_of(router):
        if not f.awaitable:
            f.callback = _inline(f.callback)
            f.awaitable = True
            changed += 1
    return changed
