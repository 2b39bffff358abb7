"""Scheduled pushes (evening digest with the day's marks, fortnightly summary, reminders to
staff) and the one-scheduler-per-deployment lock, on the database and on Redis."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime

import pytest
from sqlalchemy import delete

from core import model as m
from notifications.jobs import Jobs
from notifications.scheduler import DatabaseLock, JobScheduler, RedisLock
from storage.db import Database
from storage.tables import leases
from tests.notifications.conftest import (
    IVANOV,
    MOTHER,
    TEACHER,
    FakeWall,
    Net,
    at,
)

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "").strip() or None


def jobs(net: Net) -> Jobs:
    worker_wakes: list[int] = []
    return Jobs(net.database.uow, net.clock, lambda: worker_wakes.append(1))


async def test_the_evening_digest_brings_tomorrows_homework_and_the_days_marks(
    net: Net,
) -> None:
    async with net.database.uow() as uow:
        mother = await uow.accounts.get(1)
        mother.notify_marks = "digest"
        await uow.commit()
    teacher = await net.viewer(TEACHER)
    tomorrow = net.s.lesson_tomorrow.day
    await net.journal.set_homework(teacher, net.s.lesson_today.id, "№ 101–103", due_on=tomorrow)
    await net.journal.give_mark(
        teacher, net.s.lesson_today.id, net.s.ivanov.id, m.MarkValue.FIVE, net.s.oral.id
    )
    worker = net.worker()
    await worker.run_until_idle()
    sent = len(net.sender.to(MOTHER))  # the homework push; the mark waits for the digest
    assert "Новое домашнее задание" in net.sender.to(MOTHER)[0].text and sent == 1
    net.clock.set(at(17, 59))
    assert await jobs(net).evening_digest() == 0  # nobody's digest time yet
    net.clock.set(at(18, 31))
    assert await jobs(net).evening_digest() == 0  # too late to catch up: it would be stale
    net.clock.set(at(18, 0))
    assert await jobs(net).evening_digest() == 3  # Иванов, his mother, Петрова's father
    assert await jobs(net).evening_digest() == 0  # never twice
    await worker.run_until_idle()
    (digest,) = net.sender.to(MOTHER)[sent:]
    assert digest.text.startswith("🌆 чт, 19 ноября — Иванов Пётр (7А)")
    assert "<b>Математика</b>: № 101–103" in digest.text
    # the day's mark, in the same message, with its kind of work by name and its date
    assert "• Математика: <b>5</b> (устный ответ), 18 ноября" in digest.text
    student = net.sender.to(IVANOV)
    assert any(s.text.startswith("🌆") for s in student)


async def test_the_fortnight_summary_goes_to_guardians(net: Net) -> None:
    teacher = await net.viewer(TEACHER)
    for value, work in (("5", net.s.oral), ("3", net.s.test)):
        await net.journal.give_mark(
            teacher, net.s.lesson_today.id, net.s.ivanov.id, m.MarkValue(value), work.id
        )
    await net.journal.toggle_attendance(teacher, net.s.lesson_today.id, net.s.ivanov.id)
    net.clock.set(at(11, 0, day=21))  # Saturday
    week = net.clock.today().isocalendar().week
    assert await jobs(net).fortnight_summary() == (0 if week % 2 else 2)
    assert await jobs(net).fortnight_summary(every_other_week=False) == (2 if week % 2 else 0)
    (row,) = [r for r in await net.rows(kind="summary") if r.account_id == 1]
    data = json.loads(row.payload)
    # (5·1 + 3·2) / 3 = 3.67: the work types' weights
    assert data["subjects"] == [["Математика", ["5", "3"], 3.67]]
    assert (data["absent"], data["reasons"]) == (1, {"": 1})  # no reason given yet: not Н
    worker = net.worker()
    net.clock.set(at(11, 0, day=21))
    await worker.run_until_idle()
    text = net.sender.to(MOTHER)[-1].text
    assert "итоги двух недель" in text and "Математика: 5 3 (3,67)" in text
    assert "Пропущено уроков: 1 (причина не указана — 1)." in text
    assert "без уважительной причины" not in text  # the reason is not recorded yet
    assert not [r for r in await net.rows(kind="summary") if r.account_id == 2]  # not students


async def test_teachers_are_reminded_of_what_is_missing_after_the_windows(net: Net) -> None:
    net.clock.set(at(17, 0))
    assert await jobs(net).teacher_reminders() == 1
    (row,) = await net.rows(kind="remind")
    items = json.loads(row.payload)["items"]
    kinds = {(kind, cls, slot) for kind, cls, _, _, slot in items}
    assert ("topic", "7А", 2) in kinds and ("homework", "7А", 2) in kinds
    assert ("topic", "1А", 1) in kinds and ("homework", "1А", 1) not in kinds  # grade 1
    await net.worker().run_until_idle()
    text = net.sender.to(TEACHER)[0].text
    assert text.startswith("📝 Пожалуйста, заполните журнал:")
    assert "2-й урок, 7А Математика: не задано домашнее задание" in text
    assert await jobs(net).teacher_reminders() == 0


async def test_the_weekly_check_and_missing_period_marks(net: Net) -> None:
    teacher = await net.viewer(TEACHER)
    await net.journal.toggle_attendance(teacher, net.s.lesson_today.id, net.s.ivanov.id)
    net.clock.set(at(16, 0, day=20))  # Friday
    assert await jobs(net).weekly_reconciliation() == 1
    (row,) = await net.rows(kind="reconcile")
    assert json.loads(row.payload)["items"] == [["Иванов Пётр", "2026-11-18", "Математика"]]
    assert row.account_id == 4  # the class teacher's account
    net.clock.set(datetime(2026, 12, 26, 15, 30, tzinfo=net.clock.tz))
    await net.journal.set_final_mark(
        teacher, net.s.ivanov.id, net.s.maths.id, m.FinalKind.PERIOD, m.MarkValue.FIVE, net.s.q2.id
    )
    assert await jobs(net).finals_missing() == 1
    (row,) = await net.rows(kind="finals_missing")
    data = json.loads(row.payload)
    assert data["deadline"] == "2026-12-30"
    assert ["7А", "Математика", 1, 2] in data["items"] and ["10А", "Математика", 1, 1] in data[
        "items"
    ]
    net.clock.set(datetime(2026, 12, 10, 15, 30, tzinfo=net.clock.tz))
    assert await jobs(net).finals_missing() == 0  # not yet: more than 3 days before the end


# --- one scheduler per deployment -----------------------------------------------------------


async def test_only_the_lock_holder_runs_jobs_and_a_dead_holder_is_replaced(
    database: Database,
) -> None:
    wall = FakeWall()
    runs: list[str] = []

    async def job() -> int:
        runs.append("ran")
        return 0

    first = JobScheduler(
        Jobs(database.uow, None),
        DatabaseLock(database, "a", 30, wall),
        None,  # type: ignore[arg-type]
    )
    second = JobScheduler(
        Jobs(database.uow, None),
        DatabaseLock(database, "b", 30, wall),
        None,  # type: ignore[arg-type]
    )
    results = await asyncio.gather(first.guarded("j", job), second.guarded("j", job))
    assert sorted(results, key=str) == [0, None] and runs == ["ran"]
    holder, other = (first, second) if first.holding else (second, first)
    wall.advance(20)
    assert await holder.guarded("j", job) == 0  # renewed
    assert await other.guarded("j", job) is None
    wall.advance(31)  # the holder died: it stopped renewing
    assert await other.guarded("j", job) == 0
    assert await holder.guarded("j", job) is None  # and it cannot come back in between
    await other.stop()  # a clean stop lets go at once
    assert await holder.guarded("j", job) == 0


async def test_one_owner_asking_twice_at_once_holds_the_lock(database: Database) -> None:
    """The scheduler renews its lock while a job asks for it: on a database with no lease row
    yet, both calls of the one owner hold it (one inserts the row, the other takes it), and
    another owner still does not."""
    for attempt in range(5):
        mine = DatabaseLock(database, f"owner-{attempt}", 30)
        held = await asyncio.gather(*(mine.acquire() for _ in range(4)))
        assert held == [True] * 4, attempt
        assert await DatabaseLock(database, "someone else", 30).acquire() is False
        await mine.release()
        async with database.session() as session, session.begin():
            await session.execute(delete(leases))  # no row again for the next round


async def test_the_scheduler_registers_its_jobs_and_stops_cleanly(net: Net) -> None:
    scheduler = JobScheduler(jobs(net), DatabaseLock(net.database, "solo"), net.clock.tz)
    scheduler.start()
    try:
        ids = {job.id for job in scheduler._scheduler.get_jobs()}  # type: ignore[union-attr]
        assert ids == {
            "evening_digest",
            "fortnight_summary",
            "paper_diaries",
            "teacher_reminders",
            "finals_missing",
            "weekly_reconciliation",
            "weekly_failing",
            "weekly_quality",
            "preliminary_results",
            "school_calendar",
            "lock",
        }
        assert await scheduler.guarded("probe", lambda: asyncio.sleep(0, 7)) == 7
    finally:
        await scheduler.stop()
    other = DatabaseLock(net.database, "next")
    assert await other.acquire()  # released on stop


@pytest.mark.skipif(TEST_REDIS_URL is None, reason="TEST_REDIS_URL is not set")
async def test_the_redis_lock_has_one_holder() -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(TEST_REDIS_URL)  # type: ignore[arg-type]
    key = f"schoolbot:test:{os.getpid()}"
    try:
        a = RedisLock(redis, "a", seconds=30, key=key)
        b = RedisLock(redis, "b", seconds=30, key=key)
        assert await a.acquire() and not await b.acquire()
        assert 0 < await redis.pttl(f"{key}:scheduler") <= 30_000  # it expires by itself
        assert await a.acquire()  # renewal
        await redis.delete(f"{key}:scheduler")  # the key expired: the holder crashed
        assert await b.acquire() and not await a.acquire()
        await a.release()  # not the holder: changes nothing
        assert not await a.acquire()
        await b.release()
        assert await a.acquire()
        await a.release()
    finally:
        await redis.delete(f"{key}:scheduler")
        await redis.aclose()


async def test_the_night_closes_what_is_due_and_makes_the_lessons_ahead(net: Net) -> None:
    """Rule 6: the night after the window for the second quarter's marks (28 + 2 December) the
    quarter closes; the lessons of the next three weeks are made from the timetable."""
    s = net.s
    async with net.database.uow() as uow:
        await uow.timetable.add(m.TimetableEntry(s.c7.id, 0, 1, s.maths.id, s.teacher.id))
        await uow.commit()
    net.clock.set(datetime(2026, 12, 30, 0, 10, tzinfo=net.clock.tz))
    assert await jobs(net).school_calendar() == 2  # Mondays 11 and 18 January; Q2 still open
    async with net.database.uow(readonly=True) as uow:
        assert not (await uow.periods.get(s.q2.id)).closed
    net.clock.set(datetime(2026, 12, 31, 0, 10, tzinfo=net.clock.tz))
    assert await jobs(net).school_calendar() == 1  # the quarter
    assert await jobs(net).school_calendar() == 0  # nothing twice
    async with net.database.uow(readonly=True) as uow:
        q2 = await uow.periods.get(s.q2.id)
        made = await uow.lessons.for_class(
            s.c7.id, datetime(2027, 1, 1).date(), datetime(2027, 1, 31).date()
        )
    assert q2.closed
    assert [(x.day.isoformat(), x.slot) for x in made] == [("2027-01-11", 1), ("2027-01-18", 1)]
