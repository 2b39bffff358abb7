"""The SQL unit of work: commit and rollback, events fanned out in the transaction, tracked
entities, read-only work."""

from __future__ import annotations

import inspect as pyinspect
import itertools
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from core import model as m
from core import ports
from core.access import SYSTEM
from core.clock import FixedClock
from core.events import AccountLinked, MarkGiven, PeriodClosedEvent
from core.invites import InviteService
from storage.db import Database
from storage.repositories import REPOSITORIES
from storage.tables import leases
from storage.uow import ReadOnlyUnitOfWorkError, SqlUnitOfWork

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=MSK)


async def _school(database: Database) -> m.School:
    async with database.uow() as uow:
        school = await uow.schools.add(m.School("Школа"))
        await uow.commit()
    return school


async def _count(database: Database, table: str) -> int:
    async with database.uow(readonly=True) as uow:
        return (await uow.session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()


class _EventRows:
    """An ``EventFanout`` that writes one row per event in the unit of work's transaction (into
    ``leases``, which nothing else here touches: name ``n:event``, owner the payload) and counts
    the commits it is told of, as the real fan-out writes deliveries and wakes a worker."""

    def __init__(self) -> None:
        self.commits = 0
        self._n = itertools.count(1)

    async def fan_out(self, uow: ports.UnitOfWork, events: tuple) -> None:
        rows = [{"name": f"{next(self._n)}:{e.name}", "owner": e.payload()} for e in events]
        await uow.session.execute(insert(leases), rows)  # type: ignore[attr-defined]

    def committed(self) -> None:
        self.commits += 1


def _fanned(database: Database) -> _EventRows:
    database.fanout = fanout = _EventRows()
    return fanout


async def _events(database: Database) -> list[tuple[str, dict]]:
    """(event name, payload) of the rows the fan-out wrote, in order."""
    async with database.uow(readonly=True) as uow:
        rows = (await uow.session.execute(select(leases.c.name, leases.c.owner))).all()
    ordered = sorted(rows, key=lambda r: int(r.name.split(":", 1)[0]))
    return [(r.name.split(":", 1)[1], json.loads(r.owner)) for r in ordered]


def test_the_unit_of_work_has_every_port() -> None:
    for name, proto_name in ports.UnitOfWork.__annotations__.items():
        proto = getattr(ports, proto_name)
        impl = REPOSITORIES[name]
        for base in (proto, ports.Repository):
            for attr, fn in vars(base).items():
                if attr.startswith("_") or not callable(fn):
                    continue
                assert hasattr(impl, attr), f"{name}.{attr}"
                want = list(pyinspect.signature(fn).parameters)
                got = list(pyinspect.signature(getattr(impl, attr)).parameters)
                assert got == want, f"{name}.{attr}: {got} != {want}"
    for attr in ("emit", "commit", "rollback", "__aenter__", "__aexit__"):
        assert callable(getattr(SqlUnitOfWork, attr))


async def test_nothing_is_kept_without_commit(database: Database) -> None:
    fanout = _fanned(database)
    async with database.uow() as uow:
        school = await uow.schools.add(m.School("Школа"))
        assert school.id is not None  # add flushes
        uow.emit(PeriodClosedEvent(1, True))
    assert await _count(database, "schools") == 0
    assert await _events(database) == [] and fanout.commits == 0
    assert school.name == "Школа"  # still readable after the unit of work


async def test_an_escaping_exception_rolls_back(database: Database) -> None:
    school = await _school(database)
    fanout = _fanned(database)
    with pytest.raises(RuntimeError, match="boom"):
        async with database.uow() as uow:
            loaded = await uow.schools.get(school.id)
            assert loaded is not None
            loaded.name = "Переименована"
            await uow.subjects.add(m.Subject(school.id, "Физика"))
            uow.emit(PeriodClosedEvent(1, True))
            raise RuntimeError("boom")
    async with database.uow(readonly=True) as uow:
        again = await uow.schools.get(school.id)
        assert again is not None and again.name == "Школа"
        assert await uow.subjects.list_all() == []
    assert await _events(database) == [] and fanout.commits == 0


async def test_a_mutated_loaded_entity_is_saved_on_commit(database: Database) -> None:
    school = await _school(database)
    async with database.uow() as uow:
        year = await uow.years.add(
            m.SchoolYear(school.id, "2026/2027", date(2026, 9, 1), date(2027, 8, 31))
        )
        period = await uow.periods.add(
            m.Period(year.id, m.PeriodKind.QUARTER, 1, date(2026, 9, 1), date(2026, 10, 24))
        )
        await uow.commit()
    async with database.uow() as uow:
        loaded = await uow.periods.get(period.id)
        assert loaded is not None and not loaded.closed
        loaded.closed_at = NOW
        loaded.kind = m.PeriodKind.TRIMESTER
        await uow.commit()
    async with database.uow(readonly=True) as uow:
        again = await uow.periods.get(period.id)
        assert again is not None
        assert again.closed_at == NOW and again.kind is m.PeriodKind.TRIMESTER


async def test_attachments_changed_in_place_are_saved(database: Database) -> None:
    async with database.uow() as uow:
        school = await uow.schools.add(m.School("Школа"))
        year = await uow.years.add(
            m.SchoolYear(school.id, "y", date(2026, 9, 1), date(2027, 8, 31))
        )
        cls = await uow.classes.add(m.ClassGroup(year.id, 5, "А"))
        subject = await uow.subjects.add(m.Subject(school.id, "Физика"))
        staff = await uow.staff.add(m.Staff("Орлов", "Пётр"))
        lesson = await uow.lessons.add(
            m.Lesson(cls.id, date(2026, 11, 18), 1, subject.id, staff.id)
        )
        hw = await uow.homework.add(
            m.Homework(lesson.id, cls.id, subject.id, lesson.day, lesson.day, "§ 5", staff.id, NOW)
        )
        await uow.commit()
    async with database.uow() as uow:
        loaded = await uow.homework.get(hw.id)
        assert loaded is not None and loaded.attachments == []
        loaded.attachments.append(m.Attachment("photo", "file-1"))
        await uow.commit()
    async with database.uow(readonly=True) as uow:
        again = await uow.homework.get(hw.id)
        assert again is not None and again.attachments == [m.Attachment("photo", "file-1")]


async def test_events_are_fanned_out_in_the_transaction_of_the_changes(
    database: Database,
) -> None:
    school = await _school(database)
    fanout = _fanned(database)
    async with database.uow() as uow:
        subject = await uow.subjects.add(m.Subject(school.id, "Химия"))
        uow.emit(MarkGiven(1, 2, subject.id, 4, "5", 6))
        uow.emit(PeriodClosedEvent(7, True))
        await uow.commit()
        uow.emit(PeriodClosedEvent(8, False))  # after a commit: a new transaction
        await uow.commit()
        await uow.commit()  # nothing emitted: no wake-up
    events = await _events(database)
    assert [name for name, _ in events] == ["mark.given", "period.closed", "period.closed"]
    assert events[0][1] == {
        "mark_id": 1,
        "student_id": 2,
        "subject_id": subject.id,
        "lesson_id": 4,
        "value": "5",
        "work_type_id": 6,
    }
    assert events[2][1] == {"period_id": 8, "closed": False}
    assert fanout.commits == 2


async def test_a_failed_commit_keeps_neither_changes_nor_events(database: Database) -> None:
    school = await _school(database)
    fanout = _fanned(database)
    async with database.uow() as uow:
        loaded = await uow.schools.get(school.id)
        assert loaded is not None
        loaded.name = "Новое имя"
        await uow.subjects.add(m.Subject(school.id, "Химия"))
        bad = await uow.years.add(m.SchoolYear(school.id, "y", date(2026, 9, 1), date(2027, 8, 31)))
        bad.school_id = 999_999  # a foreign key violated when the commit flushes
        uow.emit(PeriodClosedEvent(1, True))
        with pytest.raises(IntegrityError):
            await uow.commit()
    assert await _events(database) == [] and fanout.commits == 0
    assert await _count(database, "subjects") == 0
    async with database.uow(readonly=True) as uow:
        again = await uow.schools.get(school.id)
        assert again is not None and again.name == "Школа"


async def test_rolled_back_events_vanish(database: Database) -> None:
    school = await _school(database)
    _fanned(database)
    async with database.uow() as uow:
        loaded = await uow.schools.get(school.id)
        assert loaded is not None
        loaded.name = "Забыто"
        uow.emit(PeriodClosedEvent(1, True))
        await uow.rollback()
        assert loaded.name == "Забыто"  # detached as it was, still readable
        fresh = await uow.schools.get(school.id)
        assert fresh is not None and fresh is not loaded and fresh.name == "Школа"
        await uow.subjects.add(m.Subject(school.id, "Химия"))
        uow.emit(PeriodClosedEvent(2, True))
        await uow.commit()
    assert [data["period_id"] for _, data in await _events(database)] == [2]
    assert await _count(database, "subjects") == 1


async def test_loaded_entities_stay_readable_after_the_unit_of_work(database: Database) -> None:
    school = await _school(database)
    async with database.uow(readonly=True) as uow:
        loaded = await uow.schools.get(school.id)
        listed = await uow.schools.list_all()
    assert loaded is not None and loaded.name == "Школа" and listed == [loaded]
    loaded.name = "Изменено вне"  # detached: changing it saves nothing
    async with database.uow() as uow:
        await uow.commit()
    async with database.uow(readonly=True) as uow:
        again = await uow.schools.get(school.id)
        assert again is not None and again.name == "Школа"


async def test_get_returns_the_tracked_instance(database: Database) -> None:
    school = await _school(database)
    async with database.uow() as uow:
        a = await uow.schools.get(school.id)
        b = await uow.schools.first()
        assert a is b


async def test_read_only_work_cannot_write(database: Database) -> None:
    school = await _school(database)
    async with database.uow(readonly=True) as uow:
        loaded = await uow.schools.get(school.id)
        assert loaded is not None
        loaded.name = "Нельзя"
        with pytest.raises(ReadOnlyUnitOfWorkError):
            await uow.commit()
    async with database.uow(readonly=True) as uow:
        uow.emit(PeriodClosedEvent(1, True))
        with pytest.raises(ReadOnlyUnitOfWorkError):
            await uow.commit()
    async with database.uow(readonly=True) as uow:
        await uow.schools.list_all()
        await uow.commit()  # nothing to write: fine
    async with database.uow(readonly=True) as uow:
        with pytest.raises(DBAPIError):  # and the database refuses it too
            await uow.session.execute(text("UPDATE schools SET name = 'x'"))
    async with database.uow(readonly=True) as uow:
        again = await uow.schools.get(school.id)
        assert again is not None and again.name == "Школа"


async def test_writers_still_write_after_read_only_work(database: Database) -> None:
    # On PostgreSQL both share one pool: a connection must not stay read-only.
    school = await _school(database)
    for i in range(3):
        async with database.uow(readonly=True) as uow:
            await uow.schools.list_all()
        async with database.uow() as uow:
            await uow.subjects.add(m.Subject(school.id, f"Предмет {i}"))
            await uow.commit()
    assert await _count(database, "subjects") == 3


async def test_foreign_keys_are_enforced(database: Database) -> None:
    async with database.uow() as uow:
        with pytest.raises(IntegrityError):
            await uow.students.add(m.Student("Нет", "Класса", 12345))


async def test_the_core_invite_flow_on_the_real_database(database: Database) -> None:
    async with database.uow() as uow:
        school = await uow.schools.add(m.School("Школа"))
        year = await uow.years.add(
            m.SchoolYear(school.id, "y", date(2026, 9, 1), date(2027, 8, 31))
        )
        cls = await uow.classes.add(m.ClassGroup(year.id, 7, "А"))
        student = await uow.students.add(m.Student("Иванов", "Пётр", cls.id))
        await uow.commit()
    _fanned(database)
    service = InviteService(database.uow, FixedClock(NOW, MSK))
    issued = await service.issue(SYSTEM, m.PersonRole.STUDENT, student.id)
    link = await service.redeem("telegram", "555", issued.code, "Петя")
    assert link.id is not None and link.person_id == student.id
    async with database.uow(readonly=True) as uow:
        invite = await uow.invites.get(issued.invite.id)
        assert invite is not None and invite.used_at == NOW
        account = await uow.accounts.by_external("telegram", "555")
        assert account is not None and invite.used_by == account.id
        assert [x.id for x in await uow.account_links.active_for_account(account.id)] == [link.id]
    events = await _events(database)
    assert [name for name, _ in events] == [AccountLinked.name]
    assert events[0][1]["person_id"] == student.id


async def test_every_event_of_a_commit_reaches_the_fan_out(database: Database) -> None:
    await _school(database)
    _fanned(database)
    async with database.uow() as uow:
        for i in range(250):
            uow.emit(PeriodClosedEvent(i, True))
        await uow.commit()
    async with database.uow(readonly=True) as uow:
        n = (await uow.session.execute(select(func.count()).select_from(leases))).scalar_one()
    assert n == 250
