"""What the family and the student see, on a school imported from its own files (#15 item 4
and the family's minors): a parent of two children (U-101: Иванов Пётр, 7А; Волкова София,
5А) reads marks, homework, progress and absences, gets pushes and writes to the school; one
parent reads in English."""

from __future__ import annotations

import re
import struct
from datetime import date

from aiogram.methods import AnswerCallbackQuery, SendPhoto

from app.admin_charts import absence_stack
from app.keyboards import AbsCb, DiaryCb, View
from core.access import SYSTEM
from core.model import AbsenceReason, AttendanceKind, DeliveryStatus, MarkValue, PersonRole
from core.school_admin import SchoolAdminService
from notifications import buttons as b
from notifications.jobs import Jobs
from notifications.render import Item, render
from tests.support import TgUser
from tests.support.school import THURSDAY, ImportedSchool

MOTHER = TgUser(7001, "Ольга")  # U-101: Иванов Пётр (7А) and Волкова София (5А)
FATHER = TgUser(7002, "Сергей")  # U-102: Петрова Алёна (7А), reads in English
CLASS_TEACHER = TgUser(7003, "Анна")  # T-004: maths, class teacher of 7А

MONDAY, TUESDAY, WEDNESDAY = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)
TODAY, FRIDAY, NEXT_MONDAY = THURSDAY.date(), date(2026, 12, 4), date(2026, 12, 7)

# The school's own work types: its own name for an oral answer.
WORK_TYPES = [
    ["Название", "Сокращение", "Вес", "Письменная"],
    ["Ответ у доски", "У", "1", "нет"],
    ["Контрольная работа", "КР", "2", "да"],
    ["Самостоятельная работа", "СР", "1,5", "да"],
]


async def _week(school: ImportedSchool) -> None:
    school.files.extra["work_types"] = WORK_TYPES
    report = await school.import_roster()
    assert report.applied, report.errors
    await SchoolAdminService(school.database.uow, school.clock).make_lessons(
        SYSTEM, MONDAY, NEXT_MONDAY
    )


async def _lesson(school: ImportedSchool, cls: str, day: date, slot: int) -> int:
    async with school.database.uow(readonly=True) as uow:
        (group,) = [c for c in await uow.classes.list_all() if c.name == cls]
        found = [x for x in await uow.lessons.for_class(group.id, day, day) if x.slot == slot]
    return found[0].id  # type: ignore[return-value]


async def _kind(school: ImportedSchool, short: str) -> int:
    async with school.database.uow(readonly=True) as uow:
        return next(w.id for w in await uow.work_types.list_all() if w.short == short)  # type: ignore[return-value]


async def _mark(
    school: ImportedSchool, day: date, slot: int, value: str, short: str, who: str = "K-01"
) -> int:
    student = await school.person_id(PersonRole.STUDENT, who)
    lesson = await _lesson(school, "7А", day, slot)
    mark = await school.services.journal.give_mark(
        SYSTEM, lesson, student, MarkValue(value), await _kind(school, short)
    )
    return mark.id  # type: ignore[return-value]


async def _pushes(school: ImportedSchool, user: TgUser, kind: str) -> list[Item]:
    async with school.database.uow(readonly=True) as uow:
        account = await uow.accounts.by_external("telegram", str(user.id))
        rows = await uow.deliveries.list_all()
    return [
        Item.parse(r.id, r.kind, r.payload, r.student_id, r.broadcast_id, r.role.value)
        for r in rows
        if r.account_id == account.id  # type: ignore[union-attr]
        and r.kind == kind
        and r.status == DeliveryStatus.PENDING
    ]


def _section(text: str, title: str) -> list[str]:
    lines = text.split("\n")
    start = lines.index(f"<b>{title}</b>") + 1
    end = lines.index("", start)
    return lines[start:end]


def _alerts(school: ImportedSchool) -> list[str]:
    return [c.text or "" for c in school.tester.session.calls(AnswerCallbackQuery) if c.show_alert]


# --- «Последние отметки» (item 4) ------------------------------------------------------------


