"""The fault campaign of ``test_faults`` on MAX (issue #13): two delivery workers deliver pushes
through the fake MAX Bot API, which answers as MAX does when things go wrong: 429 with no
``retry_after`` at all (a seeded share of every call, and past MAX's own limits of 30 requests a
second and 2 a second per chat), 403 ``chat.denied`` (the user stopped the bot) and, for pushes
with a file, 400 ``attachment.not.ready`` until the upload is processed; while the database goes
away mid-run for longer than the workers' leases.

Every push is delivered or skipped with its reason (blocked: exactly the users who stopped the
bot); nothing is lost, and nothing goes twice except a send whose outcome the database never
heard of (the outage came while it was being recorded), counted on its row. Seeded:
``FAULT_SEED=<n>`` replays another draw.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter

import pytest
from aiogram import Bot

from bot.max.bot import build_max_bot
from bot.max.files import MaxFile, make_ref
from bot.max.ids import DatabaseMessageIds
from core import model as m
from core.clock import FixedClock
from notifications.worker import DeliveryWorker, WorkerSettings
from storage.db import Database
from storage.delivery_queue import DeliveryQueue
from tests.e2e.test_faults import NOW, SEED, TZ, _rows, _until_settled
from tests.support.fake_max import FakeMaxAPI, Upload
from tests.support.messengers import sender_for
from tests.support.outage import StatementOutage, TcpProxy

TEXTS = 200  # text pushes
FILES = 20  # pushes with a file, each not ready for its first sends
FIRST_USER = 80_000
THROTTLE_SHARE = 0.15  # of every call, 429 with no retry_after
DENIED_SHARE = 0.05  # users who stopped the bot before their push
NOT_READY = 2  # sends of a fresh upload answered attachment.not.ready
LEASE = 3.0
OUTAGES = [0.0, 5.0]  # seconds the database is away (longer than the lease)


async def _add_pushes(database: Database, api: FakeMaxAPI) -> dict[int, str]:
    """One push per MAX account: staff notices (no link to check), the last ``FILES`` of
    them letters with a file that MAX has not processed yet. Returns user id -> file token."""
    tokens: dict[int, str] = {}
    async with database.uow() as uow:
        accounts = [
            m.Account("max", str(FIRST_USER + i), NOW, quiet_from=None, quiet_to=None)
            for i in range(TEXTS + FILES)
        ]
        await uow.accounts.add_all(accounts)
        rows = []
        for i, account in enumerate(accounts):
            if i < TEXTS:
                items = [["Иванов Пётр", "2026-11-16", "М"]]
                payload = json.dumps({"class": "7А", "items": items})
                rows.append(m.Delivery(account.id, "reconcile", payload, NOW, NOW))  # type: ignore[arg-type]
                continue
            user = FIRST_USER + i
            upload = Upload("file", f"tmax{i}", f"Задание {i}.pdf", "application/pdf", b"%PDF")
            upload.not_ready = NOT_READY
            api.uploads[upload.token] = upload
            tokens[user] = upload.token
            ref = make_ref(MaxFile("file", upload.token, f"{api.base_url}/files/{upload.token}"))
            letter = {"text": "Материалы к собранию", "from_name": "Школа", "letter_id": i}
            letter["attachments"] = [["document", ref, upload.filename]]
            rows.append(m.Delivery(account.id, "letter", json.dumps(letter), NOW, NOW))  # type: ignore[arg-type]
        await uow.deliveries.add_all(rows)
        await uow.commit()
    return tokens


async def _worker(url: str, api: FakeMaxAPI, name: str) -> tuple[DeliveryWorker, Database, Bot]:
    """A worker as a process of its own would have it: its own engines and MAX session."""
    database = Database.connect(url)
    bot = await build_max_bot(api.token, DatabaseMessageIds(database), api_url=api.base_url)
    session = bot.session
    session.backoff, session.not_ready_delay = 0.05, 0.05  # type: ignore[attr-defined]
    session.rng = random.Random(f"{SEED}{name}")  # type: ignore[attr-defined]
    settings = WorkerSettings(
        batch=40,
        lease=LEASE,
        poll=0.1,
        backoff=0.2,
        backoff_cap=1.0,
        max_attempts=15,
        max_throttled=60,
    )
    worker = DeliveryWorker(
        DeliveryQueue(database),
        {"max": sender_for(bot)},
        FixedClock(NOW, TZ),
        settings,
        owner=name,
    )
    return worker, database, bot


def _sent_to(api: FakeMaxAPI) -> Counter[int]:
    return Counter(int(r.query["user_id"]) for r in api.calls("POST", "/messages") if r.ok)


@pytest.mark.parametrize("outage", OUTAGES, ids=[f"outage{x:g}" for x in OUTAGES])
async def test_two_workers_send_each_push_once_through_max_faults_and_a_database_outage(
    database: Database, outage: float
) -> None:
    started = time.monotonic()
    proxy: TcpProxy | None = None
    url = database.url if isinstance(database.url, str) else database.url.render_as_string(False)
    if not database.is_sqlite:
        proxy = await TcpProxy.before(url).start()
        url = proxy.url_through(url)
    async with FakeMaxAPI() as api:
        tokens = await _add_pushes(database, api)
        draw = random.Random(SEED)
        stopped = {FIRST_USER + i for i in range(TEXTS + FILES) if draw.random() < DENIED_SHARE}
        for user in stopped:
            api.deny(user)
        api.enforce_limits(total_per_second=30, per_chat_per_second=2)
        api.throttle_share(THROTTLE_SHARE, SEED)
        (a, db_a, bot_a), (b, db_b, bot_b) = [
            await _worker(url, api, n) for n in ("worker-a", "worker-b")
        ]
        cut = StatementOutage(*(x for d in (db_a, db_b) for x in (d.engine, d.read_engine)))
        stop = asyncio.Event()
        tasks = [asyncio.create_task(w.run(stop)) for w in (a, b)]
        try:
            async with asyncio.timeout(30):
                while sum(_sent_to(api).values()) < (TEXTS + FILES) // 3:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            if outage:
                (proxy or cut).cut()
                await asyncio.sleep(outage)
                (proxy or cut).restore()
            await _until_settled(database, 60)
        finally:
            stop.set()
            await asyncio.gather(*tasks)
            for bot in (bot_a, bot_b):
                await bot.session.close()
            for d in (db_a, db_b):
                await d.dispose()
            if proxy is not None:
                await proxy.stop()
        delivered = _sent_to(api)
        not_ready = sum(
            1
            for r in api.calls("POST", "/messages")
            if r.status == 400 and "not.ready" in json.dumps(r.response)
        )
        throttled = sum(1 for r in api.requests if r.status == 429)
        denied = sum(1 for r in api.requests if r.status == 403)
        with_files = {
            int(r.query["user_id"]): [
                x["payload"].get("token")
                for x in r.json.get("attachments") or []
                if x.get("type") == "file"
            ]
            for r in api.calls("POST", "/messages")
            if r.ok
        }
    took = time.monotonic() - started

    rows = await _rows(database)
    statuses = Counter(str(r.status) for r in rows)
    sent = [r for r in rows if r.status == m.DeliveryStatus.SENT]
    skipped = [r for r in rows if r.status == m.DeliveryStatus.SKIPPED]
    stats = a.stats + b.stats
    print(
        f"\nMAX faults, seed {SEED}, lease {LEASE:g} s, outage {outage:g} s: "
        f"{TEXTS + FILES} pushes in {took:.1f} s; sent {len(sent)}, skipped {len(skipped)}; "
        f"sent twice {sum(max(0, n - 1) for n in delivered.values())} "
        f"(unknown outcomes counted {sum(r.unknown_sends for r in rows)}); "
        f"429 answered {throttled}, 403 chat.denied {denied}, attachment.not.ready {not_ready}; "
        f"worker stats {dict(stats)}"
    )
    assert statuses["pending"] == 0 and statuses["parked"] == 0, statuses
    assert len(sent) + len(skipped) == TEXTS + FILES
    assert not [r for r in sent if delivered[int(r.external_id)] == 0]  # nothing lost
    # a repeat only where the database never heard how a send ended (its outcome was being
    # recorded when the outage came), and counted on its row, as on Telegram
    twice = {
        r.id: delivered[int(r.external_id)] - 1 for r in sent if delivered[int(r.external_id)] > 1
    }
    unknown = {r.id: r.unknown_sends for r in rows}
    assert all(extra <= unknown[rid] for rid, extra in twice.items()), (twice, unknown)
    assert {int(r.external_id) for r in skipped} == stopped
    assert all(delivered[int(r.external_id)] == 0 and "blocked" in r.last_error for r in skipped)
    # each file went with its own token, once it was ready
    for user, token in tokens.items():
        if user not in stopped:
            assert with_files[user] == [token], (user, with_files.get(user))
    # the faults really happened, and the outage really hit the workers
    assert throttled > 0 and not_ready > 0 and denied >= len(stopped)
    if outage:
        assert (proxy.refused if proxy else cut.failed) > 0
