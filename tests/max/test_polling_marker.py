"""MAX's long polling keeps its marker in the database: a restart asks MAX for what came after
the last handled batch (MAX answers a poll without a marker with its newest update only), and
polling first ends a webhook subscription left over (MAX hands polling nothing while one is on)."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from pathlib import Path

from aiogram import Dispatcher
from aiogram.types import Message

from bot.max.bot import build_max_bot
from bot.max.ids import DatabaseMessageIds
from bot.max.polling import MaxPolling
from bot.max.updates import UpdateConverter
from bot.max.webhook import subscribe, unsubscribe_all
from storage.db import Database
from storage.max_ids import MaxPollingMarker
from storage.migrate import upgrade
from tests.support.fake_max import FakeMaxAPI

USER = 777


async def _database(tmp_path: Path) -> Database:
    url = f"sqlite+aiosqlite:///{tmp_path / 'max.db'}"
    await upgrade(url)
    return Database.connect(url)


class Seen(list[str]):
    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()


def _echo(seen: Seen) -> Dispatcher:
    dp = Dispatcher()

    @dp.message()
    async def note(message: Message) -> None:
        seen.append(message.text or "")
        seen.changed.set()

    return dp


async def _poll_until(polling: MaxPolling, seen: Seen, count: int) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(polling.run(stop))
    try:
        async with asyncio.timeout(10):
            while len(seen) < count:
                seen.changed.clear()
                await seen.changed.wait()
    finally:
        stop.set()
        with suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


async def test_a_restart_goes_on_from_the_saved_marker(tmp_path: Path) -> None:
    database = await _database(tmp_path)
    markers = MaxPollingMarker(database)
    assert await markers.load() is None
    try:
        async with FakeMaxAPI() as fake:
            ids = DatabaseMessageIds(database)
            bot = await build_max_bot(fake.token, ids, api_url=fake.base_url)
            try:
                seen = Seen()
                dp = _echo(seen)
                converter = UpdateConverter(ids, bot.id)
                fake.message_created("first", USER)
                fake.message_created("second", USER)
                await _poll_until(
                    MaxPolling(bot, dp, converter, timeout=1, markers=markers), seen, 2
                )
                saved = await markers.load()
                assert saved == 2 and seen == ["first", "second"]

                fake.message_created("while down", USER)
                mark = fake.mark()
                restarted = MaxPolling(bot, dp, converter, timeout=1, markers=markers)
                await _poll_until(restarted, seen, 3)
                assert seen == ["first", "second", "while down"]  # nothing replayed or lost
                first = fake.calls("GET", "/updates", since=mark)[0]
                assert first.query.get("marker") == "2"
                assert await markers.load() == 3
            finally:
                await bot.session.close()
    finally:
        await database.dispose()


async def test_polling_ends_a_subscription_left_over(tmp_path: Path) -> None:
    database = await _database(tmp_path)
    try:
        async with FakeMaxAPI() as fake:
            bot = await build_max_bot(
                fake.token, DatabaseMessageIds(database), api_url=fake.base_url
            )
            try:
                await subscribe(bot, "https://school.example/max", "s3cret-hook")
                assert [s["url"] for s in fake.subscriptions] == ["https://school.example/max"]
                assert await unsubscribe_all(bot) == 1
                assert fake.subscriptions == []
                assert await unsubscribe_all(bot) == 0
            finally:
                await bot.session.close()
    finally:
        await database.dispose()
