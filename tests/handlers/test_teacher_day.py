"""The subject teacher's day through the real dispatcher, on a fixed clock (Wednesday
18 November 2026, 10:00, lesson 2 of maths in 7А is on): /today, the lesson card, the roll
call, /att, and every refusal."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram.methods import AnswerCallbackQuery

from app.commands import commands_for
from app.keyboards import (
    AbsDayCb,
    AbsOneCb,
    FinalCb,
    FixCb,
    LessonCb,
    MarkCb,
    PickCb,
    RollCb,
)
from core import model as m
from tests.core.conftest import TODAY, TZ
from tests.handlers.conftest import World
from tests.support import group_message
from tests.support.recording import button_texts

SURNAMES = [
    "Абрамов", "Белова", "Васильев", "Григорьева", "Давыдов", "Егорова", "Жуков", "Зайцева",
    "Ильин", "Казакова", "Лебедев", "Макарова", "Никитин", "Орлова", "Павлов", "Романова",
    "Семёнов", "Тихонова", "Ульянов", "Фёдорова", "Харитонов", "Цветкова", "Чернов", "Шилова",
    "Щукин", "Эльдарова", "Юдин", "Яковлева",
]  # fmt: skip


async def attendance(w: World, lesson_id: int) -> dict[int, m.AttendanceKind]:
    async with w.store.uow(readonly=True) as uow:
        return {r.student_id: r.kind for r in await uow.attendance.for_lesson(lesson_id)}


def alert(w: World) -> str:
    answers = w.tester.session.calls(AnswerCallbackQuery)
    return answers[-1].text or "" if answers else ""


async def test_a_roll_call_of_30_with_2_absent_takes_4_actions(world: World) -> None:
    w = world
    async with w.store.uow() as uow:
        for surname in SURNAMES:
            await uow.students.add(m.Student(surname, "Иван", w.s.c7.id))
        await uow.commit()
    actions = 0

    await w.tester.send("📋 Уроки", user=w.teacher)  # the menu button
    actions += 1
    await w.tester.click("2. 09:25 7А Математика", user=w.teacher)
    actions += 1
    assert "Присутствуют 30 из 30" in w.tester.last_text(w.teacher)
    names = button_texts(w.tester.keyboard(w.teacher))
    assert "Иванов П." in names and "Яковлева И." in names and len(names) > 30
    for name in ("Иванов П.", "Семёнов И."):
        await w.tester.click(name, user=w.teacher)
        actions += 1

    assert actions == 4
    text = w.tester.last_text(w.teacher)
    assert "Присутствуют 28 из 30 · отсутствуют: 2" in text
    assert "опоздали" not in text  # nobody late: no count of nobody
    assert "Отсутствуют: Иванов П., Семёнов И." in text
    kinds = await attendance(w, w.s.lesson_today.id)
    assert sorted(kinds.values()) == [m.AttendanceKind.ABSENT] * 2
    # saved at once: the class teacher sees both
    await w.tester.send("/absences", user=w.class_teacher)
    seen = w.tester.last_text(w.class_teacher)
    assert "Иванов Пётр" in seen and "Семёнов Иван" in seen


async def test_a_tap_cycles_present_absent_late_and_all_present_clears(world: World) -> None:
    w = world
    lesson, ivanov = w.s.lesson_today.id, w.s.ivanov.id
    await w.tester.click(LessonCb(lesson=lesson), user=w.teacher, forged=True)
    await w.tester.click("Иванов П.", user=w.teacher)
    assert (await attendance(w, lesson)) == {ivanov: m.AttendanceKind.ABSENT}
    await w.tester.click("❌ Иванов П.", user=w.teacher)
    assert (await attendance(w, lesson)) == {ivanov: m.AttendanceKind.LATE}
    assert "Опоздали: Иванов П." in w.tester.last_text(w.teacher)
    await w.tester.click("⏰ Иванов П.", user=w.teacher)
    assert (await attendance(w, lesson)) == {}
    await w.tester.click("Петрова А.", user=w.teacher)
    await w.tester.click("Иванов П.", user=w.teacher)
    await w.tester.click("✅ Все на месте", user=w.teacher)  # clears two absences: asked
    assert "Отметить всех присутствующими?" in w.tester.last_text(w.teacher)
    await w.tester.click("✅ Да, все на месте", user=w.teacher)
    assert (await attendance(w, lesson)) == {}
    assert "Присутствуют 2 из 2" in w.tester.last_text(w.teacher)


async def test_today_lists_my_lessons_and_days_navigate(world: World) -> None:
    w = world
    await w.tester.send("/today", user=w.teacher)
    text = w.tester.last_text(w.teacher)
    assert "Мои уроки</b> · Сегодня, ср, 18 ноября" in text
    assert "2. 09:25 <b>7А · Математика</b>" in text and "10А · Математика" in text
    await w.tester.click("▶", user=w.teacher)
    assert "Завтра, чт, 19 ноября" in w.tester.last_text(w.teacher)
    await w.tester.click("Сегодня", user=w.teacher)
    await w.tester.click("◀", user=w.teacher)
    text = w.tester.last_text(w.teacher)
    assert "Вторник, 17 ноября" in text and "7А · Математика" in text
    # yesterday's card, with its absence counted: no roll call any more, marks still
    await w.tester.click("2. 09:25 7А Математика · ❌1", user=w.teacher)
    buttons = button_texts(w.tester.keyboard(w.teacher))
    assert "✅ Все на месте" not in buttons and "📝 Отметки" in buttons
    assert "Присутствие отмечается в день урока." in w.tester.last_text(w.teacher)


async def test_substitute_takes_the_lesson_and_the_timetable_teacher_only_reads(
    world: World,
) -> None:
    w = world
    async with w.store.uow() as uow:
        (await uow.lessons.get(w.s.lesson_today.id)).substitute_id = w.s.other_teacher.id
        await uow.commit()
    await w.tester.send("/today", user=w.other_teacher)
    assert "7А · Математика</b> · замена" in w.tester.last_text(w.other_teacher)
    await w.tester.click("2. 09:25 7А Математика", user=w.other_teacher)
    assert "Вы ведёте урок вместо: Смирнова А.П." in w.tester.last_text(w.other_teacher)
    await w.tester.click("Петрова А.", user=w.other_teacher)
    assert (await attendance(w, w.s.lesson_today.id)) == {w.s.petrova.id: m.AttendanceKind.ABSENT}
    # the timetable's teacher: a forged tap is refused and changes nothing
    await w.tester.click(
        RollCb(lesson=w.s.lesson_today.id, student=w.s.ivanov.id), user=w.teacher, forged=True
    )
    assert "нет доступа" in alert(w)
    assert (await attendance(w, w.s.lesson_today.id)) == {w.s.petrova.id: m.AttendanceKind.ABSENT}


async def test_forged_taps_are_refused_with_the_reason_and_change_nothing(world: World) -> None:
    w = world
    s = w.s
    async with w.store.uow(readonly=True) as uow:
        (record,) = await uow.attendance.for_lesson(s.lesson_yesterday.id)
    cases = [
        (RollCb(lesson=s.lesson_today.id, student=s.ivanov.id), w.other_teacher, "нет доступа"),
        (RollCb(lesson=s.lesson_today.id, student=s.ivanov.id), w.ivanov, "нет доступа"),
        (RollCb(lesson=s.lesson_today.id, student=s.ivanov.id), w.mother, "нет доступа"),
        (RollCb(lesson=s.lesson_yesterday.id, student=s.ivanov.id), w.teacher,
         "только в день его проведения"),
        (RollCb(lesson=s.lesson_today.id, student=s.senior.id), w.teacher, "нет в списке"),
        (RollCb(lesson=999_999, student=s.ivanov.id), w.teacher, "Ничего не найдено"),
        (AbsDayCb(cls=s.c7.id, student=s.ivanov.id, day=s.lesson_q1.day.toordinal(), reason="s"),
         w.class_teacher, "закрыт"),
        (MarkCb(lesson=s.lesson_today.id, wt=s.oral.id, student=s.ivanov.id, value="5"),
         w.ivanov, "нет доступа"),
        (MarkCb(lesson=s.lesson_today.id, wt=s.oral.id, student=s.ivanov.id, value="9"),
         w.teacher, "устарела"),
        (FixCb(lesson=s.lesson_today.id, mark=1, value="4"), w.other_teacher, "нет доступа"),
        (FinalCb(lesson=s.lesson_today.id, period=s.q2.id, subject=s.maths.id, student=s.ivanov.id,
                 value="5"), w.teacher, "с 14 декабря по 30 декабря"),
        (AbsOneCb(record=record.id, reason="u", cls=s.c7.id, student=s.ivanov.id,
                  day=TODAY.toordinal()), w.teacher, "нет доступа"),
        (PickCb(lesson=s.lesson_today.id, student=s.ivanov.id), w.teacher, "устарел"),
    ]  # fmt: skip
    async with w.store.uow(readonly=True) as uow:
        before = (len(await uow.marks.list_all()), len(await uow.attendance.list_all()))
    events = len(w.store.outbox)
    for data, user, reason in cases:
        await w.tester.click(data, user=user, forged=True)
        assert reason in alert(w), (data, alert(w))
    async with w.store.uow(readonly=True) as uow:
        after = (len(await uow.marks.list_all()), len(await uow.attendance.list_all()))
    assert after == before
    assert len(w.store.outbox) == events


async def test_today_is_for_staff_and_private_chats(world: World) -> None:
    w = world
    await w.tester.send("/today", user=w.mother)
    assert "для учителей" in w.tester.last_text(w.mother)
    calls = await w.tester.feed(group_message("/att 7А Иванов", user=w.teacher))
    sent = [c for c in calls if getattr(c, "text", None)]
    assert len(sent) == 1 and "только в личном чате" in sent[0].text
    assert (await attendance(w, w.s.lesson_today.id)) == {}


async def test_att_marks_the_absent_in_my_current_lesson(world: World) -> None:
    w = world
    await w.tester.send("/att 7а иванов, ПЕТРОВА", user=w.teacher)
    text = w.tester.last_text(w.teacher)
    assert "Отмечены отсутствующими: Иванов П., Петрова А." in text
    assert "Сейчас отсутствуют: 2 из 2" in text
    assert (await attendance(w, w.s.lesson_today.id)) == {
        w.s.ivanov.id: m.AttendanceKind.ABSENT,
        w.s.petrova.id: m.AttendanceKind.ABSENT,
    }
    await w.tester.click("Открыть урок", user=w.teacher)
    assert "❌ Иванов П." in button_texts(w.tester.keyboard(w.teacher))


async def test_att_asks_back_an_ambiguous_name_and_never_guesses(world: World) -> None:
    w = world
    async with w.store.uow() as uow:
        alex = await uow.students.add(m.Student("Иванов", "Алексей", w.s.c7.id))
        yolkina = await uow.students.add(m.Student("Ёлкина", "Вера", w.s.c7.id))
        await uow.commit()
    await w.tester.send("/att 7А Иванов елкина", user=w.teacher)
    assert "несколько «Иванов»" in w.tester.last_text(w.teacher)
    assert (await attendance(w, w.s.lesson_today.id)) == {}  # nothing yet
    assert set(button_texts(w.tester.keyboard(w.teacher))) == {
        "Иванов Алексей",
        "Иванов Пётр",
        "Отмена",
    }
    await w.tester.click("Иванов Алексей", user=w.teacher)
    assert set(await attendance(w, w.s.lesson_today.id)) == {alex.id, yolkina.id}
    # an initial settles it at once
    await w.tester.send("/att 7А Иванов П.", user=w.teacher)
    assert w.s.ivanov.id in await attendance(w, w.s.lesson_today.id)


async def test_att_refusals_say_why_and_save_nothing(world: World) -> None:
    w = world
    cases = [
        ("/att", "Укажите класс и фамилии"),
        ("/att 7B Иванов", "напишите букву класса по-русски"),
        ("/att 7А", "Добавьте фамилии"),
        ("/att 7А Ив4нов", "«Ив4нов» — не фамилия"),
        ("/att 7А Иванов Сидоров", "Нет в списке (7А · Математика): Сидоров"),
        ("/att 9А Иванов", "нет класса 9А"),
        ("/att 10А Новикова", "Урок в 10:25 ещё не начался"),  # the next one: not yet
        ("/att 1А Соколов", None),  # grade 1: attendance only, and that is allowed
    ]
    for command, reason in cases:
        await w.tester.send(command, user=w.teacher)
        if reason is not None:
            text = w.tester.last_text(w.teacher)
            assert reason in text, (command, text)
            assert any(x in text for x in ("Ничего не сохранено", "нет класса", "не начался"))
    assert (await attendance(w, w.s.lesson_today.id)) == {}
    assert await attendance(w, w.s.lesson_10a_today.id) == {}
    w.clock.set(datetime(2026, 11, 18, 10, 30, tzinfo=TZ))  # lesson 3 has begun
    await w.tester.send("/att 10А Новикова", user=w.teacher)
    assert await attendance(w, w.s.lesson_10a_today.id) == {w.s.senior.id: m.AttendanceKind.ABSENT}
    w.clock.set(datetime(2026, 11, 20, 10, 0, tzinfo=TZ))  # Friday: no maths in 7А
    await w.tester.send("/att 7А Петрова", user=w.teacher)
    assert "У вас нет урока в 7А" in w.tester.last_text(w.teacher)


async def test_menu_commands_and_help_for_staff(world: World) -> None:
    w = world
    await w.tester.send("/start", user=w.class_teacher)
    assert ["📋 Уроки", "🚫 Пропуски класса"] in w.tester.reply_keyboard(w.class_teacher)
    await w.tester.send("/start", user=w.teacher)
    assert ["📋 Уроки"] in w.tester.reply_keyboard(w.teacher)
    teacher = await w.services.viewers.get("telegram", str(w.teacher.id), True)
    class_teacher = await w.services.viewers.get("telegram", str(w.class_teacher.id), True)
    assert {"today", "att", "mark"} <= {c for c, _ in commands_for(teacher)}
    assert "absences" not in {c for c, _ in commands_for(teacher)}
    assert "absences" in {c for c, _ in commands_for(class_teacher)}
    mother = await w.services.viewers.get("telegram", str(w.mother.id), True)
    assert "today" not in {c for c, _ in commands_for(mother)}
    await w.tester.send("/help", user=w.teacher)
    assert "/att 7А Иванов Петрова" in w.tester.last_text(w.teacher)


async def test_english_interface(world: World) -> None:
    w = world
    await w.tester.send("/settings", user=w.teacher)
    await w.tester.click("English", user=w.teacher)
    await w.tester.send("📋 My lessons", user=w.teacher)
    assert "My lessons</b> · Today, Wed, 18 November" in w.tester.last_text(w.teacher)
    await w.tester.click("2. 09:25 7А Математика", user=w.teacher)
    assert "Present 2 of 2" in w.tester.last_text(w.teacher)
    await w.tester.send("/att 7A Петров", user=w.teacher)
    assert "Not on the list of 7А · Математика: Петров." in w.tester.last_text(w.teacher)


def test_callback_data_fits_64_bytes() -> None:
    big = 2**31
    samples = [
        RollCb(lesson=big, student=big),
        MarkCb(lesson=big, wt=big, student=big, value="exempt"),
        FixCb(lesson=big, mark=big, value="exempt"),
        FinalCb(lesson=big, period=big, subject=big, student=big, value="exempt"),
        AbsOneCb(
            record=big,
            reason="u",
            cls=big,
            student=big,
            day=(TODAY + timedelta(days=1)).toordinal(),
        ),
    ]
    for data in samples:
        assert len(data.pack().encode()) <= 64, data
