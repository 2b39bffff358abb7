"""The subject teacher's lesson on a school that came in through its own files (#15, items 6-8
and 10): attendance and marks wait for the lesson to begin and go to the lesson the teacher
means; an absent pupil gets no mark; a keyboard knows what it was made for, so the buttons of
an older message of the same lesson write nothing; a second mark of the same work is a
correction, asked first; «all present» over a taken roll and the proposed period marks ask
before they change many records and tell the parents, and a question answered once is closed.

Monday 7 December 2026: Смирнова (T-004) teaches 7А maths third, at 10:30."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aiogram.methods import AnswerCallbackQuery
from aiogram.types import Message

from app.keyboards import FinalCb, LessonCb, MarkCb, RollCb
from core.access import SYSTEM
from core.model import AttendanceKind, Mark, MarkValue, PersonRole
from core.school_admin import SchoolAdminService
from tests.support import TgUser, callback
from tests.support.school import TZ, ImportedSchool

TEACHER = TgUser(7001, "Анна")  # T-004: maths, class teacher of 7А
MOTHER = TgUser(7002, "Ольга")  # U-101: Иванов Пётр (7А), Волкова София (5А)
MONDAY = date(2026, 12, 7)


def at(hour: int, minute: int, day: date = MONDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def alerts(school: ImportedSchool) -> list[str]:
    calls = school.tester.session.calls(AnswerCallbackQuery)
    return [c.text or "" for c in calls if c.show_alert]


def buttons(school: ImportedSchool) -> list[str]:
    return [text for row in school.tester.keyboard(TEACHER) for text, _data in row]


def newest_keyboard(school: ImportedSchool) -> dict[str, Any]:
    """The newest message with an inline keyboard in the teacher's chat, as it is now."""
    found = [
        message
        for (chat, _id), message in school.tester.session.messages.items()
        if chat == TEACHER.id and message.get("reply_markup")
    ]
    return dict(found[-1])


async def press_on(school: ImportedSchool, message: dict[str, Any], text: str) -> None:
    """Press the button ``text`` of that very message, however old it is."""
    rows = message["reply_markup"]["inline_keyboard"]
    (data,) = [b["callback_data"] for row in rows for b in row if b["text"] == text]
    update = callback(data, user=TEACHER, message=Message.model_validate(message))
    await school.tester.feed(update)


async def students(school: ImportedSchool) -> dict[str, int]:
    return {
        name: await school.person_id(PersonRole.STUDENT, code)
        for name, code in (("Иванов", "K-01"), ("Петрова", "K-02"), ("Сидоров", "K-03"))
    }


async def maths_7a(school: ImportedSchool, day: date = MONDAY) -> int:
    """Смирнова's maths lesson with 7А that day (made from the timetable)."""
    await SchoolAdminService(school.database.uow, school.clock).make_lessons(SYSTEM, day, day)
    teacher = await school.person_id(PersonRole.STAFF, "T-004")
    async with school.database.uow(readonly=True) as uow:
        lessons = await uow.lessons.for_teacher(teacher, day, day)
        classes = {c.id: c for c in await uow.classes.list_all()}
    (lesson,) = [x for x in lessons if classes[x.class_id].grade == 7]
    return lesson.id  # type: ignore[return-value]


async def begin(school: ImportedSchool, hour: int = 10, minute: int = 0) -> int:
    school.clock.set(at(hour, minute))
    lesson = await maths_7a(school)
    await school.link(TEACHER, PersonRole.TEACHER, "T-004")
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    return lesson


async def attendance(school: ImportedSchool, lesson: int) -> dict[int, AttendanceKind]:
    async with school.database.uow(readonly=True) as uow:
        return {r.student_id: r.kind for r in await uow.attendance.for_lesson(lesson)}


async def marks(school: ImportedSchool, lesson: int) -> list[tuple[int, str, str]]:
    """The lesson's current marks: (student, value, comment)."""
    async with school.database.uow(readonly=True) as uow:
        return sorted(
            (x.student_id, x.value.value, x.comment) for x in await uow.marks.for_lesson(lesson)
        )


