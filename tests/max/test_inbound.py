"""MAX users through the real dispatcher: the fake MAX API hands updates to ``MaxPolling`` (or
POSTs them to the webhook), the handlers answer through the MAX bot's session, on a school
imported from its own files."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.methods import GetUpdates
from aiohttp import web

from app.keyboards import DiaryCb, View
from app.viewers import ViewerCache
from bot.max.bot import build_max_bot
from bot.max.ids import DatabaseMessageIds
from bot.max.polling import MaxPolling
from bot.max.updates import UpdateConverter
from bot.max.webhook import SECRET_HEADER, max_webhook_handler, subscribe, unsubscribe
from core.accounts import AccountService
from core.model import PersonRole
from storage.db import Database
from tests.support.fake_max import FakeMaxAPI, buttons_of
from tests.support.messengers import Handled
from tests.support.recording import TgUser
from tests.support.school import ImportedSchool, open_school

MOTHER = 501  # Иванова Ольга (U-101): Иванов Пётр (K-01), Волкова София (K-22)
FATHER = 502  # Петров Сергей (U-102): Петрова Алёна (K-02)
AGREE = "✅ Я согласен(на)"
WAIT = 10.0


class MaxWorld:
    def __init__(self, school: ImportedSchool, fake: FakeMaxAPI, bot: Bot) -> None:
        self.school = school
        self.fake = fake
        self.bot = bot
        self.dp = school.tester.dispatcher  # the one dispatcher serves both messengers
        self.converter = UpdateConverter(DatabaseMessageIds(school.database), bot.id)
        self.handled = Handled(bot)
        self.dp.update.outer_middleware(self.handled)
        self.expected = 0

    async def act(self, push: Callable[[], Any]) -> None:
        """Queue one MAX update and wait, bounded, until the dispatcher is done with it."""
        self.expected += 1
        push()
        async with asyncio.timeout(WAIT):
            while self.handled.count < self.expected:
                self.handled.changed.clear()
                await self.handled.changed.wait()

    async def code(self, role: PersonRole, source_id: str) -> str:
        from core.access import SYSTEM

        person = await self.school.person_id(role, source_id)
        return (await self.school.services.invites.issue(SYSTEM, role, person)).code

    def last_text(self, user: int) -> str:
        return self.fake.last(user)["body"]["text"] or ""

    def mid_with(self, user: int, button: str) -> str:
        for message in reversed(self.fake.seen_by(user)):
            if any(b["text"] == button for row in buttons_of(message) for b in row):
                return message["body"]["mid"]
        raise AssertionError(f"no button {button!r} for {user}")

    async def press(self, user: int, button: str) -> None:
        mid = self.mid_with(user, button)
        await self.act(lambda: self.fake.message_callback(user, mid, button=button))

    async def link_mother(self) -> None:
        code = await self.code(PersonRole.GUARDIAN, "U-101")
        await self.act(lambda: self.fake.bot_started(MOTHER, code))
        await self.press(MOTHER, AGREE)

    async def active(self, user: int, messenger: str = "max") -> bool | None:
        async with self.school.database.uow(readonly=True) as uow:
            account = await uow.accounts.by_external(messenger, str(user))
        return None if account is None else account.active


@pytest.fixture
async def world(database: Database, tmp_path: Path) -> AsyncIterator[MaxWorld]:
    school = await open_school(database, tmp_path)
    async with FakeMaxAPI() as fake:
        ids = DatabaseMessageIds(database)
        bot = await build_max_bot(fake.token, ids, api_url=fake.base_url)
        world = MaxWorld(school, fake, bot)
        fake.user(MOTHER, "Ольга", "Иванова")
        fake.user(FATHER, "Сергей", "Петров")
        stop = asyncio.Event()
        polling = MaxPolling(bot, world.dp, world.converter, timeout=5)
        task = asyncio.create_task(polling.run(stop))
        try:
            yield world
        finally:
            stop.set()
            with suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
            await bot.session.close()


async def test_a_guardian_links_by_a_deep_link_and_reads_the_diary(world: MaxWorld) -> None:
    w = world
    code = await w.code(PersonRole.GUARDIAN, "U-101")
    await w.act(lambda: w.fake.bot_started(MOTHER, code))
    assert "согласны" in w.last_text(MOTHER)
    await w.press(MOTHER, AGREE)
    assert await w.active(MOTHER) is True
    assert any("Иванова Ольга" in (t or "") for t in w.fake.texts(MOTHER))
    await w.act(lambda: w.fake.message_created("/marks", MOTHER))
    shown = w.last_text(MOTHER)
    assert "Иванов" in shown or "Волкова" in shown, shown
    # a button of the diary, pressed: the answer edits or follows in MAX
    rows = buttons_of(w.fake.last(MOTHER))
    labels = [b["text"] for row in rows for b in row if b["type"] == "callback"]
    assert labels, w.fake.last(MOTHER)
    before = w.fake.mark()
    await w.press(MOTHER, labels[0])
    calls = [r for r in w.fake.requests[before:] if r.path in ("/messages", "/answers")]
    assert calls and all(r.ok for r in calls), calls


async def test_the_code_typed_as_a_message_links_too(world: MaxWorld) -> None:
    w = world
    code = await w.code(PersonRole.GUARDIAN, "U-102")
    await w.act(lambda: w.fake.message_created(code, FATHER))
    assert "согласны" in w.last_text(FATHER)
    await w.press(FATHER, AGREE)
    await w.act(lambda: w.fake.message_created("/marks", FATHER))
    assert "Петрова" in w.last_text(FATHER)
    assert await w.active(FATHER) is True
    assert await w.active(FATHER, "telegram") is None


async def test_stopping_the_bot_stops_pushes_and_start_brings_them_back(world: MaxWorld) -> None:
    w = world
    await w.link_mother()
    assert await w.active(MOTHER) is True
    await w.act(lambda: w.fake.bot_stopped(MOTHER))
    assert await w.active(MOTHER) is False
    await w.act(lambda: w.fake.bot_started(MOTHER))
    assert await w.active(MOTHER) is True
    assert "Иванова Ольга" in w.last_text(MOTHER)  # the home screen again
    await w.act(lambda: w.fake.dialog_removed(MOTHER))
    assert await w.active(MOTHER) is False


async def test_a_forged_button_gets_the_usual_refusal(world: MaxWorld) -> None:
    w = world
    await w.link_mother()
    other = await w.school.person_id(PersonRole.STUDENT, "K-02")  # Петрова: not her child
    forged = DiaryCb(view=View.MARKS, student=other).pack()
    mid = w.fake.last(MOTHER)["body"]["mid"]
    before = w.fake.mark()
    texts_before = list(w.fake.texts(MOTHER))
    await w.act(lambda: w.fake.message_callback(MOTHER, mid, forged))
    answer = await w.fake.wait_for(lambda r: r.path == "/answers", since=before)
    assert answer.ok and "нет доступа" in answer.json["notification"]
    assert "Петрова" not in "\n".join(t or "" for t in w.fake.texts(MOTHER))
    assert w.fake.texts(MOTHER) == texts_before


async def test_the_same_number_in_telegram_and_in_max_is_two_people(world: MaxWorld) -> None:
    w = world
    # Telegram's user 501 is Петров; MAX's user 501 is Иванова
    await w.school.link(TgUser(MOTHER, "Сергей"), PersonRole.GUARDIAN, "U-102")
    await w.act(lambda: w.fake.message_created("/marks", MOTHER))
    assert "код" in w.last_text(MOTHER)  # MAX's 501 is nobody yet
    await w.link_mother()
    await w.act(lambda: w.fake.message_created("/marks", MOTHER))
    in_max = w.last_text(MOTHER)
    assert "Петрова" not in in_max and ("Иванов" in in_max or "Волкова" in in_max)
    await w.school.tester.send("/marks", user=TgUser(MOTHER, "Сергей"))
    in_telegram = w.school.tester.last_text(TgUser(MOTHER, "Сергей")) or ""
    assert "Петрова" in in_telegram and "Иванов " not in in_telegram
    # blocking one messenger leaves the other alone
    await w.act(lambda: w.fake.bot_stopped(MOTHER))
    assert (await w.active(MOTHER), await w.active(MOTHER, "telegram")) == (False, True)


async def test_the_viewer_cache_keeps_the_messengers_apart(world: MaxWorld) -> None:
    w = world
    await w.school.link(TgUser(MOTHER, "Сергей"), PersonRole.GUARDIAN, "U-102")
    await w.link_mother()
    viewers = ViewerCache(AccountService(w.school.database.uow, w.school.clock), ttl=30.0)
    in_telegram = await viewers.get("telegram", str(MOTHER), True)
    in_max = await viewers.get("max", str(MOTHER), True)
    assert in_telegram.account_id != in_max.account_id
    assert in_telegram.channel == "telegram" and in_max.channel == "max"
    assert in_telegram.children.isdisjoint(in_max.children)
    assert await viewers.get("max", str(MOTHER), True) is in_max  # kept, under its messenger
    viewers.forget("telegram", str(MOTHER))
    assert await viewers.get("max", str(MOTHER), True) is in_max
    assert await viewers.get("telegram", str(MOTHER), True) is not in_telegram


async def test_the_webhook_takes_only_requests_with_its_secret(
    database: Database, tmp_path: Path
) -> None:
    school = await open_school(database, tmp_path)
    secret = "s3cret-of-the-school"
    async with FakeMaxAPI() as fake:
        bot = await build_max_bot(fake.token, DatabaseMessageIds(database), api_url=fake.base_url)
        world = MaxWorld(school, fake, bot)
        app = web.Application()
        app.router.add_post("/max", max_webhook_handler(world.dp, bot, world.converter, secret))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        url = f"http://{host}:{port}/max"
        try:
            await subscribe(bot, url, secret)
            assert fake.subscriptions[-1]["secret"] == secret
            assert "message_callback" in fake.subscriptions[-1]["update_types"]
            fake.user(MOTHER, "Ольга")
            update = fake.message_created("/start", MOTHER)
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {SECRET_HEADER: "wrong-secret"}):
                    async with http.post(url, json=update, headers=headers) as response:
                        assert response.status == 403
            assert world.handled.count == 0 and not fake.seen_by(MOTHER)
            assert await fake.deliver() == 200  # as MAX sends it, with the secret
            assert world.handled.count == 1
            assert "код" in (fake.last(MOTHER)["body"]["text"] or "")
            await unsubscribe(bot, url)
            assert fake.subscriptions == []
        finally:
            await runner.cleanup()
            await bot.session.close()


async def test_a_webhook_update_that_fails_is_answered_500(
    database: Database, tmp_path: Path
) -> None:
    school = await open_school(database, tmp_path)
    async with FakeMaxAPI() as fake:
        bot = await build_max_bot(fake.token, DatabaseMessageIds(database), api_url=fake.base_url)
        world = MaxWorld(school, fake, bot)

        class Broken(UpdateConverter):
            async def convert_all(self, raw: dict[str, Any], bot: Bot | None = None) -> Any:
                raise RuntimeError("cannot read")

        handler = max_webhook_handler(world.dp, bot, Broken(world.converter.ids, bot.id), "12345")
        app = web.Application()
        app.router.add_post("/max", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.post(
                    f"http://{host}:{port}/max",
                    json=fake.message_created("/start", MOTHER),
                    headers={SECRET_HEADER: "12345"},
                ) as response,
            ):
                assert response.status == 500
        finally:
            await runner.cleanup()
            await bot.session.close()


class Flaky(MaxPolling):
    """Its first requests fail as a lost connection would."""

    failures = 2

    async def _fetch(self) -> dict[str, Any]:
        if self.failures:
            self.failures -= 1
            raise TelegramNetworkError(method=GetUpdates(), message="connection reset")
        return await super()._fetch()


class Unreadable(UpdateConverter):
    """Cannot read the first update it is given."""

    broken = True

    async def convert_all(self, raw: dict[str, Any], bot: Bot | None = None) -> Any:
        if self.broken:
            self.broken = False
            raise ValueError("unreadable update")
        return await super().convert_all(raw, bot)


async def test_polling_ends_when_the_token_is_rejected(database: Database, tmp_path: Path) -> None:
    school = await open_school(database, tmp_path)
    async with FakeMaxAPI() as fake:
        bot = await build_max_bot(fake.token, DatabaseMessageIds(database), api_url=fake.base_url)
        world = MaxWorld(school, fake, bot)
        fake.token = "another-token"  # the school's token was revoked
        try:
            with pytest.raises(TelegramUnauthorizedError):
                await asyncio.wait_for(
                    MaxPolling(bot, world.dp, world.converter).run(asyncio.Event()), WAIT
                )
        finally:
            await bot.session.close()


async def test_polling_goes_on_after_failures_and_stops_at_once(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    school = await open_school(database, tmp_path)
    async with FakeMaxAPI() as fake:
        bot = await build_max_bot(fake.token, DatabaseMessageIds(database), api_url=fake.base_url)
        world = MaxWorld(school, fake, bot)
        fake.user(MOTHER, "Ольга")
        converter = Unreadable(world.converter.ids, bot.id)
        polling = Flaky(bot, world.dp, converter, timeout=30, backoff=0.05)
        fake.message_created("/logout", MOTHER)  # the unreadable one: skipped, logged
        fake.message_created("/start", MOTHER)
        stop = asyncio.Event()
        task = asyncio.create_task(polling.run(stop))
        try:
            await fake.wait_for(lambda r: r.method == "POST" and r.path == "/messages")
            assert "код" in (fake.last(MOTHER)["body"]["text"] or "")
            assert len(fake.texts(MOTHER)) == 1
            logged = caplog.text
            assert "connection reset" in logged and "unreadable update" in logged
            assert fake.token not in logged
            await asyncio.sleep(0.1)  # a long poll of 30 s is open now
            loop = asyncio.get_running_loop()
            started = loop.time()
            stop.set()
            await asyncio.wait_for(task, 2)
            assert loop.time() - started < 1.0
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            await bot.session.close()
