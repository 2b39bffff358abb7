"""Corrections stay honest (#14 item 7; rule 4: 001 §8.6; 003 reg.2 §2.1.4), on a school
imported from its own files: after the author's seven days only a deputy or the journal
administrator corrects a mark, always with a reason, and the family sees it as a correction; a
period mark already set changes only with a reason. Both are in the audit log; a refusal
changes nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.keyboards import FinalCb, FixCb, LessonCb
from core.access import SYSTEM
from core.errors import CorrectionWindowPassed, ReasonRequired
from core.model import AuditEntry, FinalKind, FinalMark, MarkValue, PersonRole
from core.school_admin import SchoolAdminService
from tests.school.test_family_day import WORK_TYPES, _kind, _lesson, _section
from tests.support import TgUser
from tests.support.school import TZ, ImportedSchool

TEACHER = TgUser(7101, "Анна")  # T-004: maths in 7А, its class teacher
DEPUTY = TgUser(7102, "Наталья")  # T-003: deputy head (and history teacher)
MOTHER = TgUser(7103, "Ольга")  # U-101: Иванов Пётр, 7А

MONDAY = date(2026, 11, 30)
# Eleven days after the mark was entered: the author's seven days are over.
LATER = datetime(2026, 12, 14, 10, 0, tzinfo=TZ)
# In the second quarter's window for period marks (it ends on 28 December).
IN_WINDOW = datetime(2026, 12, 15, 11, 0, tzinfo=TZ)


async def _ready(school: ImportedSchool) -> None:
    school.files.extra["work_types"] = WORK_TYPES
    report = await school.import_roster()
    assert report.applied, report.errors
    await SchoolAdminService(school.database.uow, school.clock).make_lessons(
        SYSTEM, MONDAY, date(2026, 12, 18)
    )


async def _audit(school: ImportedSchool, student: int, action: str) -> list[AuditEntry]:
    async with school.database.uow(readonly=True) as uow:
        return [e for e in await uow.audit.for_student(student) if e.action == action]


async def _finals(school: ImportedSchool, student: int) -> list[FinalMark]:
    async with school.database.uow(readonly=True) as uow:
        year = await uow.years.containing(IN_WINDOW.date())
        assert year is not None
        return await uow.finals.for_student(student, year.id)  # type: ignore[arg-type]


async def test_a_late_correction_is_the_deputys_with_a_reason_and_shows_as_one(
    school: ImportedSchool,
) -> None:
    await _ready(school)
    await school.link(TEACHER, PersonRole.STAFF, "T-004")
    await school.link(DEPUTY, PersonRole.STAFF, "T-003")
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    ivanov = await school.person_id(PersonRole.STUDENT, "K-01")
    lesson = await _lesson(school, "7А", MONDAY, 3)  # Математика
    teacher = await school.services.viewers.get("telegram", str(TEACHER.id), True)
    journal = school.services.journal
    mark = await journal.give_mark(
        teacher, lesson, ivanov, MarkValue.THREE, await _kind(school, "КР")
    )
    assert mark.id is not None

    school.clock.set(LATER)
    # refused: the author, after the seven days — neither in the core nor on the lesson's card
    with pytest.raises(CorrectionWindowPassed):
        await journal.correct_mark(teacher, mark.id, MarkValue.FOUR, "ошибка ввода")
    await school.tester.click(LessonCb(lesson=lesson, view="x"), user=TEACHER, forged=True)
    assert "нет отметок, которые вы можете исправить" in (school.tester.last_text(TEACHER) or "")
    # refused: the deputy without a reason; nothing changes
    deputy = await school.services.viewers.get("telegram", str(DEPUTY.id), True)
    for reason in ("", "   "):
        with pytest.raises(ReasonRequired):
            await journal.correct_mark(deputy, mark.id, MarkValue.FOUR, reason)
    async with school.database.uow(readonly=True) as uow:
        kept = await uow.marks.get(mark.id)
    assert kept is not None and kept.current and kept.value == MarkValue.THREE
    assert await _audit(school, ivanov, "mark.correct") == []

    # allowed: the deputy, through the lesson's card, with the reason typed
    await school.tester.click(LessonCb(lesson=lesson, view="x"), user=DEPUTY, forged=True)
    await school.tester.click(FixCb(lesson=lesson, mark=mark.id), user=DEPUTY)
    await school.tester.click(FixCb(lesson=lesson, mark=mark.id, value="4"), user=DEPUTY)
    assert "причину" in (school.tester.last_text(DEPUTY) or "")
    await school.tester.send("Работа проверена повторно", user=DEPUTY)
    assert "Исправлено" in (school.tester.last_text(DEPUTY) or "")

    async with school.database.uow(readonly=True) as uow:
        old = await uow.marks.get(mark.id)
        assert old is not None and not old.current and old.superseded_by is not None
        new = await uow.marks.get(old.superseded_by)
    assert new is not None and new.value == MarkValue.FOUR
    assert new.author_id == await school.person_id(PersonRole.STAFF, "T-003")
    (entry,) = await _audit(school, ivanov, "mark.correct")
    assert (entry.actor_id, entry.before, entry.after, entry.reason) == (
        new.author_id,
        "3",
        "4",
        "Работа проверена повторно",
    )
    # the family sees it as a correction
    await school.tester.send("/marks", user=MOTHER)
    latest = _section(school.tester.last_text(MOTHER) or "", "Последние отметки")
    assert "30 нояб. · Математика · <b>4</b> (контрольная работа) · исправлено" in latest


async def test_a_period_mark_already_set_changes_only_with_a_reason(
    school: ImportedSchool,
) -> None:
    await _ready(school)
    await school.link(TEACHER, PersonRole.STAFF, "T-004")
    ivanov = await school.person_id(PersonRole.STUDENT, "K-01")
    school.clock.set(IN_WINDOW)
    lesson = await _lesson(school, "7А", date(2026, 12, 15), 2)  # Математика
    async with school.database.uow(readonly=True) as uow:
        item = await uow.lessons.get(lesson)
        year = await uow.years.containing(IN_WINDOW.date())
        assert item is not None and year is not None
        period = next(p for p in await uow.periods.for_year(year.id) if p.number == 2)  # type: ignore[arg-type]
    cb = FinalCb(lesson=lesson, period=period.id, subject=item.subject_id, student=ivanov)

    # the first period mark needs no reason
    await school.tester.click(LessonCb(lesson=lesson, view="f"), user=TEACHER, forged=True)
    await school.tester.click(cb, user=TEACHER)
    await school.tester.click(cb.model_copy(update={"value": "4"}), user=TEACHER)
    (first,) = await _finals(school, ivanov)
    assert first.value == MarkValue.FOUR
    assert await _audit(school, ivanov, "final.replace") == []

    # changing it asks for the reason first, and nothing changes until it is given
    await school.tester.click(cb, user=TEACHER)
    await school.tester.click(cb.model_copy(update={"value": "5"}), user=TEACHER)
    asked = school.tester.last_text(TEACHER) or ""
    assert "уже выставлена" in asked and "4 → 5" in asked
    assert [f.value for f in await _finals(school, ivanov)] == [MarkValue.FOUR]
    # refused: a blank reason, here and in the core
    await school.tester.send("  ", user=TEACHER)
    assert school.tester.last_text(TEACHER) == "Укажите причину исправления."
    teacher = await school.services.viewers.get("telegram", str(TEACHER.id), True)
    with pytest.raises(ReasonRequired):
        await school.services.journal.set_final_mark(
            teacher, ivanov, item.subject_id, FinalKind.PERIOD, MarkValue.FIVE, period.id
        )
    assert [f.value for f in await _finals(school, ivanov)] == [MarkValue.FOUR]
    assert await _audit(school, ivanov, "final.replace") == []

    # allowed: with the reason
    await school.tester.send("Исправил контрольную", user=TEACHER)
    assert "Изменено" in (school.tester.last_text(TEACHER) or "")
    (now,) = await _finals(school, ivanov)
    assert now.value == MarkValue.FIVE and now.id != first.id
    (entry,) = await _audit(school, ivanov, "final.replace")
    assert (entry.entity_id, entry.before, entry.after, entry.reason) == (
        first.id,
        "4",
        "5",
        "Исправил контрольную",
    )
    # the same mark again is no change: no reason asked, nothing written
    await school.services.journal.set_final_mark(
        teacher, ivanov, item.subject_id, FinalKind.PERIOD, MarkValue.FIVE, period.id
    )
    assert len(await _audit(school, ivanov, "final.replace")) == 1
