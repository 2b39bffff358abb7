"""/admin as one message: every step edits it in place and has «« Назад» to the step before;
the staff's codes show who has signed in; a student who left is marked so; reports come
named, sheeted and captioned in Russian, an empty summary sheet says why, and a period is
«II четверть» wherever it is named."""

from __future__ import annotations

import io
from datetime import timedelta

from aiogram.methods import SendDocument, SendMessage
from aiogram.types import BufferedInputFile
from openpyxl import load_workbook

from app.keyboards import AbsCb, LessonCb, RollCb
from core.access import SYSTEM
from core.model import PersonRole
from core.school_admin import SchoolAdminService
from handlers.admin_reports import ReportCb
from tests.support import TgUser
from tests.support.school import ImportedSchool

ADMIN = TgUser(7201, "Ирина")  # T-001: the journal administrator
TEACHER = TgUser(7202, "Анна")  # T-004
MENU = "Администрирование. Что вы хотите сделать?"
STEPS = (
    "📥 Импорт файла",
    "🔒 Периоды",
    "🗓 Уроки и замены",
    "📊 Отчёты и выгрузки",
    "📈 Графики",
    "🕵 Журнал изменений",
    "🔑 Приглашение сотруднику",
    "🎓 Новый учебный год",
)


def _buttons(school: ImportedSchool, user: TgUser) -> list[str]:
    return [text for row in school.tester.keyboard(user) for text, _data in row]


def _posted(school: ImportedSchool, user: TgUser) -> int:
    return len(school.tester.sent(SendMessage, user))


async def test_every_step_edits_the_menu_and_goes_back(school: ImportedSchool) -> None:
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    await school.tester.send("/admin", user=ADMIN)
    posted = _posted(school, ADMIN)
    for step in STEPS:
        await school.tester.click(step, user=ADMIN)
        assert "« Назад" in _buttons(school, ADMIN), (step, _buttons(school, ADMIN))
        await school.tester.click("« Назад", user=ADMIN)
        assert MENU in (school.tester.last_text(ADMIN) or ""), step
    # deeper: a report's class and period, the audit log's class and student, and back up
    for path in (
        ("📊 Отчёты и выгрузки", "Сводная ведомость отметок", "7А"),
        ("🕵 Журнал изменений", "По ученику", "7А"),
        ("📈 Графики", "7А"),
    ):
        for button in path:
            await school.tester.click(button, user=ADMIN)
        for _step in path:
            await school.tester.click("« Назад", user=ADMIN)
        assert MENU in (school.tester.last_text(ADMIN) or ""), path
    assert _posted(school, ADMIN) == posted  # one message, edited in place


async def test_the_staff_codes_show_who_has_signed_in(school: ImportedSchool) -> None:
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    await school.link(TEACHER, PersonRole.TEACHER, "T-004")
    await school.tester.send("/admin", user=ADMIN)
    await school.tester.click("🔑 Приглашение сотруднику", user=ADMIN)
    staff = _buttons(school, ADMIN)
    assert "✅ Смирнова Анна Петровна" in staff and "✅ Павлова Ирина Сергеевна" in staff
    assert "⏳ Белова Мария Ивановна" in staff
    assert "Вошли в бот: 2 из 8." in (school.tester.last_text(ADMIN) or "")
    await school.tester.click("⏳ Белова Мария Ивановна", user=ADMIN)
    assert "Белова Мария Ивановна" in (school.tester.last_text(ADMIN) or "")  # the code


async def test_a_student_who_left_is_marked_in_the_administrations_list(
    school: ImportedSchool,
) -> None:
    school.files.students = [row for row in school.files.students if row[0] != "K-04"]
    report = await school.import_roster()
    assert report.applied, report.errors
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    await school.tester.send("/admin", user=ADMIN)
    for button in ("🕵 Журнал изменений", "По ученику", "7А"):
        await school.tester.click(button, user=ADMIN)
    students = _buttons(school, ADMIN)
    assert "Ёлкина Дарья Павловна — выбыл(а) 02.12" in students, students
    assert "Иванов Пётр Алексеевич" in students
    await school.tester.click("Ёлкина Дарья Павловна — выбыл(а) 02.12", user=ADMIN)
    assert "Выбыл(а) из школы: — → 02.12.2026" in (school.tester.last_text(ADMIN) or "")
    # the quarter's summary sheet still lists her, marked so
    await school.tester.click(
        ReportCb(kind="ms", cls=await _class_id(school, "7А"), period=2), user=ADMIN, forged=True
    )
    (summary,) = school.tester.sent(SendDocument, ADMIN)
    names = [row[1] for row in _book(summary).active.iter_rows(min_row=4, values_only=True)]
    assert "Ёлкина Дарья Павловна — выбыл(а) 02.12" in names and "Иванов Пётр Алексеевич" in names