async def test_latest_marks_go_by_the_works_date_and_a_correction_keeps_its_place(
    school: ImportedSchool,
) -> None:
    await _week(school)
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    # Entered in another order than the lessons were held: written works a few days late.
    await _mark(school, WEDNESDAY, 1, "5", "У")  # Математика
    test = await _mark(school, MONDAY, 3, "4", "КР")  # Математика
    await _mark(school, TUESDAY, 2, "3", "СР")  # Математика
    await _mark(school, TODAY, 1, "4", "У")  # Русский язык, this morning
    await _mark(school, WEDNESDAY, 2, "5", "У")  # Русский язык, after maths that day

    expected = [
        "3 дек. · Русский язык · <b>4</b> (ответ у доски)",
        "2 дек. · Русский язык · <b>5</b> (ответ у доски)",
        "2 дек. · Математика · <b>5</b> (ответ у доски)",
        "1 дек. · Математика · <b>3</b> (самостоятельная работа)",
        "30 нояб. · Математика · <b>4</b> (контрольная работа)",
    ]
    await school.tester.send("/marks", user=MOTHER)
    assert _section(school.tester.last_text(MOTHER), "Последние отметки") == expected

    await school.services.journal.correct_mark(SYSTEM, test, MarkValue.FIVE, "ошибка ввода")
    await school.tester.send("/marks", user=MOTHER)
    latest = _section(school.tester.last_text(MOTHER), "Последние отметки")
    assert latest[:4] == expected[:4]  # the correction did not jump to the top
    assert latest[4] == "30 нояб. · Математика · <b>5</b> (контрольная работа) · исправлено"


# --- work types by name, dates in the combined push, English -------------------------------


async def test_marks_and_pushes_name_the_work_type_and_keep_the_dates(
    school: ImportedSchool,
) -> None:
    await _week(school)
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    await _mark(school, TUESDAY, 2, "3", "СР")
    await _mark(school, WEDNESDAY, 1, "5", "У")
    pushes = await _pushes(school, MOTHER, "mark")
    assert len(pushes) == 2
    one = render(pushes[1:], "ru").text
    assert "Математика: <b>5</b> (ответ у доски), ср, 2 декабря" in one
    both = render(pushes, "ru").text
    assert "📘 Новые отметки — Иванов Пётр (7А)" in both
    assert "• Математика: <b>3</b> (самостоятельная работа), 1 декабря" in both
    assert "• Математика: <b>5</b> (ответ у доски), 2 декабря" in both
    english = render(pushes, "en").text
    assert "• Maths" not in english  # subjects are the school's own names
    assert "<b>5</b> (oral answer), 2 December" in english
    assert "<b>3</b> (quiz), 1 December" in english

    await school.tester.send("/marks", user=MOTHER)
    text = school.tester.last_text(MOTHER)
    assert "(ответ у доски)" in text and "(У)" not in text


async def test_an_english_reader_sees_natural_english(school: ImportedSchool) -> None:
    await _week(school)
    await school.link(FATHER, PersonRole.GUARDIAN, "U-102")
    await school.tester.send("/settings", user=FATHER)
    await school.tester.click("English", user=FATHER)
    assert "Done: the bot now speaks English." in school.tester.texts(FATHER)
    for day, slot, value in ((MONDAY, 3, "4"), (TUESDAY, 2, "4"), (WEDNESDAY, 1, "5")):
        await _mark(school, day, slot, value, "СР" if slot != 1 else "У", who="K-02")
    await school.tester.send("/marks", user=FATHER)
    text = school.tester.last_text(FATHER)
    assert "<b>5</b> (oral answer)" in text and "<b>4</b> (quiz)" in text
    # (4·1.5 + 4·1.5 + 5) / 4 = 4.25 → 4; 5s would raise it, 2s would lower it
    assert re.search(r"\d+ more 5s? would raise it to 5", text), text
    assert re.search(r"\d+ more 2s? would lower it to 3", text), text
    assert "«" not in text and "make it" not in text


# --- /homework (minor) -----------------------------------------------------------------------


async def test_homework_in_the_days_lesson_order_and_the_coming_days(
    school: ImportedSchool,
) -> None:
    """7А on Friday: 1 English, 2 History, 3 PE, 4 Maths, 5 Russian (alphabetically PE is
    last); on Thursday a parent looks for Monday's homework too."""
    await _week(school)
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    journal = school.services.journal
    for slot, text in ((4, "№ 301"), (5, "Упр. 12"), (3, "Форма на улицу")):
        friday = await _lesson(school, "7А", FRIDAY, slot)
        await journal.set_homework(SYSTEM, friday, text, due_on=FRIDAY)
    history = await _lesson(school, "7А", TODAY, 3)
    await journal.set_homework(SYSTEM, history, "Параграф 14", due_on=NEXT_MONDAY)

    school.clock.set(THURSDAY.replace(hour=17))  # the evening: tomorrow's homework
    await school.tester.send("/homework", user=MOTHER)
    text = school.tester.last_text(MOTHER)
    order = [s for s in ("Физкультура", "Математика", "Русский язык") if f"<b>{s}</b>" in text]
    assert order == ["Физкультура", "Математика", "Русский язык"]
    assert text.index("<b>Физкультура</b>") < text.index("<b>Математика</b>")
    assert text.index("<b>Математика</b>") < text.index("<b>Русский язык</b>")

    await school.tester.click("Неделя", user=MOTHER)
    week = school.tester.last_text(MOTHER)
    assert "Понедельник, 7 декабря" in week and "Параграф 14" in week
    assert "30 ноября" not in week  # the past days of the calendar week are not what one wants