async def deliveries(school: ImportedSchool, kind: str) -> int:
    async with school.database.uow(readonly=True) as uow:
        return sum(1 for r in await uow.deliveries.list_all() if r.kind == kind)


# -- item 6 and 10: the lesson a command means, and a lesson that has not begun -----------------


async def test_att_and_mark_before_the_lesson_begins_are_refused_and_say_when(
    school: ImportedSchool,
) -> None:
    lesson = await begin(school, 10, 0)
    await school.tester.send("/att 7А Иванов", user=TEACHER)
    text = school.tester.last_text(TEACHER) or ""
    assert "Урок в 10:30 ещё не начался" in text, text
    assert await attendance(school, lesson) == {}
    assert await deliveries(school, "absence") == 0  # no «отсутствует» at 10:00

    # the last lesson with 7А was on Friday: an oral mark for it is late, but the teacher
    # means today's lesson, which has not begun yet
    await school.tester.send("/mark 7А У Петрова 5", user=TEACHER)
    text = school.tester.last_text(TEACHER) or ""
    assert "Урок в 10:30 ещё не начался" in text, text
    assert "можно было выставить" not in text
    assert await marks(school, lesson) == []

    # the card: no roll call yet, and it says from when; a forged tap is refused
    await school.tester.send("/today", user=TEACHER)
    await school.tester.click("3. 10:30 7А Математика", user=TEACHER)
    assert "✅ Все на месте" not in buttons(school) and "📝 Отметки" not in buttons(school)
    assert "с начала урока, в 10:30" in (school.tester.last_text(TEACHER) or "")
    ids = await students(school)
    await school.tester.click(
        RollCb(lesson=lesson, student=ids["Иванов"]), user=TEACHER, forged=True
    )
    assert "ещё не начался" in alerts(school)[-1]
    assert await attendance(school, lesson) == {}

    # once it has begun, the same commands go to it
    school.clock.set(at(10, 35))
    await school.tester.send("/att 7А Иванов", user=TEACHER)
    assert "Отмечены отсутствующими: Иванов П." in (school.tester.last_text(TEACHER) or "")
    assert await attendance(school, lesson) == {ids["Иванов"]: AttendanceKind.ABSENT}
    await school.tester.send("/mark 7А У Петрова 5", user=TEACHER)
    assert "Петрова А. — <b>5</b>" in (school.tester.last_text(TEACHER) or "")
    assert await marks(school, lesson) == [(ids["Петрова"], "5", "")]


async def test_an_absent_pupil_gets_no_mark(school: ImportedSchool) -> None:
    lesson = await begin(school, 10, 35)
    ids = await students(school)
    await school.tester.send("/att 7А Иванов", user=TEACHER)

    await school.tester.send("/mark 7А У Иванов 5 Петрова 4", user=TEACHER)
    text = school.tester.last_text(TEACHER) or ""
    assert "Отмечены отсутствующими на этом уроке" in text and "Иванов П." in text, text
    assert "Ничего не сохранено" in text
    assert await marks(school, lesson) == []

    # the card offers an absent pupil only «н/а» and «осв»
    await school.tester.click("Открыть урок", user=TEACHER)
    await school.tester.click("📝 Отметки", user=TEACHER)
    await school.tester.click("У · вес 1", user=TEACHER)
    await school.tester.click("❌ Иванов П.", user=TEACHER)
    assert "Отсутствует на этом уроке" in (school.tester.last_text(TEACHER) or "")
    assert buttons(school) == ["н/а", "осв", "« Назад"]
    # a forged «5» is refused by the core, with the reason
    oral = next(int(d.split(":")[2]) for row in school.tester.keyboard(TEACHER) for _, d in row)
    await school.tester.click(
        MarkCb(lesson=lesson, wt=oral, student=ids["Иванов"], value="5"), user=TEACHER, forged=True
    )
    assert "Отмечены отсутствующими на этом уроке" in alerts(school)[-1]
    assert await marks(school, lesson) == []
    await school.tester.click("н/а", user=TEACHER)
    assert await marks(school, lesson) == [(ids["Иванов"], "na", "")]


# -- item 7: a keyboard knows what it was made for ------------------------------------------------


