"""The class teacher's /absences through the real dispatcher on a fixed clock: today's
absences with reasons, a reason per absence or for a whole day, and the weekly check."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import AnswerCallbackQuery

from core import model as m
from tests.core.conftest import TODAY
from tests.handlers.conftest import World
from tests.support.recording import button_texts


def alert(w: World) -> str:
    answers = w.tester.session.calls(AnswerCallbackQuery)
    return answers[-1].text or "" if answers else ""


async def reasons(w: World, student_id: int) -> list[m.AbsenceReason | None]:
    async with w.store.uow(readonly=True) as uow:
        records = await uow.attendance.for_student(student_id, TODAY - timedelta(days=7), TODAY)
    return [
        r.reason
        for r in sorted(records, key=lambda r: (r.day, r.id))
        if r.kind == m.AttendanceKind.ABSENT
    ]


async def absent_today(w: World) -> None:
    """Иванов misses maths and English today; Петрова is late to maths."""
    s = w.s
    await w.services.journal.mark_absent(s.viewer(s.teacher), s.lesson_today.id, [s.ivanov.id])
    await w.services.journal.set_attendance(
        s.viewer(s.teacher), s.lesson_today.id, s.petrova.id, m.AttendanceKind.LATE, 7
    )
    w.clock.set(w.clock.now().replace(hour=11, minute=30))  # English, lesson 4, has begun
    await w.services.journal.mark_absent(
        s.viewer(s.english_teacher), s.english_today.id, [s.ivanov.id]
    )


async def test_today_shows_absences_and_a_letter_sets_the_whole_day(world: World) -> None:
    w = world
    await absent_today(w)
    await w.tester.send("🚫 Пропуски класса", user=w.class_teacher)
    text = w.tester.last_text(w.class_teacher)
    assert "Пропуски, 7А</b> · Сегодня, ср, 18 ноября" in text
    assert (
        "<b>Иванов Пётр</b>: 2. Математика — причина не указана; "
        "4. Английский язык — причина не указана" in text
    )
    assert "<b>Петрова Алёна</b>: 2. Математика — опоздание 7 мин" in text
    rows = w.tester.keyboard(w.class_teacher)
    assert [t for t, _ in rows[0]] == ["Иванов П.", "Б", "У", "Н"]  # Петрова was only late
    await w.tester.click(rows[0][1][1], user=w.class_teacher)  # Б for the whole day
    assert alert(w) == "Сохранено."
    assert await reasons(w, w.s.ivanov.id) == [m.AbsenceReason.SICK] * 3  # yesterday's too
    assert "2. Математика — по болезни; 4. Английский язык — по болезни" in w.tester.last_text(
        w.class_teacher
    )
    assert "•Б•" in button_texts(w.tester.keyboard(w.class_teacher))
    assert w.store.outbox[-1].name == "attendance.reason"


async def test_a_reason_for_one_lesson_and_the_weekly_check(world: World) -> None:
    w = world
    await absent_today(w)
    await w.tester.send("/absences", user=w.class_teacher)
    await w.tester.click("📅 Сверка за неделю", user=w.class_teacher)
    text = w.tester.last_text(w.class_teacher)
    assert "Сверка за неделю, 7А</b> · 16 ноября – 22 ноября" in text
    # yesterday's absence had its reason from the seed; today's two have none
    assert "Пропущено уроков: 3 · опозданий: 1" in text
    assert "по болезни — 1, причина не указана — 2" in text  # the diary's and pushes' words
    assert "ср, 18 ноября — Иванов Пётр: 2 урока" in text
    await w.tester.click("18 нояб. Иванов П.", user=w.class_teacher)
    rows = w.tester.keyboard(w.class_teacher)
    assert [t for t, _ in rows[0]] == ["2 Математика", "Б", "У", "Н"]
    assert [t for t, _ in rows[2]] == ["Весь день", "Б", "У", "Н"]
    await w.tester.click(rows[0][3][1], user=w.class_teacher)  # Н for maths only
    await w.tester.click(w.tester.keyboard(w.class_teacher)[1][2][1], user=w.class_teacher)  # У
    assert await reasons(w, w.s.ivanov.id) == [
        m.AbsenceReason.SICK,
        m.AbsenceReason.UNEXCUSED,
        m.AbsenceReason.EXCUSED,
    ]
    await w.tester.click("« Неделя", user=w.class_teacher)
    assert "У всех пропусков указана причина. ✓" in w.tester.last_text(w.class_teacher)
    # the change of a reason already set is audited
    async with w.store.uow(readonly=True) as uow:
        audit = await uow.audit.for_student(w.s.ivanov.id)
    assert [a.action for a in audit].count("attendance.reason") == 0  # first reasons: no change
    await w.tester.click("« День", user=w.class_teacher)
    await w.tester.click(w.tester.keyboard(w.class_teacher)[0][1][1], user=w.class_teacher)
    async with w.store.uow(readonly=True) as uow:
        audit = await uow.audit.for_student(w.s.ivanov.id)
    assert [a.action for a in audit].count("attendance.reason") == 2


async def test_only_the_class_teacher_sets_reasons(world: World) -> None:
    w = world
    await absent_today(w)
    await w.tester.send("/absences", user=w.teacher)
    assert "для классных руководителей" in w.tester.last_text(w.teacher)
    await w.tester.send("/absences", user=w.mother)
    assert "для классных руководителей" in w.tester.last_text(w.mother)
    day = TODAY.toordinal()
    for user in (w.teacher, w.mother, w.ivanov):
        await w.tester.click(f"ar1:{w.s.c7.id}:{w.s.ivanov.id}:{day}:s:d", user=user, forged=True)
        assert "нет доступа" in alert(w)
        await w.tester.click(f"ab1:{w.s.c7.id}:{day}:1", user=user, forged=True)
        assert "нет доступа" in alert(w)
    assert await reasons(w, w.s.ivanov.id) == [m.AbsenceReason.SICK, None, None]
    # a forged reason code or a student who was not absent
    await w.tester.click(
        f"ar1:{w.s.c7.id}:{w.s.ivanov.id}:{day}:x:d", user=w.class_teacher, forged=True
    )
    assert "устарела" in alert(w)
    await w.tester.click(
        f"ar1:{w.s.c7.id}:{w.s.petrova.id}:{day}:s:d", user=w.class_teacher, forged=True
    )
    assert "не отсутствовал" in alert(w)


async def test_days_navigate_and_a_quiet_day_says_so(world: World) -> None:
    w = world
    await w.tester.send("/absences", user=w.class_teacher)
    assert "Никто не отсутствовал и не опоздал." in w.tester.last_text(w.class_teacher)
    await w.tester.click("◀", user=w.class_teacher)
    text = w.tester.last_text(w.class_teacher)
    assert "Вторник, 17 ноября" in text and "2. Математика — по болезни" in text
    await w.tester.click("▶", user=w.class_teacher)
    await w.tester.click("▶", user=w.class_teacher)
    assert "Четверг, 19 ноября" in w.tester.last_text(w.class_teacher)