def _book(call: SendDocument):  # type: ignore[no-untyped-def]
    assert isinstance(call.document, BufferedInputFile)
    return load_workbook(io.BytesIO(call.document.data))


async def test_reports_are_named_and_captioned_in_russian(school: ImportedSchool) -> None:
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    await school.tester.send("/admin", user=ADMIN)
    await school.tester.click("📊 Отчёты и выгрузки", user=ADMIN)
    await school.tester.click("Сводная ведомость отметок", user=ADMIN)
    await school.tester.click("7А", user=ADMIN)
    assert _buttons(school, ADMIN) == ["I четверть", "II четверть", "« Назад"]
    await school.tester.click("II четверть", user=ADMIN)
    (summary,) = school.tester.sent(SendDocument, ADMIN)
    assert summary.document.filename == "Сводная ведомость отметок, 7А, II четверть.xlsx"  # type: ignore[union-attr]
    # In mid-period the sheet is empty, and both the caption and the sheet say why.
    why = (
        "Отметок за период пока нет: учителя выставляют их в конце периода, "
        "с 14.12.2026 по 30.12.2026."
    )
    assert summary.caption == "Сводная ведомость отметок: 7А, II четверть\n" + why
    sheet = _book(summary).active
    assert sheet.title == "Сводная ведомость"
    assert sheet["A1"].value == "Сводная ведомость отметок: класс 7А, II четверть, 2026/2027"
    assert sheet["A2"].value == why

    await school.tester.click(
        ReportCb(kind="gd", cls=await _class_id(school, "7А")), user=ADMIN, forged=True
    )
    guardians = school.tester.sent(SendDocument, ADMIN)[-1]
    assert guardians.document.filename == "Активность родителей, 7А.xlsx"  # type: ignore[union-attr]
    sheet = _book(guardians).active
    relations = {row[2] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert relations == {"родитель", "ученик"}, relations


async def _class_id(school: ImportedSchool, name: str) -> int:
    async with school.database.uow(readonly=True) as uow:
        found = [c for c in await uow.classes.list_all() if c.name == name]
    return found[0].id  # type: ignore[return-value]


async def test_a_student_who_left_is_marked_in_the_class_teachers_week(
    school: ImportedSchool,
) -> None:
    """Ёлкина is absent on Thursday and leaves the next day's roster: her class teacher's
    weekly check still lists the absence, with «выбыл(а)» and the day."""
    school.clock.set(school.clock.now().replace(hour=12, minute=35))  # 7А's maths has begun
    today = school.clock.today()
    await SchoolAdminService(school.database.uow, school.clock).make_lessons(SYSTEM, today, today)
    teacher = await school.person_id(PersonRole.STAFF, "T-004")
    elkina = await school.person_id(PersonRole.STUDENT, "K-04")
    async with school.database.uow(readonly=True) as uow:
        (lesson,) = [x for x in await uow.lessons.for_teacher(teacher, today, today) if x.slot == 5]
        cls = lesson.class_id
    await school.link(TEACHER, PersonRole.TEACHER, "T-004")
    await school.tester.click(LessonCb(lesson=lesson.id), user=TEACHER, forged=True)  # type: ignore[arg-type]
    await school.tester.click(RollCb(lesson=lesson.id, student=elkina), user=TEACHER)  # type: ignore[arg-type]
    school.clock.set(school.clock.now() + timedelta(days=1))
    school.files.students = [row for row in school.files.students if row[0] != "K-04"]
    report = await school.import_roster()
    assert report.applied, report.errors
    await school.tester.click(
        AbsCb(cls=cls, day=today.toordinal(), week=True), user=TEACHER, forged=True
    )
    text = school.tester.last_text(TEACHER) or ""
    assert "Ёлкина Дарья — выбыл(а) 03.12" in text, text