# --- /progress (minor) -----------------------------------------------------------------------


async def test_progress_reads_on_a_phone(school: ImportedSchool) -> None:
    await _week(school)
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    for day, slot, value, short in (
        (MONDAY, 3, "4", "КР"),
        (TUESDAY, 2, "5", "СР"),
        (WEDNESDAY, 1, "5", "У"),
    ):
        await _mark(school, day, slot, value, short)
    photos = len(school.tester.sent(SendPhoto, MOTHER))
    await school.tester.send("/progress", user=MOTHER)
    text = school.tester.last_text(MOTHER)
    # (4·2 + 5·1.5 + 5) / 4.5 = 4.56 → forecast 5 (threshold 0.5)
    assert "<code>▰▰▰▰▰</code> <b>4,56</b> Математика · прогноз 5" in text, text
    assert "Пока без отметок:" in text and "История" in text
    assert len(school.tester.sent(SendPhoto, MOTHER)) == photos  # text first, no picture
    await school.tester.click("📈 Математика", user=MOTHER)
    photo = school.tester.sent(SendPhoto, MOTHER)[-1]
    width, height = struct.unpack(">II", photo.photo.data[16:24])
    assert (width, height) == (720, 400)
    assert len(photo.photo.data) < 60_000
    # a forged subject: a clear answer, no picture
    student = await school.person_id(PersonRole.STUDENT, "K-01")
    forged = DiaryCb(view=View.PROGRESS, student=student, item=999_999)
    await school.tester.click(forged, user=MOTHER, forged=True)
    assert "отметок нет" in _alerts(school)[-1]
    assert len(school.tester.sent(SendPhoto, MOTHER)) == photos + 1


# --- absence reasons: one term each, everywhere (minor) --------------------------------------


async def test_unexcused_and_no_reason_yet_are_two_things_everywhere(
    school: ImportedSchool,
) -> None:
    await _week(school)
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    await school.link(CLASS_TEACHER, PersonRole.TEACHER, "T-004")
    ivanov = await school.person_id(PersonRole.STUDENT, "K-01")
    petrova = await school.person_id(PersonRole.STUDENT, "K-02")
    first = await _lesson(school, "7А", TODAY, 1)  # began at 08:30
    journal = school.services.journal
    await journal.set_attendance(SYSTEM, first, ivanov, AttendanceKind.ABSENT)
    await journal.set_attendance(SYSTEM, first, petrova, AttendanceKind.ABSENT)
    async with school.database.uow(readonly=True) as uow:
        record = await uow.attendance.find(first, ivanov)
    assert record is not None
    teacher = await school.services.viewers.get("telegram", str(CLASS_TEACHER.id), True)
    await journal.set_absence_reason(teacher, record.id, AbsenceReason.UNEXCUSED)  # Н

    # the push about the reason
    (told,) = await _pushes(school, MOTHER, "reason")
    assert (
        "Пропуск чт, 3 декабря (Русский язык): без уважительной причины."
        in render([told], "ru").text
    )
    # the diary
    await school.tester.send("/attendance", user=MOTHER)
    diary = school.tester.last_text(MOTHER)
    assert "без уважительной причины — 1, причина не указана — 0" in diary
    assert "пропуск, без уважительной причины" in diary and "отсутствовал" not in diary
    # the class teacher's weekly check: Иванов has a reason (Н), Петрова has none yet
    await school.tester.send("/absences", user=CLASS_TEACHER)
    async with school.database.uow(readonly=True) as uow:
        (group,) = [c for c in await uow.classes.list_all() if c.name == "7А"]
    week_check = AbsCb(cls=group.id, day=TODAY.toordinal(), week=True)
    await school.tester.click(week_check, user=CLASS_TEACHER, forged=True)
    check = school.tester.last_text(CLASS_TEACHER)
    assert "без уважительной причины — 1, причина не указана — 1" in check, check
    assert "без причины" not in check and "с причиной" not in check
    assert "<b>Причина не указана</b>" in check and "Петрова" in check
    assert check.index("Петрова") > check.index("<b>Причина не указана</b>")
    # the Monday push to the class teacher lists Петрова only, under the same words
    jobs = Jobs(school.database.uow, school.clock)
    school.clock.set(THURSDAY.replace(hour=18))
    assert await jobs.weekly_reconciliation() == 1
    (week,) = await _pushes(school, CLASS_TEACHER, "reconcile")
    text = render([week], "ru").text
    assert "пропуски, причина которых не указана" in text
    assert "Петрова" in text and "Иванов" not in text
    # the fortnight summary to the parent counts Н and «not yet» apart
    assert await jobs.fortnight_summary(every_other_week=False) >= 1
    summary = next(
        p for p in await _pushes(school, MOTHER, "summary") if p.data["student"] == "Иванов Пётр"
    )
    assert "Пропущено уроков: 1 (без уважительной причины — 1)." in render([summary], "ru").text