async def test_the_buttons_of_an_older_message_of_the_lesson_write_nothing(
    school: ImportedSchool,
) -> None:
    lesson = await begin(school, 10, 35)
    ids = await students(school)
    await school.tester.click(LessonCb(lesson=lesson), user=TEACHER, forged=True)
    await school.tester.click("📝 Отметки", user=TEACHER)
    await school.tester.click("У · вес 1", user=TEACHER)
    await school.tester.click("Петрова А.", user=TEACHER)
    first = newest_keyboard(school)  # its 5…1
    await school.tester.send("у доски", user=TEACHER)  # the comment: the marks come again below
    assert "Комментарий: у доски" in (school.tester.last_text(TEACHER) or "")

    await press_on(school, first, "5")
    assert "устарели" in alerts(school)[-1]
    assert await marks(school, lesson) == []
    await school.tester.click("4", user=TEACHER)  # the newer message's buttons work
    assert await marks(school, lesson) == [(ids["Петрова"], "4", "у доски")]
    await press_on(school, first, "3")
    assert "устарели" in alerts(school)[-1]
    assert await marks(school, lesson) == [(ids["Петрова"], "4", "у доски")]

    # quick taps on the live card all count: present → absent → late
    await school.tester.click("« Виды работ", user=TEACHER)
    await school.tester.click("« К уроку", user=TEACHER)
    card = newest_keyboard(school)
    await press_on(school, card, "Сидоров М.")
    await press_on(school, card, "Сидоров М.")  # the same message, before it was redrawn
    assert await attendance(school, lesson) == {ids["Сидоров"]: AttendanceKind.LATE}
    # the card opened again in a new message: the old one is out of date
    await school.tester.send("/today", user=TEACHER)
    await school.tester.click("3. 10:30 7А Математика · ⏰1", user=TEACHER)
    await press_on(school, card, "Иванов П.")
    assert "устарели" in alerts(school)[-1]
    assert ids["Иванов"] not in await attendance(school, lesson)
    # navigation on the old message still works, and makes it the live one again
    await press_on(school, card, "📝 Отметки")
    assert "Выберите вид работы" in (school.tester.last_text(TEACHER) or "")


async def test_a_second_mark_of_the_same_work_asks_to_replace_it(school: ImportedSchool) -> None:
    lesson = await begin(school, 10, 35)
    ids = await students(school)
    await school.tester.send("/mark 7А У Петрова 4", user=TEACHER)
    await school.tester.click("Открыть урок", user=TEACHER)
    await school.tester.click("📝 Отметки", user=TEACHER)
    await school.tester.click("У · вес 1", user=TEACHER)
    await school.tester.click("Петрова А. · 4", user=TEACHER)
    await school.tester.click("3", user=TEACHER)
    text = school.tester.last_text(TEACHER) or ""
    assert "уже стоит 4" in text and "Заменить на 3?" in text, text
    assert await marks(school, lesson) == [(ids["Петрова"], "4", "")]
    await school.tester.click("✏️ Заменить на 3", user=TEACHER)
    text = school.tester.last_text(TEACHER) or ""
    assert "Петрова Алёна: 4 → 3" in text and "увидят родители" in text, text
    await school.tester.send("перепутала отметку", user=TEACHER)
    assert "Исправлено: Петрова А., 4 → 3" in (school.tester.last_text(TEACHER) or "")
    assert await marks(school, lesson) == [(ids["Петрова"], "3", "")]
    # by /mark: refused, and it says where to correct
    await school.tester.send("/mark 7А У Петрова 5", user=TEACHER)
    text = school.tester.last_text(TEACHER) or ""
    assert "Уже есть отметка за этот вид работы на этом уроке: Петрова А." in text, text
    assert "«✏️ Исправить отметку»" in text and "Ничего не сохранено" in text
    assert await marks(school, lesson) == [(ids["Петрова"], "3", "")]
    # removing a mark is rendered in Russian too
    await school.tester.click("Открыть урок", user=TEACHER)
    await school.tester.click("📝 Отметки", user=TEACHER)
    await school.tester.click("✏️ Исправить отметку", user=TEACHER)
    await school.tester.click("Петрова А. · 3 У", user=TEACHER)
    await school.tester.click("🗑 Удалить отметку", user=TEACHER)
    assert "3 → удалена" in (school.tester.last_text(TEACHER) or "")


