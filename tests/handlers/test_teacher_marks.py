"""Marks through the real dispatcher on a fixed clock: work type → student → value with a
comment, /mark, corrections with a reason, period marks in their window, and the refusals."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiogram.methods import AnswerCallbackQuery

from app.keyboards import LessonCb, MarkCb
from core import model as m
from tests.core.conftest import TODAY, TZ
from tests.handlers.conftest import World
from tests.support.recording import button_texts


def alert(w: World) -> str:
    answers = w.tester.session.calls(AnswerCallbackQuery)
    return answers[-1].text or "" if answers else ""


async def marks_of(w: World, lesson_id: int) -> list[tuple[int, m.MarkValue, int, str]]:
    async with w.store.uow(readonly=True) as uow:
        return [
            (x.student_id, x.value, x.work_type_id, x.comment)
            for x in await uow.marks.for_lesson(lesson_id)
        ]


async def open_marks(w: World, lesson_id: int) -> None:
    await w.tester.click(LessonCb(lesson=lesson_id), user=w.teacher, forged=True)
    await w.tester.click("📝 Отметки", user=w.teacher)


async def test_work_type_then_student_then_value(world: World) -> None:
    w = world
    await open_marks(w, w.s.lesson_today.id)
    assert set(button_texts(w.tester.keyboard(w.teacher))) >= {
        "У · вес 1",
        "КР · вес 2",
        "Д · вес 0,5",
    }
    await w.tester.click("КР · вес 2", user=w.teacher)
    assert "нажмите на ученика, затем на отметку" in w.tester.last_text(w.teacher)
    await w.tester.click("Иванов П.", user=w.teacher)
    values = button_texts(w.tester.keyboard(w.teacher))
    assert values[:9] == ["5", "4", "3", "2", "1", "зач", "незач", "н/а", "осв"]
    await w.tester.click("5", user=w.teacher)
    assert alert(w) == "Сохранено: Иванов П. — 5"
    assert await marks_of(w, w.s.lesson_today.id) == [
        (w.s.ivanov.id, m.MarkValue.FIVE, w.s.test.id, "")
    ]
    assert "Иванов П. · 5" in button_texts(w.tester.keyboard(w.teacher))  # back at the list
    assert w.store.outbox[-1].name == "mark.given"


async def test_a_comment_is_sent_before_the_value(world: World) -> None:
    w = world
    await open_marks(w, w.s.lesson_today.id)
    await w.tester.click("У · вес 1", user=w.teacher)
    await w.tester.click("Петрова А.", user=w.teacher)
    await w.tester.send("  молодец, у доски  ", user=w.teacher)
    assert "Комментарий: молодец, у доски" in w.tester.last_text(w.teacher)
    await w.tester.click("4", user=w.teacher)
    assert await marks_of(w, w.s.lesson_today.id) == [
        (w.s.petrova.id, m.MarkValue.FOUR, w.s.oral.id, "молодец, у доски")
    ]
    # the comment was for that mark only
    await w.tester.click("Иванов П.", user=w.teacher)
    await w.tester.click("зач", user=w.teacher)
    assert (await marks_of(w, w.s.lesson_today.id))[-1] == (
        w.s.ivanov.id,
        m.MarkValue.PASS,
        w.s.oral.id,
        "",
    )


async def test_marks_are_refused_by_the_rules_with_the_reason(world: World) -> None:
    w = world
    s = w.s
    async with w.store.uow() as uow:
        old = await uow.lessons.add(
            m.Lesson(s.c7.id, TODAY - timedelta(days=3), 3, s.maths.id, s.teacher.id)
        )
        await uow.commit()
    cases = [
        (old.id, s.oral.id, "можно было выставить до"),  # oral: within a day
        (s.lesson_tomorrow.id, s.oral.id, "ещё не прошёл"),  # no marks ahead
        (s.lesson_1a_today.id, s.oral.id, "В первом классе отметки не ставятся"),
        (s.lesson_q1.id, s.test.id, "можно было выставить до"),
    ]
    for lesson, wt, reason in cases:
        student = s.first_grader.id if lesson == s.lesson_1a_today.id else s.ivanov.id
        await w.tester.click(
            MarkCb(lesson=lesson, wt=wt, student=student, value="5"), user=w.teacher, forged=True
        )
        assert reason in alert(w), (lesson, alert(w))
    # a written work three days later is still in time (grades 2-9: five days)
    await w.tester.click(
        MarkCb(lesson=old.id, wt=s.test.id, student=s.ivanov.id, value="3"),
        user=w.teacher,
        forged=True,
    )
    assert await marks_of(w, old.id) == [(s.ivanov.id, m.MarkValue.THREE, s.test.id, "")]
    # the first grade's card offers no marks at all
    await w.tester.click(LessonCb(lesson=s.lesson_1a_today.id), user=w.teacher, forged=True)
    assert "📝 Отметки" not in button_texts(w.tester.keyboard(w.teacher))


async def test_mark_command_gives_marks_of_one_work_type(world: World) -> None:
    w = world
    await w.tester.send("/mark 7а кр Иванов 5, петрова: н/а", user=w.teacher)
    text = w.tester.last_text(w.teacher)
    assert "Отметки сохранены, КР · вес 2" in text and "Петрова А. — <b>н/а</b>" in text
    assert sorted(await marks_of(w, w.s.lesson_today.id)) == sorted(
        [
            (w.s.ivanov.id, m.MarkValue.FIVE, w.s.test.id, ""),
            (w.s.petrova.id, m.MarkValue.NOT_ASSESSED, w.s.test.id, ""),
        ]
    )


async def test_mark_command_refusals_save_nothing(world: World) -> None:
    w = world
    cases = [
        ("/mark 7А Иванов 5", "Укажите вид работы"),
        ("/mark 7А КР Иванов", "У «Иванов» нет отметки"),
        ("/mark 7А КР Иванов 6", "После «Иванов» нужна отметка"),
        ("/mark 7А ЛР Иванов 5", "нет вида работы «ЛР». Используйте один из этих: У, КР, Д"),
        ("/mark 7А КР Иванов 5 Сидоров 4", "Нет в списке (7А · Математика): Сидоров"),
        ("/mark 7А КР Иванов 5 Иванов 4", "назван дважды"),
        ("/mark 1А У Соколов 5", "В первом классе отметки не ставятся"),
        ("/mark 10А У Новикова 5", "Урок в 10:25 ещё не начался"),  # lesson 3, not yet
    ]
    for command, reason in cases:
        await w.tester.send(command, user=w.teacher)
        assert reason in w.tester.last_text(w.teacher), (command, w.tester.last_text(w.teacher))
    async with w.store.uow(readonly=True) as uow:
        marks = await uow.marks.list_all()
    assert len(marks) == 5  # the seeded ones only


async def test_mark_command_asks_the_lesson_and_the_student_when_ambiguous(world: World) -> None:
    w = world
    s = w.s
    async with w.store.uow() as uow:
        reading = await uow.lessons.add(m.Lesson(s.c7.id, TODAY, 1, s.reading.id, s.teacher.id))
        await uow.teachings.add(m.Teaching(s.teacher.id, s.reading.id, s.c7.id))
        alex = await uow.students.add(m.Student("Иванов", "Алексей", s.c7.id))
        await uow.commit()
    await w.tester.send("/mark 7А У Иванов 4 Петрова 5", user=w.teacher)
    assert "несколько уроков в 7А" in w.tester.last_text(w.teacher)
    assert button_texts(w.tester.keyboard(w.teacher)) == [
        "1. Литературное чтение · 18 нояб.",
        "2. Математика · 18 нояб.",
        "Отмена",
    ]
    await w.tester.click("1. Литературное чтение · 18 нояб.", user=w.teacher)
    assert "несколько «Иванов»" in w.tester.last_text(w.teacher)
    assert "Кому поставить 4?" in w.tester.last_text(w.teacher)
    assert await marks_of(w, reading.id) == []
    await w.tester.click("Иванов Алексей", user=w.teacher)
    assert sorted(await marks_of(w, reading.id)) == sorted(
        [
            (alex.id, m.MarkValue.FOUR, s.oral.id, ""),
            (s.petrova.id, m.MarkValue.FIVE, s.oral.id, ""),
        ]
    )
    # the question is answered: pressing it again is out of date
    await w.tester.click(f"pk1:{reading.id}:{s.ivanov.id}", user=w.teacher, forged=True)
    assert "устарел" in alert(w)


async def test_correction_with_a_reason_keeps_the_history(world: World) -> None:
    w = world
    s = w.s
    await w.tester.send("/mark 7А У Иванов 3", user=w.teacher)
    await open_marks(w, s.lesson_today.id)
    await w.tester.click("✏️ Исправить отметку", user=w.teacher)
    await w.tester.click("Иванов П. · 3 У", user=w.teacher)
    assert "• 3 •" in button_texts(w.tester.keyboard(w.teacher))
    await w.tester.click("4", user=w.teacher)
    assert "Напишите причину исправления" in w.tester.last_text(w.teacher)
    await w.tester.send("ошибка при вводе", user=w.teacher)
    assert "Исправлено: Иванов П., 3 → 4" in w.tester.last_text(w.teacher)
    async with w.store.uow(readonly=True) as uow:
        history = [
            x for x in await uow.marks.history(s.ivanov.id) if x.lesson_id == s.lesson_today.id
        ]
        audit = await uow.audit.for_student(s.ivanov.id)
    assert [(x.value, x.current) for x in history] == [
        (m.MarkValue.THREE, False),
        (m.MarkValue.FOUR, True),
    ]
    assert (audit[-1].action, audit[-1].before, audit[-1].after, audit[-1].reason) == (
        "mark.correct",
        "3",
        "4",
        "ошибка при вводе",
    )
    # removing, also with a reason
    await open_marks(w, s.lesson_today.id)
    await w.tester.click("✏️ Исправить отметку", user=w.teacher)
    await w.tester.click("Иванов П. · 4 У", user=w.teacher)
    await w.tester.click("🗑 Удалить отметку", user=w.teacher)
    await w.tester.send("поставлена не тому ученику", user=w.teacher)
    assert await marks_of(w, s.lesson_today.id) == []
    # after seven days the author may no longer correct: nothing is offered
    await w.tester.send("/mark 7А У Петрова 2", user=w.teacher)
    w.clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=TZ))
    await open_marks(w, s.lesson_today.id)
    assert "✏️ Исправить отметку" not in button_texts(w.tester.keyboard(w.teacher))


async def test_period_marks_are_proposed_and_confirmed_in_their_window(world: World) -> None:
    w = world
    s = w.s
    await w.tester.click(LessonCb(lesson=s.lesson_today.id), user=w.teacher, forged=True)
    assert "🏁 Четвертные" not in button_texts(w.tester.keyboard(w.teacher))
    for work, value in (("У", "5"), ("КР", "5"), ("Д", "4")):  # one mark of a work a lesson
        await w.tester.send(f"/mark 7А {work} Петрова {value}", user=w.teacher)
    w.clock.set(datetime(2026, 12, 21, 10, 0, tzinfo=TZ))
    await w.tester.click(LessonCb(lesson=s.lesson_today.id), user=w.teacher, forged=True)
    await w.tester.click("🏁 Четвертные", user=w.teacher)
    text = w.tester.last_text(w.teacher)
    assert "II четверть: выставляются с 14 декабря по 30 декабря" in text
    # Петрова: 2 У from the seed, then 5 У, 5 КР (weight 2), 4 Д (weight ½): 19 / 4.5
    assert "Петрова А. — средний 4,22 → предлагается 4" in text
    buttons = button_texts(w.tester.keyboard(w.teacher))
    assert "Петрова А. · 4?" in buttons and "✅ Подтвердить предложенные (1)" in buttons
    # Иванов has two marks, too few for a proposal: the teacher decides
    assert "Иванов П. — средний 4,33 · мало отметок" in text
    await w.tester.click("Иванов П. · —", user=w.teacher)
    assert not any(b.startswith("•") for b in button_texts(w.tester.keyboard(w.teacher)))
    await w.tester.click("5", user=w.teacher)
    await w.tester.click("Петрова А. · 4?", user=w.teacher)
    assert "• 4 •" in button_texts(w.tester.keyboard(w.teacher))  # the proposal, to confirm
    await w.tester.click("« Назад", user=w.teacher)
    await w.tester.click("✅ Подтвердить предложенные (1)", user=w.teacher)
    assert "Выставить 1 предложенную отметку?" in w.tester.last_text(w.teacher)
    await w.tester.click("✅ Выставить (1)", user=w.teacher)
    async with w.store.uow(readonly=True) as uow:
        finals = await uow.finals.for_students([s.ivanov.id, s.petrova.id], s.year.id, s.maths.id)
    assert sorted((f.student_id, f.value) for f in finals if f.period_id == s.q2.id) == sorted(
        [(s.ivanov.id, m.MarkValue.FIVE), (s.petrova.id, m.MarkValue.FOUR)]
    )
    assert "Петрова А. · ✓ 4" in button_texts(w.tester.keyboard(w.teacher))
    # after the window: refused, with the dates
    w.clock.set(datetime(2027, 1, 2, 10, 0, tzinfo=TZ))
    await w.tester.click("Петрова А. · ✓ 4", user=w.teacher)
    assert "с 14 декабря по 30 декабря" in alert(w)


async def test_the_english_teacher_gives_marks_to_the_subgroup_only(world: World) -> None:
    w = world
    s = w.s
    from tests.support import TgUser

    english = TgUser(2010, "Олег")
    await w.link(english, m.PersonRole.TEACHER, s.english_teacher.id)
    w.clock.set(datetime(2026, 11, 18, 12, 0, tzinfo=TZ))
    await w.tester.send("/mark 7А У Иванов 5 Петрова 4", user=english)
    assert "Нет в списке (7А · Английский язык (гр. 1)): Петрова" in w.tester.last_text(english)
    await w.tester.send("/mark 7А У Иванов 5", user=english)
    assert await marks_of(w, s.english_today.id) == [(s.ivanov.id, m.MarkValue.FIVE, s.oral.id, "")]
    assert date(2026, 11, 18) == s.english_today.day
