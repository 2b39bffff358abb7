"""Issue 5's figures: the delivery pipeline's capacity, its pace against a rate-limited Bot API,
and the latency from a final mark being set to its push being sent.

    .venv/bin/python -m benchmarks.bench_delivery [capacity|rate|latency]

capacity: rows from "pending" to "sent" a second on SQLite, with an instant sender (no limits).
rate:     against the fake Bot API enforcing 30/s overall and 1/s per chat (answering 429 above
          that): the achieved rate and the 429s provoked.
latency:  JournalService.set_final_mark -> the push handed to the sender, queue empty: p50/p99.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import percentile
from core import model as m
from core.clock import FixedClock
from notifications.fanout import Fanout, Windows
from notifications.worker import DeliveryWorker, WorkerSettings
from storage.db import Database
from storage.delivery_queue import DeliveryQueue
from storage.migrate import upgrade
from tests.core.conftest import NOW, TZ

NOW_UTC = datetime(2026, 11, 18, 7, 0, tzinfo=UTC)


class InstantSender:
    """Accepts everything at once: what the pipeline itself costs."""

    def __init__(self) -> None:
        self.sent = 0
        self.at: dict[str, float] = {}

    async def send_text(self, chat_id: str, text: str, buttons=()) -> str:  # type: ignore[no-untyped-def]
        self.sent += 1
        self.at.setdefault(chat_id, time.perf_counter())
        return str(self.sent)

    send_photo = send_document = None  # type: ignore[assignment]

    async def edit_text(self, *args) -> None:  # type: ignore[no-untyped-def]
        return None


async def _database(folder: Path) -> Database:
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await upgrade(url)
    return Database.connect(url)


async def _rows(database: Database, count: int, first_chat: int = 100_000) -> None:
    """``count`` accounts, one pending push each (a staff notice: no link to check)."""
    now = NOW
    payload = json.dumps({"class": "7А", "items": [["Иванов Пётр", "2026-11-16", "Математика"]]})
    async with database.uow() as uow:
        accounts = [
            m.Account("telegram", str(first_chat + i), now, quiet_from=None, quiet_to=None)
            for i in range(count)
        ]
        await uow.accounts.add_all(accounts)
        await uow.deliveries.add_all(
            [m.Delivery(a.id, "reconcile", payload, now, now) for a in accounts]  # type: ignore[arg-type]
        )
        await uow.commit()


async def capacity(count: int = 20_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database = await _database(Path(tmp))
        await _rows(database, count)
        sender = InstantSender()
        worker = DeliveryWorker(
            DeliveryQueue(database),
            {"telegram": sender},
            FixedClock(NOW, TZ),
            WorkerSettings(rate=None, per_chat=0, batch=1000, concurrency=64),
        )
        started = time.perf_counter()
        await worker.run_until_idle()
        elapsed = time.perf_counter() - started
        left = await DeliveryQueue(database).count(m.DeliveryStatus.PENDING)
        await database.dispose()
    print(
        f"capacity: {count} pushes pending -> sent in {elapsed:.2f} s = "
        f"{count / elapsed:,.0f} a second (SQLite, instant sender; {left} left pending)"
    )


async def rate(count: int = 600, chats: int = 200) -> None:
    """``count`` messages to ``chats`` chats (several per chat), against 30/s and 1/s/chat."""
    from bot.telegram.sender import AiogramSender
    from tests.support import FakeBotAPI

    with tempfile.TemporaryDirectory() as tmp:
        database = await _database(Path(tmp))
        # one account per chat, several broadcasts' worth of rows each (never merged)
        now = NOW
        async with database.uow() as uow:
            accounts = [
                m.Account("telegram", str(300_000 + i), now, quiet_from=None, quiet_to=None)
                for i in range(chats)
            ]
            await uow.accounts.add_all(accounts)
            payload = json.dumps({"class": "7А", "items": []})
            await uow.deliveries.add_all(
                [
                    m.Delivery(accounts[i % chats].id, "reconcile", payload, now, now)  # type: ignore[arg-type]
                    for i in range(count)
                ]
            )
            await uow.commit()
        async with FakeBotAPI() as api:
            api.enforce_limits(global_per_second=30, per_chat_per_second=1)
            bot = api.bot()
            worker = DeliveryWorker(
                DeliveryQueue(database), {"telegram": AiogramSender(bot)}, FixedClock(NOW, TZ)
            )
            started = time.perf_counter()
            await worker.run_until_idle()
            elapsed = time.perf_counter() - started
            await bot.session.close()
            sends = [r for r in api.calls("sendMessage") if r.ok]
            stamps = sorted(r.at for r in sends)
        await database.dispose()
    # rate over the run: n - 1 intervals between the first and the last accepted send
    achieved = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    print(
        f"rate: {len(sends)} of {count} messages to {chats} chats in {elapsed:.1f} s; "
        f"achieved {achieved:.2f} messages/s = {achieved / 30:.1%} of the 30/s limit; "
        f"429s provoked: {api.throttled}"
    )


async def latency(samples: int = 300) -> None:
    """A final mark set through the core, its push sent by a worker running alongside."""
    from core.access import TeachingRef, Viewer
    from core.journal import JournalService
    from tests.core.conftest import build_small_school

    with tempfile.TemporaryDirectory() as tmp:
        clock = FixedClock(datetime(2026, 12, 20, 12, 0, tzinfo=TZ), TZ)
        fanout = Fanout(clock, Windows())
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade(url)
        database = Database.connect(url, fanout=fanout)
        s = await build_small_school(database, clock)  # type: ignore[arg-type]
        # one child per sample, each with a parent linked to the bot: the pushes go to different
        # chats (one chat gets at most one message a second, which is not what is measured)
        async with database.uow() as uow:
            students = [m.Student(f"Ученик{i:03d}", "Тест", s.c7.id) for i in range(samples)]
            await uow.students.add_all(students)
            parents = [m.Guardian(f"Родитель{i:03d}", "Тест") for i in range(samples)]
            await uow.guardians.add_all(parents)
            await uow.guardian_links.add_all(
                [
                    m.GuardianLink(g.id, c.id, consent_at=clock.now())  # type: ignore[arg-type]
                    for g, c in zip(parents, students, strict=True)
                ]
            )
            accounts = [
                m.Account("telegram", str(700_000 + i), clock.now()) for i in range(samples)
            ]
            await uow.accounts.add_all(accounts)
            await uow.account_links.add_all(
                [
                    m.AccountLink(a.id, m.PersonRole.GUARDIAN, g.id, clock.now())  # type: ignore[arg-type]
                    for a, g in zip(accounts, parents, strict=True)
                ]
            )
            await uow.commit()
        sender = InstantSender()
        arrived = asyncio.Event()
        original = sender.send_text

        async def send_text(chat_id: str, text: str, buttons=()) -> str:  # type: ignore[no-untyped-def]
            ref = await original(chat_id, text, buttons)
            arrived.set()
            return ref

        sender.send_text = send_text  # type: ignore[method-assign]
        worker = DeliveryWorker(DeliveryQueue(database), {"telegram": sender}, clock)
        fanout.on_commit(worker.wake)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        journal = JournalService(database.uow, clock)
        teacher = Viewer(
            staff_id=s.teacher.id, teaches=frozenset({TeachingRef(s.maths.id, s.c7.id)})
        )
        took = []
        for student in students:
            arrived.clear()
            started = time.perf_counter()
            await journal.set_final_mark(
                teacher,
                student.id,
                s.maths.id,
                m.FinalKind.PERIOD,
                m.MarkValue.FIVE,
                s.q2.id,  # type: ignore[arg-type]
            )
            await asyncio.wait_for(arrived.wait(), 5)
            took.append((time.perf_counter() - started) * 1000)
        stop.set()
        await task
        await database.dispose()
    print(
        f"latency: final mark set -> push sent, {samples} times, queue empty: "
        f"p50 {percentile(took, 50):.1f} ms, p99 {percentile(took, 99):.1f} ms, "
        f"max {max(took):.1f} ms"
    )


async def main(which: list[str]) -> None:
    for name in which or ["capacity", "rate", "latency"]:
        await {"capacity": capacity, "rate": rate, "latency": latency}[name]()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
