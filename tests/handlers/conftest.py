"""The real dispatcher and routers over the small school in the fake store, with a recording
bot. Accounts are linked through real invite codes, as a school would hand them out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from app.config import Settings
from bot.root import Services, build_dispatcher, build_services
from core import model as m
from core.access import SYSTEM
from core.clock import FixedClock
from tests.core.conftest import NOW, TZ, SmallSchool, build_small_school
from tests.core.fakes import FakeStore
from tests.support import BotTester, TgUser, make_bot


@dataclass
class World:
    s: SmallSchool
    services: Services
    tester: BotTester
    store: FakeStore
    clock: FixedClock
    mother: TgUser  # guardian of Иванов (7А), consented
    other_parent: TgUser  # guardian of Петрова (7А)
    ivanov: TgUser  # the student
    petrova: TgUser  # another student
    teacher: TgUser  # maths in 7А
    other_teacher: TgUser  # teaches nothing in 7А
    class_teacher: TgUser  # of 7А
    admin: TgUser
    stranger: TgUser  # never linked

    async def code(self, role: m.PersonRole, person_id: int) -> str:
        issued = await self.services.invites.issue(SYSTEM, role, person_id)
        return issued.code

    async def link(self, user: TgUser, role: m.PersonRole, person_id: int) -> None:
        await self.tester.send(f"/start {await self.code(role, person_id)}", user=user)


async def seed_journal(store: FakeStore, s: SmallSchool) -> None:
    """Marks, absences, homework and a period mark for Иванов, plus some for Петрова."""
    at = datetime(2026, 11, 17, 10, 0, tzinfo=TZ)
    async with store.uow() as uow:

        def mark(lesson, student, value, wt, comment=""):
            return m.Mark(
                lesson.id,
                student.id,
                lesson.subject_id,
                lesson.day,
                m.MarkValue(value),
                wt.id,
                lesson.teacher_id,
                at,
                comment=comment,
            )

        y = s.lesson_yesterday
        await uow.marks.add_all(
            [
                mark(y, s.ivanov, "5", s.oral, "отличный ответ"),
                mark(y, s.ivanov, "4", s.test),
                mark(s.lesson_q1, s.ivanov, "3", s.oral),
                mark(y, s.petrova, "2", s.oral),
            ]
        )
        english_y = await uow.lessons.add(
            m.Lesson(s.c7.id, y.day, 4, s.english.id, s.english_teacher.id, s.eng_group.id)
        )
        await uow.marks.add(
            m.Mark(
                english_y.id,
                s.ivanov.id,
                s.english.id,
                y.day,
                m.MarkValue.FOUR,
                s.oral.id,
                s.english_teacher.id,
                at,
            )
        )
        await uow.attendance.add(
            m.AttendanceRecord(
                y.id,
                s.ivanov.id,
                y.subject_id,
                y.day,
                m.AttendanceKind.ABSENT,
                s.teacher.id,
                at,
                reason=m.AbsenceReason.SICK,
            )
        )
        await uow.homework.add(
            m.Homework(
                y.id,
                s.c7.id,
                s.maths.id,
                y.day,
                s.lesson_today.day,
                "№ 101, 102",
                s.teacher.id,
                at,
                attachments=[m.Attachment("photo", "photo-file-1")],
            )
        )
        await uow.homework.add(
            m.Homework(
                english_y.id,
                s.c7.id,
                s.english.id,
                y.day,
                s.lesson_today.day,
                "Workbook p. 12",
                s.english_teacher.id,
                at,
                subgroup_id=s.eng_group.id,
            )
        )
        await uow.finals.add(
            m.FinalMark(
                s.ivanov.id,
                s.maths.id,
                s.year.id,
                m.FinalKind.PERIOD,
                m.MarkValue.FOUR,
                s.teacher.id,
                at - timedelta(days=30),
                period_id=s.q1.id,
            )
        )
        await uow.commit()


@pytest.fixture
async def world() -> World:
    return await make_world()


async def make_world() -> World:
    """The small school with every kind of viewer linked, behind the real dispatcher."""
    store = FakeStore()
    clock = FixedClock(NOW, TZ)
    s = await build_small_school(store, clock)
    await seed_journal(store, s)
    settings = Settings(_env_file=None, bot_token="42:TEST", bot_username="schoolbot_test_bot")
    services = build_services(settings, store.uow, clock=clock, viewer_ttl=0)
    tester = BotTester(build_dispatcher(services), make_bot())
    w = World(
        s,
        services,
        tester,
        store,
        clock,
        mother=TgUser(2001, "Ольга"),
        other_parent=TgUser(2002, "Сергей"),
        ivanov=TgUser(2003, "Петя"),
        petrova=TgUser(2004, "Алёна"),
        teacher=TgUser(2005, "Анна"),
        other_teacher=TgUser(2006, "Иван"),
        class_teacher=TgUser(2007, "Мария"),
        admin=TgUser(2008, "Павел"),
        stranger=TgUser(2009, "Кто-то"),
    )
    role = m.PersonRole
    await w.link(w.mother, role.GUARDIAN, s.mother.id)
    await w.link(w.other_parent, role.GUARDIAN, s.other_parent.id)
    await w.link(w.ivanov, role.STUDENT, s.ivanov.id)
    await w.link(w.petrova, role.STUDENT, s.petrova.id)
    await w.link(w.teacher, role.TEACHER, s.teacher.id)
    await w.link(w.other_teacher, role.TEACHER, s.other_teacher.id)
    await w.link(w.class_teacher, role.CLASS_TEACHER, s.class_teacher.id)
    await w.link(w.admin, role.ADMIN, s.admin.id)
    w.tester.session.requests.clear()
    return w
