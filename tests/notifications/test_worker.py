"""The delivery worker on a real database with a fake sender: coalescing, quiet hours and the
morning digest, retries, parking, blocked users, unlinked recipients, leases, two workers."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from itertools import pairwise

from core import model as m
from core.accounts import AccountService
from notifications.fanout import Windows
from notifications.sender import BadRequest, RetryLater, Transient
from notifications.worker import DeliveryWorker, WorkerSettings
from storage.db import Database
from storage.delivery_queue import DeliveryQueue, Outcome
from tests.notifications.conftest import (
    FAST,
    IVANOV,
    MOTHER,
    OTHER_PARENT,
    TEACHER,
    FakeSender,
    Net,
    at,
    make_net,
)

S = m.DeliveryStatus


async def give(net: Net, student: m.Student, value: str, work: m.WorkType | None = None) -> None:
    teacher = await net.viewer(TEACHER)
    await net.journal.give_mark(
        teacher, net.s.lesson_today.id, student.id, m.MarkValue(value), (work or net.s.oral).id
    )


async def test_ten_marks_in_a_lesson_arrive_as_one_message_per_child(database: Database) -> None:
    net = await make_net(database, Windows(marks=90, attendance=0, reason=0, homework=0))
    worker = net.worker()
    for value in ("5", "4", "3", "5", "4"):
        await give(net, net.s.ivanov, value)
        net.wall.advance(10)  # the teacher taps on through the lesson
    await give(net, net.s.petrova, "2")
    await worker.run_until_idle()
    assert net.sender.sent == []  # the window is still open
    net.wall.advance(50)  # 90 s after the first mark
    await worker.run_until_idle()
    to_mother = net.sender.to(MOTHER)
    assert len(to_mother) == 1
    text = to_mother[0].text
    assert text.startswith("📘 Новые отметки — Иванов Пётр (7А)")
    assert text.count("Математика: <b>") == 5
    assert len(net.sender.to(IVANOV)) == 1
    assert net.sender.to(OTHER_PARENT) == []  # Петрова's mark came 50 s later: its own window
    net.wall.advance(40)
    await worker.run_until_idle()
    assert len(net.sender.to(OTHER_PARENT)) == 1  # her father, in English
    assert "New mark — Петрова Алёна (7А)" in net.sender.to(OTHER_PARENT)[0].text
    rows = await net.rows()
    assert {r.status for r in rows} == {S.SENT}
    assert len({r.message_ref for r in rows if r.account_id == rows[0].account_id}) == 1


async def test_quiet_hours_hold_pushes_until_one_morning_digest(net: Net) -> None:
    worker = net.worker()
    net.clock.set(at(22, 15))
    await give(net, net.s.ivanov, "5")
    teacher = await net.viewer(TEACHER)
    await net.journal.toggle_attendance(teacher, net.s.lesson_today.id, net.s.ivanov.id)
    await net.journal.add_remark(
        teacher, net.s.lesson_today.id, net.s.ivanov.id, m.RemarkKind.PRAISE, "Отличная работа"
    )
    await worker.run_until_idle()
    assert net.sender.sent == []  # held, not dropped
    held = await net.rows(account_id=1)
    assert len(held) == 3 and {r.status for r in held} == {S.PENDING}
    assert {r.due_at for r in held} == {at(8, 0, day=19)}
    net.clock.set(at(7, 59, day=19))
    await worker.run_until_idle()
    assert net.sender.sent == []
    net.clock.set(at(8, 0, day=19))
    await worker.run_until_idle()
    morning = net.sender.to(MOTHER)
    assert len(morning) == 1
    text = morning[0].text
    assert text.startswith("🌙 Пока действовали тихие часы:")
    assert "Математика: <b>5</b>" in text and "пропуск: 2-й урок, Математика" in text
    assert "благодарность, Математика: Отличная работа" in text
    assert morning[0].buttons[0][0].data.startswith("ex1:")  # explain still possible
    assert len(net.sender.to(IVANOV)) == 1  # the student's own digest (mark and praise)


async def test_a_final_mark_follows_quiet_hours_unless_asked_for_at_any_time(
    net: Net,
) -> None:
    async with net.database.uow() as uow:
        student = await uow.accounts.by_external("telegram", str(IVANOV))
        student.notify_anytime_finals = True
        await uow.commit()
    worker = net.worker()
    net.clock.set(datetime(2026, 12, 20, 22, 30, tzinfo=net.clock.tz))
    teacher = await net.viewer(TEACHER)
    await net.journal.set_final_mark(
        teacher, net.s.ivanov.id, net.s.maths.id, m.FinalKind.PERIOD, m.MarkValue.FOUR, net.s.q2.id
    )
    await worker.run_until_idle()
    assert [s.text for s in net.sender.to(IVANOV)] == [
        "🏁 Иванов Пётр (7А): отметка за II четверть, Математика — <b>4</b>"
    ]
    assert net.sender.to(MOTHER) == []
    net.clock.set(datetime(2026, 12, 21, 8, 0, tzinfo=net.clock.tz))
    await worker.run_until_idle()
    assert len(net.sender.to(MOTHER)) == 1


async def test_429_waits_and_5xx_backs_off_then_each_is_sent_once(net: Net) -> None:
    worker = net.worker()
    net.sender.fail(MOTHER, RetryLater(3), Transient("502 Bad Gateway"), Transient("timeout"))
    await give(net, net.s.ivanov, "5")
    await worker.run_until_idle()
    assert net.sender.to(MOTHER) == [] and len(net.sender.to(IVANOV)) == 1
    (row,) = await net.rows(account_id=1)
    assert row.status == S.PENDING and row.attempts == 1 and "429" in row.last_error
    net.wall.advance(2)
    await worker.run_until_idle()
    assert net.sender.calls == 2  # retry_after not over yet: not even tried
    for _ in range(3):
        net.wall.advance(60)
        await worker.run_until_idle()
    assert len(net.sender.to(MOTHER)) == 1 and len(net.sender.to(IVANOV)) == 1
    (row,) = await net.rows(account_id=1)
    assert row.status == S.SENT and row.attempts == 4  # three failures, then sent


async def test_persistent_errors_are_parked_with_their_reason(net: Net) -> None:
    worker = net.worker()
    net.sender.fail(MOTHER, *[Transient("503 Service Unavailable")] * 10)
    net.sender.fail(IVANOV, BadRequest("Bad Request: chat not found"))
    await give(net, net.s.ivanov, "5")
    for _ in range(8):
        await worker.run_until_idle()
        net.wall.advance(600)
    rows = {r.account_id: r for r in await net.rows()}
    assert rows[1].status == S.PARKED and rows[1].attempts == FAST.max_attempts
    assert "503 Service Unavailable" in rows[1].last_error
    assert rows[2].status == S.PARKED and rows[2].attempts == 1
    assert "chat not found" in rows[2].last_error
    assert net.sender.sent == []


async def test_a_blocked_user_is_marked_inactive_and_gets_nothing_more(net: Net) -> None:
    worker = net.worker()
    net.sender.blocked.add(str(MOTHER))
    await give(net, net.s.ivanov, "5")
    await worker.run_until_idle()
    (row,) = await net.rows(account_id=1)
    assert row.status == S.SKIPPED and "blocked" in row.last_error
    async with net.database.uow(readonly=True) as uow:
        assert (await uow.accounts.get(1)).active is False
    calls = net.sender.calls
    await give(net, net.s.ivanov, "4")
    await worker.run_until_idle()
    assert len(await net.rows(account_id=1)) == 1  # no new row for an inactive account
    assert net.sender.calls == calls + 1  # only the student's
    # back again (my_chat_member): pushes resume
    await AccountService(net.database.uow, net.clock).set_active("telegram", str(MOTHER), True)
    net.sender.blocked.clear()
    await give(net, net.s.ivanov, "3")
    await worker.run_until_idle()
    assert len(net.sender.to(MOTHER)) == 1


async def test_unlinking_stops_pushes_already_queued(net: Net) -> None:
    worker = net.worker()
    await give(net, net.s.ivanov, "5")
    await AccountService(net.database.uow, net.clock).logout("telegram", str(MOTHER))
    await worker.run_until_idle()
    assert net.sender.to(MOTHER) == [] and len(net.sender.to(IVANOV)) == 1
    (row,) = await net.rows(account_id=1)
    assert row.status == S.SKIPPED and row.last_error == "unlinked"


async def test_a_dead_workers_rows_are_taken_after_the_lease_and_its_results_ignored(
    net: Net,
) -> None:
    await give(net, net.s.ivanov, "5")
    queue = DeliveryQueue(net.database)
    wall = net.wall()
    batch = await queue.claim("dead", net.clock.now(), wall, wall + timedelta(seconds=30), 10)
    assert len(batch.rows) == 2
    worker = net.worker()
    await worker.run_until_idle()
    assert net.sender.sent == []  # still leased by the dead worker
    net.wall.advance(31)
    await worker.run_until_idle()
    assert len(net.sender.sent) == 2
    # the dead worker wakes up and reports a failure: it no longer owns the rows
    held = tuple((r.id, r.token) for r in batch.rows)
    await queue.apply("dead", [Outcome(held, "park", error="late")], net.wall())
    assert {r.status for r in await net.rows()} == {S.SENT}


class SlowSender(FakeSender):
    """Each send takes ``seconds`` of the (fake) wall clock."""

    def __init__(self, wall, seconds: float) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.wall = wall
        self.seconds = seconds

    async def send_text(self, chat_id: str, text: str, buttons=()) -> str:  # type: ignore[no-untyped-def]
        self.wall.advance(self.seconds)
        return await super().send_text(chat_id, text, buttons)


async def test_a_send_is_not_started_when_the_lease_is_running_out(net: Net) -> None:
    await give(net, net.s.ivanov, "5")
    net.sender = SlowSender(net.wall, 30)
    worker = net.worker(WorkerSettings(rate=None, per_chat=0, lease=40, lease_margin=15))
    await worker.run_until_idle()
    # the first send took 30 s: the second was let go, not sent late, then sent on a new lease
    assert worker.stats["release"] == 1 and worker.stats["sent"] == 2
    assert len(net.sender.sent) == 2 and {r.status for r in await net.rows()} == {S.SENT}


async def _many_rows(database: Database, count: int) -> None:
    """``count`` accounts with one push each (no link to check: a system notice)."""
    now = datetime(2026, 11, 18, 10, 0, tzinfo=m.__dict__.get("UTC", None) or at(10).tzinfo)
    async with database.uow() as uow:
        accounts = [m.Account("telegram", str(10_000 + i), now) for i in range(count)]
        await uow.accounts.add_all(accounts)
        await uow.deliveries.add_all(
            [
                m.Delivery(
                    a.id,
                    "reconcile",
                    json.dumps({"class": "7А", "items": [["Иванов Пётр", "2026-11-16", "М"]]}),
                    now,
                    now,
                )
                for a in accounts
            ]
        )
        await uow.commit()


async def test_two_workers_share_one_queue_without_a_duplicate(
    database: Database, backend: str
) -> None:
    net = await make_net(database)
    await _many_rows(database, 400)
    other = Database.connect(database.url)  # a second process's engine
    try:
        settings = WorkerSettings(rate=None, per_chat=0, batch=25, lease=30)
        sender = FakeSender()
        workers = [
            DeliveryWorker(
                DeliveryQueue(db), {"telegram": sender}, net.clock, settings, wall=net.wall
            )
            for db in (database, other)
        ]
        await asyncio.gather(*(w.run_until_idle() for w in workers))
    finally:
        await other.dispose()
    chats = [s.chat_id for s in sender.sent]
    assert len(chats) == 400 == len(set(chats))
    assert all(w.stats["sent"] > 0 for w in workers), [w.stats for w in workers]
    assert {r.status for r in await net.rows()} == {S.SENT}


async def test_the_progress_message_follows_the_broadcast(net: Net) -> None:
    worker = net.worker()
    class_teacher = await net.viewer(505)
    broadcast = await net.messaging.send_broadcast(
        class_teacher, net.s.c7.id, m.Audience.BOTH, "Завтра экскурсия"
    )
    net.sender.blocked.add(str(OTHER_PARENT))
    await worker.run_until_idle()
    progress = net.sender.to(505)
    assert len(progress) == 1 and "📢 Рассылка: 7А" in progress[0].text
    final = net.sender.edits[-1]
    assert final.ref == progress[0].message_id
    assert "Доставлено: 2 из 3" in final.text and "Не доставлено: 1" in final.text
    assert "Ещё не подключены к боту: 1" in final.text  # Петрова has no account
    got = net.sender.to(MOTHER)[0]
    assert got.text.startswith("📢 7А: сообщение от классного руководителя (Попова М.С.)")
    assert [b.data for b in got.buttons[0]] == [
        f"rd1:{(await net.rows(account_id=1, kind='broadcast'))[0].id}",
        f"rp1:{broadcast.id}:{net.s.ivanov.id}",
    ]
    assert [b.data for b in net.sender.to(IVANOV)[0].buttons[0]][1:] == []  # no reply for students


async def test_stopping_ends_a_loop_whose_cancellation_was_swallowed(net: Net) -> None:
    """A database driver can turn a cancellation into an ordinary error, which the progress
    loop logs and goes on from: the worker stopped waiting for it forever (the fuzz campaign
    hung so on PostgreSQL under load). It is cancelled again."""
    worker = net.worker()
    class_teacher = await net.viewer(505)
    await net.messaging.send_broadcast(
        class_teacher, net.s.c7.id, m.Audience.BOTH, "Завтра экскурсия"
    )
    real = worker.queue.progress_message
    calls = 0

    async def swallowing(broadcast_id: int):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls > 1:
            return await real(broadcast_id)
        try:
            await asyncio.sleep(1000)
        except asyncio.CancelledError:
            pass  # swallowed, as a driver may
        return None

    worker.queue.progress_message = swallowing  # type: ignore[method-assign]
    async with asyncio.timeout(20):
        await worker.run_until_idle()
    assert calls == 1  # the progress loop was in the swallowing call when it was stopped
    assert len(net.sender.to(MOTHER)) == 1  # and the broadcast went


async def test_a_chat_paused_by_flood_control_still_gets_one_message_a_second(net: Net) -> None:
    """The 429 puts the chat's queue back; claimed again, its messages are still spaced."""
    worker = net.worker(WorkerSettings(rate=None, per_chat=0.2, poll=0.02, lease=30))
    class_teacher = await net.viewer(505)
    for text in ("Первое", "Второе", "Третье"):  # broadcasts never merge: three messages
        await net.messaging.send_broadcast(class_teacher, net.s.c7.id, m.Audience.GUARDIANS, text)
    net.sender.fail(MOTHER, RetryLater(1))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await worker.wait_for(lambda s: s["retry"] >= 3)  # the chat's three went back
        net.wall.advance(1)  # retry_after is over: the same run claims them again at once
        await worker.wait_for(lambda s: s["sent"] >= 9)  # hers, his, 3 progress messages
    finally:
        stop.set()
        await task
    sent = net.sender.to(MOTHER)
    assert [x.text.rsplit("\n", 1)[-1] for x in sent] == ["Первое", "Второе", "Третье"]
    assert min(b.at - a.at for a, b in pairwise(sent)) >= 0.2
