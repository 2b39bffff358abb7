"""An absence a parent has explained, then taken back by the teacher (the pupil came for a
later lesson): the letter stays, the roll call changes (#15, blocker 1)."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery

from app.keyboards import LessonCb, RollCb
from core.access import SYSTEM
from core.model import AttendanceKind, PersonRole
from core.school_admin import SchoolAdminService
from notifications import buttons as b
from tests.support import TgUser
from tests.support.school import ImportedSchool

TEACHER = TgUser(3001, "Анна")  # T-004: maths, class teacher of 7А
MOTHER = TgUser(3002, "Ольга")  # U-101: Иванов Пётр (7А), Волкова София (5А)


async def _maths_today(school: ImportedSchool) -> tuple[int, int]:
    """Today's maths lesson of 7А, begun at 12:30, and Иванов's id."""
    school.clock.set(school.clock.now().replace(hour=12, minute=35))
    today = school.clock.today()
    await SchoolAdminService(school.database.uow, school.clock).make_lessons(SYSTEM, today, today)
    teacher = await school.person_id(PersonRole.STAFF, "T-004")
    ivanov = await school.person_id(PersonRole.STUDENT, "K-01")
    async with school.database.uow(readonly=True) as uow:
        (lesson,) = [x for x in await uow.lessons.for_teacher(teacher, today, today) if x.slot == 5]
    return lesson.id, ivanov  # type: ignore[return-value]


async def _explained_absence(school: ImportedSchool) -> tuple[int, int, int]:
    lesson, ivanov = await _maths_today(school)
    await school.link(TEACHER, PersonRole.TEACHER, "T-004")
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    await school.tester.send("/today", user=TEACHER)
    await school.tester.click(LessonCb(lesson=lesson), user=TEACHER)
    await school.tester.click(RollCb(lesson=lesson, student=ivanov), user=TEACHER)
    async with school.database.uow(readonly=True) as uow:
        record = await uow.attendance.find(lesson, ivanov)
    assert record is not None and record.kind == AttendanceKind.ABSENT
    await school.tester.click(b.explain(record.id), user=MOTHER, forged=True)
    await school.tester.send("Был у врача, придёт к 6-му уроку", user=MOTHER)
    assert "классному руководителю" in school.tester.last_text(MOTHER)
    return lesson, ivanov, record.id  # type: ignore[return-value]


async def _letters(school: ImportedSchool) -> list:
    async with school.database.uow(readonly=True) as uow:
        return await uow.letters.list_all()


def _alerts(school: ImportedSchool) -> list[str]:
    return [c.text or "" for c in school.tester.session.calls(AnswerCallbackQuery) if c.show_alert]


async def test_a_pupil_whose_absence_was_explained_is_tapped_present(
    school: ImportedSchool,
) -> None:
    lesson, ivanov, record = await _explained_absence(school)
    (letter,) = await _letters(school)
    assert letter.attendance_id == record

    await school.tester.send("/today", user=TEACHER)
    await school.tester.click(LessonCb(lesson=lesson), user=TEACHER)
    for _ in range(2):  # absent -> late -> present
        await school.tester.click(RollCb(lesson=lesson, student=ivanov), user=TEACHER)
    assert not _alerts(school)
    async with school.database.uow(readonly=True) as uow:
        assert await uow.attendance.find(lesson, ivanov) is None
    (kept,) = await _letters(school)
    assert kept.text == letter.text and kept.attendance_id is None  # the letter stays


async def test_all_present_after_an_explained_absence(school: ImportedSchool) -> None:
    lesson, _, _ = await _explained_absence(school)
    await school.tester.send("/today", user=TEACHER)
    await school.tester.click(LessonCb(lesson=lesson), user=TEACHER)
    await school.tester.click(RollCb(lesson=lesson, student=0), user=TEACHER)
    assert "Отметить всех присутствующими?" in (school.tester.last_text(TEACHER) or "")
    await school.tester.click("✅ Да, все на месте", user=TEACHER)
    assert not _alerts(school)
    async with school.database.uow(readonly=True) as uow:
        assert await uow.attendance.for_lesson(lesson) == []
    assert len(await _letters(school)) == 1