# -- item 8: one tap, many changes: asked first, and a question answered once is closed ------------


async def test_all_present_over_a_taken_roll_asks_first(school: ImportedSchool) -> None:
    lesson = await begin(school, 10, 35)
    await school.tester.click(LessonCb(lesson=lesson), user=TEACHER, forged=True)
    for name, taps in (("Иванов П.", 1), ("Петрова А.", 1), ("Сидоров М.", 2)):
        for _ in range(taps):
            await school.tester.click(name if _ == 0 else f"❌ {name}", user=TEACHER)
    taken = await attendance(school, lesson)
    assert sorted(taken.values()) == ["absent", "absent", "late"]

    await school.tester.click("✅ Все на месте", user=TEACHER)
    text = school.tester.last_text(TEACHER) or ""
    assert "Отметить всех присутствующими?" in text, text
    assert "Отсутствуют: Иванов П., Петрова А." in text and "Опоздали: Сидоров М." in text
    assert await attendance(school, lesson) == taken  # nothing yet
    question = newest_keyboard(school)
    await school.tester.click("« К уроку", user=TEACHER)  # changed her mind
    assert await attendance(school, lesson) == taken
    await press_on(school, question, "✅ Да, все на месте")  # the closed question
    assert "Этот вопрос уже закрыт" in alerts(school)[-1]
    assert await attendance(school, lesson) == taken

    await school.tester.click("✅ Все на месте", user=TEACHER)
    question = newest_keyboard(school)
    await school.tester.click("✅ Да, все на месте", user=TEACHER)
    assert await attendance(school, lesson) == {}
    assert "Присутствуют 4 из 4" in (school.tester.last_text(TEACHER) or "")
    await press_on(school, question, "✅ Да, все на месте")  # a second press
    assert "Этот вопрос уже закрыт" in alerts(school)[-1]
    # a roll with nobody marked: nothing to lose, no question
    await school.tester.click("Иванов П.", user=TEACHER)
    await school.tester.click("❌ Иванов П.", user=TEACHER)
    await school.tester.click("⏰ Иванов П.", user=TEACHER)
    await school.tester.click("✅ Все на месте", user=TEACHER)
    assert "Присутствуют 4 из 4" in (school.tester.last_text(TEACHER) or "")


async def test_confirming_the_proposed_period_marks_asks_with_the_count(
    school: ImportedSchool,
) -> None:
    day = date(2026, 12, 21)  # Monday, inside the second quarter's window for period marks
    school.clock.set(at(10, 35, day))
    lesson = await maths_7a(school, day)
    await school.link(TEACHER, PersonRole.TEACHER, "T-004")
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    ids = await students(school)
    teacher = await school.person_id(PersonRole.STAFF, "T-004")
    async with school.database.uow() as uow:
        oral = next(w for w in await uow.work_types.list_all() if w.short == "У")
        found = await uow.lessons.get(lesson)
        assert found is not None
        for value in ("5", "5", "4"):
            for name in ("Иванов", "Петрова"):
                await uow.marks.add(
                    Mark(
                        lesson,
                        ids[name],
                        found.subject_id,
                        day,
                        MarkValue(value),
                        oral.id,  # type: ignore[arg-type]
                        teacher,
                        at(10, 40, day),
                    )
                )
        await uow.commit()
    await school.tester.click(LessonCb(lesson=lesson), user=TEACHER, forged=True)
    await school.tester.click("🏁 Четвертные", user=TEACHER)
    await school.tester.click("✅ Подтвердить предложенные (2)", user=TEACHER)
    text = school.tester.last_text(TEACHER) or ""
    assert "Выставить 2 предложенные отметки" in text and "увидят их сразу" in text, text
    assert "Иванов П. — 5" in text and "Петрова А. — 5" in text
    question = newest_keyboard(school)

    async def finals() -> list[tuple[int, str]]:
        async with school.database.uow(readonly=True) as uow:
            return sorted(
                (f.student_id, f.value.value)
                for f in await uow.finals.list_all()
                if f.superseded_at is None
            )

    assert await finals() == []
    await school.tester.click("✅ Выставить (2)", user=TEACHER)
    assert await finals() == sorted([(ids["Иванов"], "5"), (ids["Петрова"], "5")])
    pushes = await deliveries(school, "final")
    await press_on(school, question, "✅ Выставить (2)")  # a second press
    assert "Этот вопрос уже закрыт" in alerts(school)[-1]
    assert await deliveries(school, "final") == pushes
    # forged: «all» only ever asks, it never writes
    async with school.database.uow(readonly=True) as uow:
        (period,) = [p.id for p in await uow.periods.list_all() if p.number == 2]
    await school.tester.click(
        FinalCb(lesson=lesson, period=period, subject=found.subject_id, value="all"),
        user=TEACHER,
        forged=True,
    )
    assert "Выставить" not in (school.tester.last_text(TEACHER) or "")  # nothing left to set
    assert await deliveries(school, "final") == pushes


