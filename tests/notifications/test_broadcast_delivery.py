"""A broadcast to 500 recipients through the real Telegram adapter and the fake Bot API, with
429s, 5xx, timeouts, 400s and 403s injected: every deliverable message is sent exactly once,
the rest are parked or skipped with their reason, and the limits are never exceeded."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

from aiohttp import web

from bot.telegram.sender import AiogramSender
from core import model as m
from notifications.worker import DeliveryWorker, WorkerSettings
from storage.db import Database
from storage.delivery_queue import DeliveryQueue
from tests.notifications.conftest import CLASS_TEACHER, make_net
from tests.support import FakeBotAPI
from tests.support.fake_api import ApiError

RECIPIENTS = 500
FIRST_CHAT = 20_000
CLIENT_TIMEOUT = 2.0  # longer than any answer of the fake under load: a timeout means "lost"
PARSED = web.RequestKey("parsed", object)


class FaultyBotAPI(FakeBotAPI):
    """The fake Bot API, plus scripted trouble per chat: a first send that times out (it never
    reaches Telegram), one error then normal answers, or the same error every time."""

    def __init__(self) -> None:
        super().__init__()
        self.slow_once: set[int] = set()
        self.once: dict[int, tuple[int, int | None]] = {}  # chat -> (status, retry_after)
        self.always: dict[int, int] = {}  # chat -> status

    async def _read(self, request: web.Request) -> Any:
        # read once: the scripted faults look at the request before the real handler does
        if PARSED not in request:
            request[PARSED] = await super()._read(request)
        return request[PARSED]

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["method"].lower() == "sendmessage":
            params, _ = await self._read(request)
            chat = int(params.get("chat_id", 0))
            if chat in self.slow_once:
                self.slow_once.discard(chat)
                await asyncio.sleep(CLIENT_TIMEOUT * 3)  # the client gives up first
                return web.json_response(ApiError(504).body(), status=504)
            failure = self.once.pop(chat, None) or (
                (self.always[chat], None) if chat in self.always else None
            )
            if failure is not None:
                status, retry_after = failure
                text = f"Too Many Requests: retry after {retry_after}" if status == 429 else None
                error = ApiError(status, text, retry_after=retry_after)
                return web.json_response(error.body(), status=status)
        return await super()._handle(request)


async def _recipients(net: Any, database: Database) -> list[int]:
    """7А grows to 500 students, each with a linked account."""
    async with database.uow() as uow:
        students = [m.Student(f"Ученик{i:03d}", "Тест", net.s.c7.id) for i in range(RECIPIENTS - 2)]
        await uow.students.add_all(students)
        ids = [net.s.ivanov.id, net.s.petrova.id, *(s.id for s in students)]
        accounts = [
            m.Account("telegram", str(FIRST_CHAT + i), net.clock.now()) for i in range(len(ids))
        ]
        await uow.accounts.add_all(accounts)
        await uow.account_links.add_all(
            [
                m.AccountLink(a.id, m.PersonRole.STUDENT, sid, net.clock.now())
                for a, sid in zip(accounts, ids, strict=True)
            ]
        )
        # the small school's own student account would make Иванов's second: unlink it
        for link in await uow.account_links.active_for_person(
            m.PersonRole.STUDENT, net.s.ivanov.id
        ):
            if link.account_id not in {a.id for a in accounts}:
                link.unlinked_at = net.clock.now()
        await uow.commit()
    return [FIRST_CHAT + i for i in range(len(ids))]


async def test_500_recipients_through_faults_each_once(database: Database) -> None:
    net = await make_net(database)
    chats = await _recipients(net, database)
    rng = random.Random(5)
    shuffled = rng.sample(chats, len(chats))
    blocked = set(shuffled[:12])
    bad = set(shuffled[12:15])  # 400 Bad Request: chat not found
    broken = set(shuffled[15:18])  # 500 every time
    throttled = set(shuffled[18:60])  # one 429
    flaky = set(shuffled[60:100])  # one 502, then fine
    slow = set(shuffled[100:115])  # one timeout
    async with FaultyBotAPI() as api:
        api.enforce_limits(global_per_second=400, per_chat_per_second=1)
        for chat in blocked:
            api.block(chat)
        api.always |= dict.fromkeys(bad, 400) | dict.fromkeys(broken, 500)
        api.once |= dict.fromkeys(throttled, (429, 1)) | dict.fromkeys(flaky, (502, None))
        api.slow_once |= slow

        bot = api.bot()
        settings = WorkerSettings(
            rate=380,
            window=1.0,
            # the fake counts only sends that reach it, one per chat here: retries need not wait
            per_chat=0.2,
            concurrency=32,
            backoff=0.05,
            max_attempts=3,
            lease=30,
            poll=0.1,
        )
        worker = DeliveryWorker(
            DeliveryQueue(database),
            {"telegram": AiogramSender(bot, timeout=CLIENT_TIMEOUT)},
            net.clock,
            settings,
        )
        class_teacher = await net.viewer(CLASS_TEACHER)
        broadcast = await net.messaging.send_broadcast(
            class_teacher, net.s.c7.id, m.Audience.STUDENTS, "Завтра уроки до 13:00"
        )
        assert broadcast.recipients == RECIPIENTS
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        try:
            await worker.wait_for(
                lambda s: s["sent"] + s["park"] + s["skip"] >= RECIPIENTS + 1, seconds=40
            )
        finally:
            stop.set()
            await task
            await bot.session.close()

        ok = {chat: len(api.sent_to(chat)) for chat in chats}
        deliverable = set(chats) - blocked - bad - broken
        assert {c for c, n in ok.items() if n == 1} == deliverable
        assert all(n == 0 for c, n in ok.items() if c not in deliverable)
        assert api.throttled == 0  # our pacing never provoked flood control
        rows = {r.account_id: r for r in await net.rows(kind="broadcast")}
        async with database.uow(readonly=True) as uow:
            by_chat = {int(a.external_id): a for a in await uow.accounts.list_all() if a.id in rows}
        status = {chat: rows[a.id] for chat, a in by_chat.items()}
        assert {c for c, r in status.items() if r.status == m.DeliveryStatus.SENT} == deliverable
        for chat in blocked:
            assert status[chat].status == m.DeliveryStatus.SKIPPED
            assert "blocked" in status[chat].last_error and not by_chat[chat].active
        for chat in bad:
            assert status[chat].status == m.DeliveryStatus.PARKED
            assert "chat not found" in status[chat].last_error
        for chat in broken:
            assert status[chat].status == m.DeliveryStatus.PARKED
            assert status[chat].last_error.startswith("gave up")
            assert status[chat].attempts == settings.max_attempts
        assert all(status[c].attempts == 2 for c in throttled | flaky | slow)
        # the author's progress message shows the outcome
        progress = api.sent_to(CLASS_TEACHER)
        assert len(progress) == 1
        edits = [
            r
            for r in api.calls("editMessageText")
            if r.ok and r.params["message_id"] == progress[0].result["message_id"]
        ]
        final = edits[-1].params["text"]
        sent = len(deliverable)
        assert f"Доставлено: {sent} из {RECIPIENTS}" in final
        assert f"Не доставлено: {RECIPIENTS - sent}" in final
        assert json.loads(json.dumps(final))  # plain text, no broken markup
