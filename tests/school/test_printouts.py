"""Paper for those who refuse electronic access (#14 item 1; rule 8: 000 §4.4, §7.2; 003 reg.2
§2.2.2), on a school imported from its own files: a guardian is put on paper by the guardians'
file, at the console and in the bot (a forged press changes nothing); the class's PDF has a page
per such student with their fortnight and nothing of another student's; every printout is
logged and on record; every other week the class teacher is told and the button gives the PDF
to that class's class teacher or the administration only; bad console input is one line."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.methods import SendDocument
from babel.numbers import format_decimal
from pypdf import PdfReader

from app.paper_diary import printout_pdf
from core import grading
from core.access import SYSTEM
from core.model import (
    AbsenceReason,
    AttendanceKind,
    AttendanceRecord,
    Homework,
    Mark,
    MarkValue,
    PersonRole,
    Remark,
    RemarkKind,
)
from core.printouts import ClassPrintout, PaperHomework, PaperMark, PaperSubject, StudentPage
from handlers.printouts import PaperCb, PaperGuardianCb
from locales import translations
from notifications.jobs import Jobs, summary_week
from notifications.render import Item, render
from tests.school.test_access_ends import alerts
from tests.school.test_console import console  # noqa: F401 - the fixture
from tests.support import TgUser
from tests.support.school import THURSDAY, ImportedSchool

ADMIN = TgUser(7301, "Ирина")  # T-001: the journal administrator
CLASS_TEACHER = TgUser(7302, "Анна")  # T-004: class teacher of 7А, maths
ENGLISH = TgUser(7303, "Мария")  # T-006: teaches 7А English, no class of her own
OTHER_CLASS = TgUser(7304, "Игорь")  # T-007: class teacher of 6Б
FATHER = TgUser(7305, "Сергей")  # U-102: Петрова Алёна's father

TODAY = THURSDAY.date()
START = TODAY - timedelta(days=13)  # the fortnight: 20 November to 3 December
NEXT_TUESDAY = date(2026, 12, 8)
HOMEWORK = "Параграф 12, задачи 1–5"
GROUP_TWO_HOMEWORK = "Workbook, page 40"  # Англ. 2 only: not Иванов's (Англ. 1)
PRAISE = "Отличный доклад о дробях"
OTHERS = ("Петрова", "Сидоров", "Ёлкина")


async def _ids(school: ImportedSchool, role: PersonRole, *source_ids: str) -> list[int]:
    return [await school.person_id(role, s) for s in source_ids]


async def _class_id(school: ImportedSchool, name: str = "7А") -> int:
    async with school.database.uow(readonly=True) as uow:
        return next(c.id for c in await uow.classes.list_all() if c.name == name)  # type: ignore[return-value]


async def _paper(school: ImportedSchool) -> dict[str, date | None]:
    async with school.database.uow(readonly=True) as uow:
        return {g.source_id: g.paper_since for g in await uow.guardians.list_all()}  # type: ignore[misc]


async def _logged(school: ImportedSchool) -> list:
    async with school.database.uow(readonly=True) as uow:
        return await uow.printouts.list_all()


async def _fortnight(school: ImportedSchool) -> None:
    """Lessons from the timetable; in 7А's fortnight Иванов has two 5s (oral) and a 4 (test)
    in maths, was ill at one lesson and was praised; Петрова has a 3 and missed a lesson with no
    good reason. Next Tuesday's homework: maths for the class, English for group 2 only."""
    await school.services.school_admin.make_lessons(SYSTEM, START, NEXT_TUESDAY)
    ivanov, petrova = await _ids(school, PersonRole.STUDENT, "K-01", "K-02")
    (teacher,) = await _ids(school, PersonRole.STAFF, "T-004")
    cls = await _class_id(school)
    at = datetime(2026, 12, 1, 15, 0, tzinfo=school.clock.tz)
    async with school.database.uow() as uow:
        works = {w.code: w for w in await uow.work_types.list_all()}
        lessons = await uow.lessons.for_class(cls, START, NEXT_TUESDAY)
        maths = [x for x in lessons if x.teacher_id == teacher and x.day <= TODAY]
        english = [x for x in lessons if x.subgroup_id is not None and x.day == NEXT_TUESDAY]
        ahead = [x for x in lessons if x.teacher_id == teacher and x.day == NEXT_TUESDAY]
        for student, lesson, value, work in (
            (ivanov, maths[0], "5", "oral"),
            (ivanov, maths[2], "4", "test"),
            (ivanov, maths[5], "5", "oral"),
            (petrova, maths[1], "3", "oral"),
        ):
            await uow.marks.add(
                Mark(
                    lesson.id,  # type: ignore[arg-type]
                    student,
                    lesson.subject_id,
                    lesson.day,
                    MarkValue(value),
                    works[work].id,  # type: ignore[arg-type]
                    teacher,
                    at,
                )
            )
        for student, lesson, reason in (
            (ivanov, maths[3], AbsenceReason.SICK),
            (petrova, maths[4], AbsenceReason.UNEXCUSED),
        ):
            await uow.attendance.add(
                AttendanceRecord(
                    lesson.id,  # type: ignore[arg-type]
                    student,
                    lesson.subject_id,
                    lesson.day,
                    AttendanceKind.ABSENT,
                    teacher,
                    at,
                    reason=reason,
                )
            )
        await uow.remarks.add(
            Remark(
                maths[0].id,  # type: ignore[arg-type]
                ivanov,
                maths[0].subject_id,
                maths[0].day,
                RemarkKind.PRAISE,
                PRAISE,
                teacher,
                at,
            )
        )
        groups = {g.name: g.id for g in await uow.subgroups.for_class(cls)}
        group_two = next(x for x in english if x.subgroup_id == groups["Англ. 2"])
        for lesson, text in ((ahead[0], HOMEWORK), (group_two, GROUP_TWO_HOMEWORK)):
            await uow.homework.add(
                Homework(
                    lesson.id,  # type: ignore[arg-type]
                    cls,
                    lesson.subject_id,
                    TODAY,
                    lesson.day,
                    text,
                    lesson.teacher_id,
                    at,
                    subgroup_id=lesson.subgroup_id,
                )
            )
        await uow.commit()


