"""Lessons and substitutions from /admin, by the deputy and the journal admin, on a school that
came in through its own files: a substitute reaches the substitute's /today, a cancellation
keeps its reason, a move makes the new lesson and cancels the old, an extra lesson is there;
a teacher's or a parent's forged press changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram.methods import AnswerCallbackQuery

from core.model import Lesson, LessonOrigin, LessonStatus, PersonRole
from handlers.admin import AdminCb
from handlers.admin_lessons_ui import (
    ClassDayCb,
    DayCb,
    ExtraCb,
    ExtraTeacherCb,
    LessonAdminCb,
    MoveCb,
    SubstituteCb,
)
from tests.support import TgUser
from tests.support.school import ImportedSchool

DEPUTY = TgUser(4101, "Наталья")  # T-003: the deputy, who teaches History
ADMIN = TgUser(4102, "Ирина")  # T-001: the journal admin
DIRECTOR = TgUser(4103, "Виктор")  # T-002: reads everything, changes no timetable
SUBSTITUTE = TgUser(4104, "Елена")  # T-008: the second English group of 7А only
TEACHER = TgUser(4105, "Анна")  # T-004: maths, class teacher of 7А
MOTHER = TgUser(4106, "Ольга")  # U-101: Иванов Пётр (7А), Волкова София (5А)

MONDAY = date(2026, 12, 7)


def _alerts(school: ImportedSchool) -> list[str]:
    calls = school.tester.session.calls(AnswerCallbackQuery)
    return [c.text or "" for c in calls if c.show_alert]


def _answers(school: ImportedSchool) -> int:
    return len(school.tester.session.calls(AnswerCallbackQuery))


async def _lesson(school: ImportedSchool, lesson_id: int) -> Lesson:
    async with school.database.uow(readonly=True) as uow:
        found = await uow.lessons.get(lesson_id)
    assert found is not None
    return found


async def _class_id(school: ImportedSchool, name: str) -> int:
    async with school.database.uow(readonly=True) as uow:
        (found,) = [c.id for c in await uow.classes.list_all() if c.name == name]
    return found  # type: ignore[return-value]


async def _lessons_of(school: ImportedSchool, cls: str, day: date) -> list[Lesson]:
    class_id = await _class_id(school, cls)
    async with school.database.uow(readonly=True) as uow:
        return await uow.lessons.for_class(class_id, day, day)


async def _at(school: ImportedSchool, cls: str, day: date, slot: int) -> Lesson:
    (found,) = [
        x
        for x in await _lessons_of(school, cls, day)
        if x.slot == slot and x.status == LessonStatus.PLANNED
    ]
    return found


async def _open_class_day(school: ImportedSchool, user: TgUser, day: date, cls: str) -> None:
    """/admin → «Уроки и замены» → the day → the class, pressing the buttons shown."""
    await school.tester.send("/admin", user=user)
    await school.tester.click("🗓 Уроки и замены", user=user)
    assert "Какой день?" in school.tester.last_text(user)
    await school.tester.click(DayCb(day=day.toordinal()), user=user)
    assert "Какой класс?" in school.tester.last_text(user)
    await school.tester.click(cls, user=user)


async def _sixth_bell(school: ImportedSchool) -> None:
    """The school adds a sixth lesson to its bells (re-imports them): room for moves."""
    school.files.bells.append([6, "13:25", "14:10"])
    report = await school.import_timetable()
    assert report.applied, report.errors


async def test_a_substitute_chosen_on_the_screens_teaches_the_lesson(school: ImportedSchool):
    await school.link(DEPUTY, PersonRole.DEPUTY, "T-003")
    await school.link(SUBSTITUTE, PersonRole.TEACHER, "T-008")
    today = school.clock.today()
    history = await _at(school, "7А", today, 3)  # Орлова's History, 7А, 3rd lesson today
    sokolova = await school.person_id(PersonRole.STAFF, "T-008")

    await _open_class_day(school, DEPUTY, today, "7А")
    day_screen = school.tester.last_text(DEPUTY)
    assert "7А" in day_screen and "3. История — Орлова Н.И." in day_screen
    await school.tester.click("3. История", user=DEPUTY)
    assert "7А, чт 3 дек., 3-й урок" in school.tester.last_text(DEPUTY)
    await school.tester.click("👤 Замена", user=DEPUTY)
    assert "Кто заменяет?" in school.tester.last_text(DEPUTY)

    # Кузнецов teaches 5А at that time: the core refuses, nothing is recorded.
    answered = _answers(school)
    await school.tester.click("Кузнецов Олег Андреевич", user=DEPUTY)
    assert _answers(school) == answered + 1  # one answer: the refusal
    assert "в это время уже есть урок" in _alerts(school)[-1]
    assert (await _lesson(school, history.id)).substitute_id is None  # type: ignore[arg-type]

    await school.tester.click("Соколова Елена Викторовна", user=DEPUTY)
    assert (await _lesson(school, history.id)).substitute_id == sokolova  # type: ignore[arg-type]
    assert "Замена: Соколова Е.В." in school.tester.last_text(DEPUTY)
    assert len(_alerts(school)) == 1

    await school.tester.send("/today", user=SUBSTITUTE)
    today_text = school.tester.last_text(SUBSTITUTE)
    assert "7А" in today_text and "История" in today_text and "замена" in today_text

    # And back to the timetable's teacher.
    await school.tester.click("👤 Замена", user=DEPUTY)
    await school.tester.click("↩️ Вернуть учителя по расписанию", user=DEPUTY)
    assert (await _lesson(school, history.id)).substitute_id is None  # type: ignore[arg-type]
    assert "Замена:" not in school.tester.last_text(DEPUTY)


async def test_a_cancellation_keeps_its_reason_and_can_be_taken_back(school: ImportedSchool):
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    tomorrow = school.clock.today() + timedelta(days=1)
    lesson = await _at(school, "6Б", tomorrow, 1)

    await _open_class_day(school, ADMIN, tomorrow, "6Б")
    await school.tester.click(LessonAdminCb(lesson=lesson.id), user=ADMIN)  # type: ignore[arg-type]
    await school.tester.click("❌ Отменить урок", user=ADMIN)
    assert "Почему урок отменяется?" in school.tester.last_text(ADMIN)
    await school.tester.send("Учитель на курсах повышения квалификации", user=ADMIN)
    question = school.tester.last_text(ADMIN)
    assert "Отменить урок?" in question and "Учитель на курсах" in question
    assert (await _lesson(school, lesson.id)).status == LessonStatus.PLANNED  # type: ignore[arg-type]

    await school.tester.click("❌ Да, отменить урок", user=ADMIN)
    cancelled = await _lesson(school, lesson.id)  # type: ignore[arg-type]
    assert cancelled.status == LessonStatus.CANCELLED
    assert cancelled.note == "Учитель на курсах повышения квалификации"
    assert "Отменён: Учитель на курсах" in school.tester.last_text(ADMIN)

    # The same confirmation again is stale; nothing changes.
    await school.tester.click(
        LessonAdminCb(lesson=lesson.id, act="go"),  # type: ignore[arg-type]
        user=ADMIN,
        forged=True,
    )
    assert "неактуален" in _alerts(school)[-1]

    await school.tester.click("↩️ Восстановить", user=ADMIN)
    restored = await _lesson(school, lesson.id)  # type: ignore[arg-type]
    assert restored.status == LessonStatus.PLANNED and restored.note == ""

    # /cancel while the reason is asked: nothing changes, the question's buttons are stale.
    await school.tester.click("❌ Отменить урок", user=ADMIN)
    await school.tester.send("/cancel", user=ADMIN)
    assert "ничего не изменено" in school.tester.last_text(ADMIN)
    await school.tester.click("Без причины", user=ADMIN)
    assert "неактуален" in _alerts(school)[-1]
    assert (await _lesson(school, lesson.id)).status == LessonStatus.PLANNED  # type: ignore[arg-type]

    # Without a reason, from the buttons alone.
    await school.tester.click("« Назад", user=ADMIN)
    await school.tester.click("❌ Отменить урок", user=ADMIN)
    await school.tester.click("Без причины", user=ADMIN)
    assert "Без причины." in school.tester.last_text(ADMIN)
    await school.tester.click("❌ Да, отменить урок", user=ADMIN)
    again = await _lesson(school, lesson.id)  # type: ignore[arg-type]
    assert again.status == LessonStatus.CANCELLED and again.note == ""
    assert "6Б" in school.tester.last_text(ADMIN)


async def test_a_moved_lesson_is_made_anew_and_the_old_one_cancelled(school: ImportedSchool):
    await _sixth_bell(school)
    await school.link(DEPUTY, PersonRole.DEPUTY, "T-003")
    friday = school.clock.today() + timedelta(days=1)
    history = await _at(school, "7А", friday, 2)  # Орлова's History on Friday

    await _open_class_day(school, DEPUTY, friday, "7А")
    await school.tester.click("2. История", user=DEPUTY)
    await school.tester.click("➡️ Перенести", user=DEPUTY)
    assert "На какой день перенести?" in school.tester.last_text(DEPUTY)
    await school.tester.click(MoveCb(lesson=history.id, day=MONDAY.toordinal()), user=DEPUTY)  # type: ignore[arg-type]
    assert "Какой урок по счёту?" in school.tester.last_text(DEPUTY)
    await school.tester.click("6 · 13:25", user=DEPUTY)
    question = school.tester.last_text(DEPUTY)
    assert "Перенести урок?" in question and "будет: пн 7 дек., 6-й урок" in question
    assert len(await _lessons_of(school, "7А", MONDAY)) == 6  # nothing yet: 5 lessons + 2 groups

    await school.tester.click("✅ Перенести", user=DEPUTY)
    old = await _lesson(school, history.id)  # type: ignore[arg-type]
    assert old.status == LessonStatus.CANCELLED and "2026-12-07/6" in old.note
    moved = await _at(school, "7А", MONDAY, 6)
    assert moved.origin == LessonOrigin.MOVED
    assert (moved.subject_id, moved.teacher_id) == (history.subject_id, history.teacher_id)
    screen = school.tester.last_text(DEPUTY)
    assert "7А, пн 7 дек., 6-й урок" in screen and "История" in screen
    assert not _alerts(school)

    # Back to Friday: the old lesson is shown as moved.
    await school.tester.click(
        ClassDayCb(cls=old.class_id, day=friday.toordinal()), user=DEPUTY, forged=True
    )
    await school.tester.click(LessonAdminCb(lesson=history.id), user=DEPUTY, forged=True)  # type: ignore[arg-type]
    assert "перенесён на пн 7 дек., 6-й урок" in school.tester.last_text(DEPUTY)


async def test_an_extra_lesson_is_added(school: ImportedSchool):
    await _sixth_bell(school)
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    smirnova = await school.person_id(PersonRole.STAFF, "T-004")

    await _open_class_day(school, ADMIN, MONDAY, "7А")
    await school.tester.click("➕ Дополнительный урок", user=ADMIN)
    assert "Дополнительный урок: 7А" in school.tester.last_text(ADMIN)
    await school.tester.click("6 · 13:25", user=ADMIN)
    await school.tester.click("Математика", user=ADMIN)
    assert "Кто его ведёт?" in school.tester.last_text(ADMIN)
    await school.tester.click("Смирнова Анна Петровна", user=ADMIN)
    assert "Добавить урок?" in school.tester.last_text(ADMIN)
    assert len(await _lessons_of(school, "7А", MONDAY)) == 6  # not yet

    await school.tester.click("✅ Добавить урок", user=ADMIN)
    extra = await _at(school, "7А", MONDAY, 6)
    assert extra.origin == LessonOrigin.EXTRA and extra.teacher_id == smirnova
    assert "6. Математика — Смирнова А.П." in school.tester.last_text(ADMIN)
    assert not _alerts(school)


async def test_forged_presses_by_a_teacher_a_parent_or_the_director_change_nothing(
    school: ImportedSchool,
):
    await school.link(TEACHER, PersonRole.TEACHER, "T-004")
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    await school.link(DIRECTOR, PersonRole.DIRECTOR, "T-002")
    today = school.clock.today()
    lesson = await _at(school, "7А", today, 3)
    cls = lesson.class_id
    sokolova = await school.person_id(PersonRole.STAFF, "T-008")
    maths = lesson.subject_id
    before = await _lessons_of(school, "7А", MONDAY)

    await school.tester.send("/admin", user=DIRECTOR)
    assert "🗓 Уроки и замены" not in str(school.tester.keyboard(DIRECTOR))
    presses = [
        AdminCb(menu="les"),
        DayCb(day=today.toordinal()),
        ClassDayCb(cls=cls, day=today.toordinal()),
        LessonAdminCb(lesson=lesson.id),  # type: ignore[arg-type]
        SubstituteCb(lesson=lesson.id, staff=sokolova),  # type: ignore[arg-type]
        LessonAdminCb(lesson=lesson.id, act="go"),  # type: ignore[arg-type]
        LessonAdminCb(lesson=lesson.id, act="rs"),  # type: ignore[arg-type]
        MoveCb(lesson=lesson.id, day=MONDAY.toordinal(), slot=5, go=True),  # type: ignore[arg-type]
        ExtraCb(cls=cls, day=MONDAY.toordinal()),
        ExtraTeacherCb(
            cls=cls, day=MONDAY.toordinal(), slot=5, subject=maths, teacher=sokolova, go=True
        ),
    ]
    for user in (TEACHER, MOTHER, DIRECTOR):
        for data in presses:
            answered = _answers(school)
            await school.tester.click(data, user=user, forged=True)
            assert _answers(school) == answered + 1
            assert "нет доступа" in _alerts(school)[-1], (user, data)

    after = await _lesson(school, lesson.id)  # type: ignore[arg-type]
    assert after.substitute_id is None and after.status == LessonStatus.PLANNED
    assert [(x.id, x.status) for x in await _lessons_of(school, "7А", MONDAY)] == [
        (x.id, x.status) for x in before
    ]
