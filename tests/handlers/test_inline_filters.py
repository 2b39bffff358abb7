"""No filter of ours runs in a thread: every one is awaited on the event loop."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot.inline_filters import filters_of, inline_sync_filters
from tests.handlers.conftest import World
from tests.support import BotTester, make_bot


async def test_every_filter_of_the_bot_is_a_coroutine(world: World) -> None:
    filters = filters_of(world.tester.dispatcher)
    assert len(filters) > 20
    assert all(f.awaitable for f in filters)


async def test_an_inlined_magic_filter_still_decides(world: World) -> None:
    router = Router()
    seen: list[str] = []

    @router.message(F.text == "да")
    async def yes(message: Message) -> None:
        seen.append("yes")

    @router.message(F.text.startswith("/"))
    async def command(message: Message) -> None:
        seen.append("command")

    assert inline_sync_filters(router) == 2
    assert inline_sync_filters(router) == 0  # idempotent
    from aiogram import Dispatcher

    dp = Dispatcher()
    dp.include_router(router)
    tester = BotTester(dp, make_bot())
    await tester.send("нет")
    await tester.send("да")
    await tester.send("/x")
    assert seen == ["yes", "command"]