# -- the figures for the closing note, on a class of 30 -----------------------------------------

SURNAMES = [
    "Абрамов", "Белова", "Васильев", "Григорьева", "Давыдов", "Егорова", "Жуков", "Зайцева",
    "Ильин", "Казакова", "Лебедев", "Макарова", "Никитин", "Орлова", "Павлов", "Романова",
    "Семёнов", "Тихонова", "Ульянов", "Фёдорова", "Харитонов", "Цветкова", "Чернов", "Шилова",
    "Щукин", "Юдин",
]  # fmt: skip


async def test_taps_for_a_roll_call_of_30_marks_for_3_and_a_correction(
    school: ImportedSchool,
) -> None:
    for i, surname in enumerate(SURNAMES):
        group = "Англ. 1" if i % 2 else "Англ. 2"
        school.files.students.append([f"K-5{i:02d}", "7А", surname, "Иван", "Петрович", group])
    assert (await school.import_roster()).applied
    lesson = await begin(school, 10, 35)
    ids = await students(school)

    # the roll call: 2 absent, 1 late
    taps = 0
    await school.tester.send("/today", user=TEACHER)  # or the menu's «📋 Уроки»
    taps += 1
    await school.tester.click("3. 10:30 7А Математика", user=TEACHER)
    taps += 1
    assert "Присутствуют 30 из 30" in (school.tester.last_text(TEACHER) or "")
    for name in ("Иванов П.", "Петрова А.", "Сидоров М.", "❌ Сидоров М."):
        await school.tester.click(name, user=TEACHER)
        taps += 1
    assert taps == 6
    text = school.tester.last_text(TEACHER) or ""
    assert "Присутствуют 28 из 30 · отсутствуют: 2 · опоздали: 1" in text, text

    # marks for three pupils, from the card
    taps = 0
    for button in ("📝 Отметки", "У · вес 1"):
        await school.tester.click(button, user=TEACHER)
        taps += 1
    for name, value in (("Абрамов И.", "5"), ("Белова И.", "4"), ("❌ Петрова А.", "н/а")):
        await school.tester.click(name, user=TEACHER)
        await school.tester.click(value, user=TEACHER)
        taps += 2
    assert taps == 8
    assert len(await marks(school, lesson)) == 3

    # a correction: 4 taps and the reason, typed
    taps = 0
    for button in ("« Виды работ", "✏️ Исправить отметку", "Белова И. · 4 У", "5"):
        await school.tester.click(button, user=TEACHER)
        taps += 1
    await school.tester.send("ошиблась строкой", user=TEACHER)
    assert taps == 4
    assert "Исправлено: Белова И., 4 → 5" in (school.tester.last_text(TEACHER) or "")
    assert ids["Петрова"] in {sid for sid, value, _ in await marks(school, lesson) if value == "na"}
    # the card counts what was given, from a capital letter
    async with school.database.uow() as uow:
        found = await uow.lessons.get(lesson)
        assert found is not None
        found.room = "Спортзал"  # a room with a name is no «каб.»
        await uow.commit()
    await school.tester.click("« К уроку", user=TEACHER)
    text = school.tester.last_text(TEACHER) or ""
    assert "Поставлено 3 отметки" in text, text
    assert "· Спортзал" in text and "каб. Спортзал" not in text