async def _on_paper(school: ImportedSchool, *source_ids: str) -> None:
    for source_id in source_ids:
        (guardian,) = await _ids(school, PersonRole.GUARDIAN, source_id)
        await school.services.printouts.set_paper(SYSTEM, guardian, TODAY)


def _out(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    return out


def _files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _pages(data: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages]


# -- who is on paper ---------------------------------------------------------------------------


async def test_the_guardians_file_puts_a_guardian_on_paper(school: ImportedSchool) -> None:
    school.files.guardians[0].append("На бумаге")
    for row, value in zip(school.files.guardians[1:], ("да", "", "", "01.12.2026"), strict=True):
        row.append(value)
    report = await school.import_roster()
    assert report.applied, report.errors
    paper = await _paper(school)
    assert paper["U-101"] == TODAY and paper["U-104"] == date(2026, 12, 1)
    assert paper["U-102"] is None and paper["U-103"] is None

    # the class teacher sees it on the class's paper screen
    await school.link(CLASS_TEACHER, PersonRole.STAFF, "T-004")
    await school.tester.click(
        PaperCb(cls=await _class_id(school), action="show"), user=CLASS_TEACHER, forged=True
    )
    text = school.tester.last_text(CLASS_TEACHER) or ""
    assert "Бумажные дневники, 7А" in text and "На бумаге: 2 из 3 родителей." in text, text
    labels = [t for row in school.tester.keyboard(CLASS_TEACHER) for t, _ in row]
    assert "📄 Иванова О.: на бумаге с 03.12" in labels
    assert "Петров С.: перевести на бумагу" in labels

    # a re-import: «да» keeps the day, a date changes it, an empty cell takes it off
    school.clock.set(THURSDAY + timedelta(days=7))
    school.files.guardians[1][-1] = "да"
    school.files.guardians[2][-1] = "2026-12-09"
    school.files.guardians[4][-1] = ""
    report = await school.import_roster()
    assert report.applied, report.errors
    paper = await _paper(school)
    assert paper["U-101"] == TODAY and paper["U-102"] == date(2026, 12, 9)
    assert paper["U-104"] is None
    # a file without the column keeps what the database has
    for row in school.files.guardians:
        row.pop()
    report = await school.import_roster()
    assert (await _paper(school))["U-102"] == date(2026, 12, 9)


async def test_a_bad_paper_date_in_the_file_is_refused(school: ImportedSchool) -> None:
    school.files.guardians[0].append("paper_since")
    for row in school.files.guardians[1:]:
        row.append("")
    school.files.guardians[1][-1] = "в четверг"
    report = await school.import_roster()
    assert not report.applied
    assert (await _paper(school))["U-101"] is None


async def test_console_on_and_off(
    school: ImportedSchool,
    console,  # noqa: F811
) -> None:
    code, out, _ = await console("guardian", "paper", "--id", "U-102", "--on", "2026-12-01")
    assert (
        code == 0 and "Петров Сергей Николаевич получает дневник на бумаге с 1 декабря 2026" in out
    ), out
    assert (await _paper(school))["U-102"] == date(2026, 12, 1)
    code, out, _ = await console("guardian", "paper", "--id", "U-102", "--off")
    assert code == 0 and "в боте" in out, out
    assert (await _paper(school))["U-102"] is None
    async with school.database.uow(readonly=True) as uow:
        changes = [e for e in await uow.audit.list_all() if e.action == "guardian.paper"]
    assert [(e.before, e.after, e.channel) for e in changes] == [
        ("", "2026-12-01", "console"),
        ("2026-12-01", "", "console"),
    ]
    # bad input: one line, non-zero, nothing changed
    for args in (("--id", "U-999"), ("--id", "U-102", "--on", "2026-12-01", "--off")):
        code, out, err = await console("guardian", "paper", *args)
        assert code != 0 and len(err.strip().splitlines()) == 1, (out, err)
    assert (await _paper(school))["U-102"] is None


async def test_the_toggle_in_admin_and_forged_presses(school: ImportedSchool) -> None:
    await school.link(ADMIN, PersonRole.STAFF, "T-001")
    await school.tester.send("/admin", user=ADMIN)
    await school.tester.click("🖨 Бумажные дневники", user=ADMIN)
    await school.tester.click("7А", user=ADMIN)
    await school.tester.click("Петров С.: перевести на бумагу", user=ADMIN)
    assert (await _paper(school))["U-102"] == TODAY
    labels = [t for row in school.tester.keyboard(ADMIN) for t, _ in row]
    assert "📄 Петров С.: на бумаге с 03.12" in labels
    await school.tester.click("📄 Петров С.: на бумаге с 03.12", user=ADMIN)
    assert (await _paper(school))["U-102"] is None

    seven, six = await _class_id(school), await _class_id(school, "6Б")
    (belkina, petrov) = await _ids(school, PersonRole.GUARDIAN, "U-103", "U-102")
    # a parent of 6Б pressed through 7А's screen: not in that class's list
    await school.tester.click(
        PaperGuardianCb(cls=seven, guardian=belkina, on=True), user=ADMIN, forged=True
    )
    assert alerts(school, ADMIN)[-1] == "Этого человека больше нет в списке класса."
    # another class's class teacher, a subject teacher, a parent: refused
    for user, role, source_id in (
        (OTHER_CLASS, PersonRole.STAFF, "T-007"),
        (ENGLISH, PersonRole.STAFF, "T-006"),
        (FATHER, PersonRole.GUARDIAN, "U-102"),
    ):
        await school.link(user, role, source_id)
        await school.tester.click(
            PaperGuardianCb(cls=seven, guardian=petrov, on=True), user=user, forged=True
        )
        assert alerts(school, user)[-1] == "У вас нет доступа к этим данным."
    # 6Б's class teacher moves her own class's parent
    await school.tester.click(
        PaperGuardianCb(cls=six, guardian=belkina, on=True), user=OTHER_CLASS, forged=True
    )
    paper = await _paper(school)
    assert paper["U-103"] == TODAY and paper["U-102"] is None and paper["U-101"] is None


# -- the PDF -----------------------------------------------------------------------------------


async def test_printouts_at_the_console(school: ImportedSchool, console, tmp_path: Path) -> None:  # noqa: F811
    tmp_path = _out(tmp_path)
    await _fortnight(school)
    await _on_paper(school, "U-101")  # Иванов Пётр's mother (and Волкова's in 5А)
    code, out, err = await console("printouts", "--class", "7А", "--out", str(tmp_path))
    assert code == 0, err
    (pdf,) = _files(tmp_path)
    assert pdf.name == "Бумажные дневники, 7А 2026-12-03.pdf"
    pages = _pages(_read(pdf))
    text = " ".join(pages)
    assert f"Страниц: {len(pages)}" in out or f"страниц: {len(pages)}" in out, out
    assert "Дневник: Иванов Пётр Алексеевич" in text and "Класс 7А, II четверть" in text
    assert "с 20 ноября по 3 декабря" in text
    assert "Для: Иванова Ольга Викторовна" in text
    assert "5 (устный ответ, " in text and "4 (контрольная работа, " in text, text
    assert "Математика" in text and "по болезни" in text
    assert PRAISE in text and HOMEWORK in text
    assert GROUP_TWO_HOMEWORK not in text  # the other English group's
    assert "Подпись родителя" in text
    # nothing of another student: names, the 3, the absence with no good reason
    assert not any(name in text for name in OTHERS)
    assert "3 (устный ответ" not in text and "без уважительной причины" not in text
    # the forecast is the diary's own
    (ivanov,) = await _ids(school, PersonRole.STUDENT, "K-01")
    diary = await school.services.diary.period_marks(SYSTEM, ivanov)
    (maths,) = [s.forecast for s in diary.subjects if s.subject_name == "Математика"]
    assert maths.mark is not None and maths.average is not None
    assert "Математика 5 (устный ответ, 20.11); 4 (контрольная работа, 24.11); 5 " in text
    average = format_decimal(float(maths.average), "0.00", locale="ru")
    assert f"{maths.mark} (средний балл {average})" in text and "," in average, text

    (row,) = await _logged(school)
    assert (row.student_id, row.printed_by, row.pages) == (ivanov, None, len(pages))
    assert (row.starts_on, row.ends_on) == (START, TODAY) and row.period_id is not None
    async with school.database.uow(readonly=True) as uow:
        reads = [e for e in await uow.audit.list_all() if e.action == "report.printout"]
    assert [(e.student_id, e.channel, e.is_read) for e in reads] == [(ivanov, "console", True)]


async def test_everyone_for_a_parents_meeting(
    school: ImportedSchool,
    console,  # noqa: F811
    tmp_path: Path,
) -> None:
    tmp_path = _out(tmp_path)
    await _fortnight(school)
    code, _, err = await console("printouts", "--class", "7А", "--out", str(tmp_path), "--all")
    assert code == 0, err
    (pdf,) = _files(tmp_path)
    pages = _pages(_read(pdf))
    rows = await _logged(school)
    assert len(rows) == 4 and sum(r.pages for r in rows) == len(pages) >= 4
    starts = [p for p in pages if "Дневник: " in p]
    assert len(starts) == 4
    (petrova_page,) = [p for p in starts if "Петрова Алёна" in p]
    assert "3 (устный ответ" in petrova_page and "без уважительной причины" in petrova_page
    assert "Иванов" not in petrova_page and PRAISE not in petrova_page


async def test_nobody_on_paper_prints_nothing(
    school: ImportedSchool,
    console,  # noqa: F811
    tmp_path: Path,
) -> None:
    tmp_path = _out(tmp_path)
    code, out, _ = await console("printouts", "--class", "7А", "--out", str(tmp_path))
    assert code == 0 and "--all" in out
    assert _files(tmp_path) == [] and await _logged(school) == []


async def test_bad_console_input(school: ImportedSchool, console, tmp_path: Path) -> None:  # noqa: F811
    tmp_path = _out(tmp_path)
    await _on_paper(school, "U-101")
    for args in (
        ("--class", "9Я", "--out", str(tmp_path)),
        ("--class", "7А", "--out", str(tmp_path / "missing")),
    ):
        code, out, err = await console("printouts", *args)
        assert code == 1 and len(err.strip().splitlines()) == 1, (out, err)
    assert await _logged(school) == []
    assert _files(tmp_path) == []


def test_a_long_fortnight_flows_to_a_second_page_of_the_same_student() -> None:
    forecast = grading.forecast([grading.Scored(5, 1)] * 3, grading.weight_of("0.5"), 3)
    mark = PaperMark(TODAY, MarkValue.FIVE, "oral", "У", "Устный ответ")
    subjects = tuple(PaperSubject(f"Предмет {n}", (mark,) * 8, forecast) for n in range(30))
    homework = tuple(PaperHomework(TODAY, "Математика", "Задача " * 40) for _ in range(10))
    students = (
        StudentPage(1, "Первый Ученик", ("Родитель Первого",), subjects, (), (), homework),
        StudentPage(2, "Второй Ученик", (), (), (), (), ()),
    )
    printout = ClassPrintout("Школа № 1", 1, "7А", None, START, TODAY, students)
    data, pages = printout_pdf(printout, translations("ru").gettext, "ru")
    texts = _pages(data)
    assert pages[1] >= 2 and pages[2] == 1 and len(texts) == pages[1] + pages[2]
    for text in texts[1 : pages[1]]:
        assert "Первый Ученик, 7А (продолжение)" in text and "Второй" not in text
    assert "Подпись родителя" in texts[pages[1] - 1] and "Первый" not in texts[-1]


# -- every other week, to the class teacher ------------------------------------------------------


async def test_the_fortnightly_push_and_its_button(school: ImportedSchool) -> None:
    await _fortnight(school)
    await _on_paper(school, "U-101")
    await school.link(CLASS_TEACHER, PersonRole.STAFF, "T-004")
    await school.link(OTHER_CLASS, PersonRole.STAFF, "T-007")
    jobs = Jobs(school.database.uow, school.clock)
    assert not summary_week(TODAY) and await jobs.paper_diaries() == 0  # an odd week
    assert await jobs.paper_diaries(every_other_week=False) == 1  # 7А only: 6Б has nobody
    assert await jobs.paper_diaries(every_other_week=False) == 0  # run twice, written once
    async with school.database.uow(readonly=True) as uow:
        (row,) = [r for r in await uow.deliveries.list_all() if r.kind == "printouts"]
    payload = json.loads(row.payload)
    shown = render([Item.parse(row.id, row.kind, row.payload, None, None, "staff")], "ru")
    assert shown.text.split("\n")[0] == "🖨 Бумажные дневники, 7А, 20 ноября – 3 декабря: 1 ученик"
    ((button,),) = shown.buttons
    assert button.data == PaperCb(cls=payload["class_id"], action="pdf").pack()

    await school.tester.click(button.data, user=CLASS_TEACHER, forged=True)
    (sent,) = school.tester.sent(SendDocument, CLASS_TEACHER)
    text = " ".join(_pages(sent.document.data))  # type: ignore[union-attr]
    assert "Иванов Пётр" in text and not any(name in text for name in OTHERS)
    (teacher,) = await _ids(school, PersonRole.STAFF, "T-004")
    (logged,) = await _logged(school)
    assert logged.printed_by == teacher

    # the same button pressed by whoever may not: refused, no file, nothing logged
    await school.link(ENGLISH, PersonRole.STAFF, "T-006")
    await school.link(FATHER, PersonRole.GUARDIAN, "U-102")
    for user in (OTHER_CLASS, ENGLISH, FATHER):
        await school.tester.click(button.data, user=user, forged=True)
        assert school.tester.sent(SendDocument, user) == []
        assert alerts(school, user)[-1] == "У вас нет доступа к этим данным."
    # a class id that does not exist
    await school.tester.click(
        PaperCb(cls=99999, action="pdf").pack(), user=CLASS_TEACHER, forged=True
    )
    assert alerts(school, CLASS_TEACHER)[-1] == "У вас нет доступа к этим данным."
    assert len(await _logged(school)) == 1


async def test_the_class_teacher_prints_from_absences(school: ImportedSchool) -> None:
    await _on_paper(school, "U-101")
    await school.link(CLASS_TEACHER, PersonRole.STAFF, "T-004")
    await school.tester.send("/absences", user=CLASS_TEACHER)
    await school.tester.click("🖨 Бумажные дневники", user=CLASS_TEACHER)
    await school.tester.click("🖨 PDF для тех, кто на бумаге", user=CLASS_TEACHER)
    (sent,) = school.tester.sent(SendDocument, CLASS_TEACHER)
    assert sent.caption and "1 ученик" in sent.caption
    assert len(await _logged(school)) == 1
    # the screen says when the class was last printed
    await school.tester.send("/absences", user=CLASS_TEACHER)
    await school.tester.click("🖨 Бумажные дневники", user=CLASS_TEACHER)
    assert "Последняя распечатка: 3 декабря." in (school.tester.last_text(CLASS_TEACHER) or "")


@pytest.mark.parametrize("day", [date(2026, 12, 5), date(2026, 12, 12)])
def test_the_paper_weeks_are_the_summary_weeks(day: date) -> None:
    assert summary_week(day) == (day == date(2026, 12, 12))
