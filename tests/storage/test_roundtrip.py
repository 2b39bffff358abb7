"""Every entity type goes in and comes back equal: enums, aware datetimes, dates, times,
attachments, optional fields both set and empty."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from core import model as m
from storage.db import Database

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 18, 10, 15, 30, 123456, tzinfo=MSK)
LATER = NOW + timedelta(hours=5)


async def _build(uow) -> list:  # type: ignore[no-untyped-def]
    """One of every entity, each with every field set away from its default where it can be."""
    made: list = []

    async def add(entity):  # type: ignore[no-untyped-def]
        made.append(await getattr(uow, repo_of[type(entity)]).add(entity))
        return entity

    school = await add(
        m.School("Гимназия", "Asia/Yekaterinburg", m.PeriodKind.TRIMESTER, "0.6", 4, 10, 3)
    )
    year = await add(m.SchoolYear(school.id, "2026/2027", date(2026, 9, 1), date(2027, 8, 31)))
    await add(
        m.Period(year.id, m.PeriodKind.TRIMESTER, 1, date(2026, 9, 1), date(2026, 11, 30), NOW)
    )
    await add(m.Holiday(year.id, "Новогодние", date(2026, 12, 30), date(2027, 1, 8)))
    await add(m.Bell(school.id, 7, time(14, 5), time(14, 50, 30)))
    wt = await add(m.WorkType(school.id, "essay", "Соч", "Сочинение", "1.25", True))
    subject = await add(m.Subject(school.id, "Русский язык", "Рус"))
    teacher = await add(m.Staff("Смирнова", "Анна", "Петровна", "st-1"))
    await add(m.StaffRole(teacher.id, m.StaffRoleKind.DIRECTOR))
    cls = await add(m.ClassGroup(year.id, 11, "Б", teacher.id, "cl-11b"))
    group = await add(m.Subgroup(cls.id, "Гр. 2", subject.id))
    await add(m.Teaching(teacher.id, subject.id, cls.id, group.id))
    student = await add(
        m.Student(
            "Ёлкина",
            "Дарья",
            cls.id,
            "Ивановна",
            date(2009, 2, 28),
            date(2026, 9, 1),
            date(2027, 5, 31),
            "s-1",
        )
    )
    member = m.SubgroupMember(group.id, student.id)
    await uow.subgroups.add_member(member)
    guardian = await add(
        m.Guardian("Ёлкин", "Иван", "Петрович", "+7 900 000-00-00", "i@example.org", "g-1")
    )
    await add(m.GuardianLink(guardian.id, student.id, "father", NOW))
    await add(
        m.TimetableEntry(
            cls.id,
            4,
            6,
            subject.id,
            teacher.id,
            group.id,
            "204",
            date(2026, 9, 1),
            date(2026, 12, 31),
        )
    )
    lesson = await add(
        m.Lesson(
            cls.id,
            date(2026, 11, 18),
            6,
            subject.id,
            teacher.id,
            group.id,
            teacher.id,
            "204",
            "Причастный оборот",
            m.LessonStatus.CANCELLED,
        )
    )
    await add(
        m.Homework(
            lesson.id,
            cls.id,
            subject.id,
            lesson.day,
            date(2026, 11, 20),
            "Упр. 120, «выучить правило»",
            teacher.id,
            NOW,
            group.id,
            [
                m.Attachment("photo", "AgACAgIAAxkBAAI", "доска.jpg"),
                m.Attachment("document", "BQACAgIAAxkBAAJ"),
            ],
            LATER,
        )
    )
    first = await add(
        m.Mark(
            lesson.id, student.id, subject.id, lesson.day, m.MarkValue.TWO, wt.id, teacher.id, NOW
        )
    )
    await add(
        m.Mark(
            lesson.id,
            student.id,
            subject.id,
            lesson.day,
            m.MarkValue.NOT_ASSESSED,
            wt.id,
            teacher.id,
            NOW,
            "см. объяснительную",
            LATER,
            first.id,
        )
    )
    await add(
        m.AttendanceRecord(
            lesson.id,
            student.id,
            subject.id,
            lesson.day,
            m.AttendanceKind.LATE,
            teacher.id,
            NOW,
            m.AbsenceReason.EXCUSED,
            teacher.id,
            LATER,
            12,
            "автобус",
        )
    )
    period = await uow.periods.for_year(year.id)
    await add(
        m.FinalMark(
            student.id,
            subject.id,
            year.id,
            m.FinalKind.PERIOD,
            m.MarkValue.PASS,
            teacher.id,
            NOW,
            period[0].id,
            LATER,
        )
    )
    await add(
        m.Remark(
            lesson.id,
            student.id,
            subject.id,
            lesson.day,
            m.RemarkKind.PRAISE,
            "Отлично",
            teacher.id,
            NOW,
        )
    )
    await add(
        m.AuditEntry(
            NOW, teacher.id, "mark.correct", "mark", first.id, student.id, "2", "н/а", "ошибка"
        )
    )
    account = await add(
        m.Account(
            "telegram",
            "123456789",
            NOW,
            "en",
            "Иван",
            time(22, 30),
            time(7, 15),
            "digest",
            False,
            False,
            True,
            time(19, 45),
            False,
        )
    )
    await add(
        m.Invite(
            "a" * 64,
            m.PersonRole.CLASS_TEACHER,
            teacher.id,
            NOW,
            LATER,
            teacher.id,
            cls.id,
            LATER,
            account.id,
            LATER,
        )
    )
    await add(m.AccountLink(account.id, m.PersonRole.STAFF, teacher.id, NOW, LATER))
    await add(m.Account("max", "42", NOW, quiet_from=None, quiet_to=None))
    return made


repo_of = {
    m.School: "schools",
    m.WorkType: "work_types",
    m.SchoolYear: "years",
    m.Period: "periods",
    m.Holiday: "holidays",
    m.Bell: "bells",
    m.Subject: "subjects",
    m.ClassGroup: "classes",
    m.Subgroup: "subgroups",
    m.Staff: "staff",
    m.StaffRole: "staff_roles",
    m.Teaching: "teachings",
    m.Student: "students",
    m.Guardian: "guardians",
    m.GuardianLink: "guardian_links",
    m.TimetableEntry: "timetable",
    m.Lesson: "lessons",
    m.Homework: "homework",
    m.Mark: "marks",
    m.AttendanceRecord: "attendance",
    m.FinalMark: "finals",
    m.Remark: "remarks",
    m.AuditEntry: "audit",
    m.Invite: "invites",
    m.Account: "accounts",
    m.AccountLink: "account_links",
}


async def test_every_entity_comes_back_equal(database: Database) -> None:
    async with database.uow() as uow:
        made = await _build(uow)
        await uow.commit()
    assert {type(e) for e in made} == set(repo_of)
    async with database.uow(readonly=True) as uow:
        for entity in made:
            loaded = await getattr(uow, repo_of[type(entity)]).get(entity.id)
            assert loaded is not None and loaded is not entity
            assert type(loaded) is type(entity)
            assert dataclasses.asdict(loaded) == dataclasses.asdict(entity), type(entity)
            for f in dataclasses.fields(loaded):
                value = getattr(loaded, f.name)
                if isinstance(value, datetime):
                    assert value.utcoffset() == timedelta(0), (type(entity), f.name)
                original = getattr(entity, f.name)
                if isinstance(original, StrEnum):
                    assert type(value) is type(original)
        assert await uow.subgroups.member_ids((await uow.subgroups.list_all())[0].id) == [
            (await uow.students.list_all())[0].id
        ]


async def test_moscow_time_comes_back_as_the_same_instant(database: Database) -> None:
    async with database.uow() as uow:
        account = await uow.accounts.add(m.Account("telegram", "1", NOW))
        await uow.commit()
    async with database.uow(readonly=True) as uow:
        loaded = await uow.accounts.get(account.id)
    assert loaded is not None
    assert loaded.created_at == NOW
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.astimezone(MSK).replace(tzinfo=None) == NOW.replace(tzinfo=None)
    assert loaded.created_at.microsecond == NOW.microsecond


async def test_stored_forms_are_portable(database: Database) -> None:
    async with database.uow() as uow:
        made = await _build(uow)
        await uow.commit()
    homework = next(e for e in made if isinstance(e, m.Homework))
    async with database.uow() as uow:
        row = (
            await uow.session.execute(
                text("SELECT value, created_at FROM marks ORDER BY id LIMIT 1")
            )
        ).one()
        raw_attachments = (
            await uow.session.execute(
                text("SELECT attachments FROM homework WHERE id = :id"), {"id": homework.id}
            )
        ).scalar_one()
    assert row.value == "2"  # the enum's value, as text
    stored = row.created_at
    if isinstance(stored, str):  # SQLite keeps text: UTC, so that text order is time order
        assert stored.startswith("2026-11-18 07:15:30")
    else:
        assert stored == NOW
    assert json.loads(raw_attachments) == [
        {"kind": "photo", "ref": "AgACAgIAAxkBAAI", "name": "доска.jpg"},
        {"kind": "document", "ref": "BQACAgIAAxkBAAJ", "name": ""},
    ]


async def test_naive_datetimes_are_refused(database: Database) -> None:
    async with database.uow() as uow:
        with pytest.raises(Exception, match="naive datetime"):
            await uow.accounts.add(m.Account("telegram", "1", datetime(2026, 11, 18, 10, 0)))


async def test_defaults_of_the_dataclasses_round_trip(database: Database) -> None:
    async with database.uow() as uow:
        school = await uow.schools.add(m.School("Школа"))
        account = await uow.accounts.add(m.Account("telegram", "7", datetime.now(UTC)))
        await uow.commit()
    async with database.uow(readonly=True) as uow:
        assert dataclasses.asdict(await uow.schools.get(school.id)) == dataclasses.asdict(school)
        loaded = await uow.accounts.get(account.id)
        assert loaded is not None
        assert (loaded.quiet_from, loaded.quiet_to, loaded.digest_at) == (
            time(21, 0),
            time(8, 0),
            time(18, 0),
        )