async def test_the_attendance_chart_keeps_lateness_and_no_reason_apart(
    school: ImportedSchool,
) -> None:
    await _week(school)
    first = await _lesson(school, "7А", TODAY, 1)
    students = [await school.person_id(PersonRole.STUDENT, k) for k in ("K-01", "K-02", "K-03")]
    journal = school.services.journal
    await journal.set_attendance(SYSTEM, first, students[0], AttendanceKind.ABSENT)
    await journal.set_attendance(SYSTEM, first, students[1], AttendanceKind.ABSENT)
    await journal.set_attendance(SYSTEM, first, students[2], AttendanceKind.LATE)
    async with school.database.uow(readonly=True) as uow:
        record = await uow.attendance.find(first, students[0])
    await journal.set_absence_reason(SYSTEM, record.id, AbsenceReason.UNEXCUSED)  # type: ignore[union-attr]

    year = await school.services.access_admin.class_year(SYSTEM, "7А")
    stack = {reason: values[-1] for reason, _, values in absence_stack(year)}
    assert stack == {"sick": 0, "excused": 0, "unexcused": 1, None: 1}  # the late one: apart
    assert year.attendance[-1].late == 1


# --- a parent of two writes (minor) ----------------------------------------------------------


async def test_a_parent_of_two_is_told_whose_child_without_declined_names(
    school: ImportedSchool,
) -> None:
    await _week(school)
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    await school.link(CLASS_TEACHER, PersonRole.TEACHER, "T-004")
    await school.tester.send("/write", user=MOTHER)
    assert school.tester.last_text(MOTHER) == "О каком ребёнке?"
    await school.tester.click("Волкова София, 5А", user=MOTHER)
    assert school.tester.last_text(MOTHER) == "Волкова София Денисовна, 5А: кому вы пишете?"
    await school.tester.click("Классный руководитель: Кузнецов Олег Андреевич", user=MOTHER)
    assert school.tester.last_text(MOTHER) == (
        "Волкова София Денисовна, 5А: напишите классному руководителю."
    )
    await school.tester.send("/cancel", user=MOTHER)

    ivanov = await school.person_id(PersonRole.STUDENT, "K-01")
    first = await _lesson(school, "7А", TODAY, 1)
    await school.services.journal.set_attendance(SYSTEM, first, ivanov, AttendanceKind.ABSENT)
    async with school.database.uow(readonly=True) as uow:
        record = await uow.attendance.find(first, ivanov)
    await school.tester.click(b.explain(record.id), user=MOTHER, forged=True)  # type: ignore[union-attr]
    prompt = school.tester.last_text(MOTHER)
    assert prompt.startswith("Иванов Пётр Алексеевич, 7А: пропуск — чт, 3 декабря, 1-й урок")
    assert "о ребёнке" not in prompt and "отсутствовал" not in prompt
    await school.tester.send("Был у врача", user=MOTHER)

    # the class teacher's letter and the answer name the child the same way
    (letter,) = await _pushes(school, CLASS_TEACHER, "letter")
    head = render([letter], "ru").text.split("\n")[0]
    assert head == "✉️ Иванов Пётр (7А) — пишет родитель: Иванова Ольга Викторовна"
    await school.tester.click(b.answer(letter.data["letter_id"]), user=CLASS_TEACHER, forged=True)
    assert school.tester.last_text(CLASS_TEACHER) == (
        "Иванов Пётр Алексеевич, 7А: напишите ответ.\nКому: Иванова Ольга Викторовна"
    )
    assert not _alerts(school)
