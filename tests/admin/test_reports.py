"""The journal export and the reports, opened and checked cell by cell."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from app.admin_files import report_xlsx
from core import model as m
from core.access import SYSTEM, Viewer
from core.errors import AccessDenied
from core.reports import ReportService
from core.school_admin import SchoolAdminService
from locales import translations
from storage.db import Database
from storage.exports import journal_xlsx, table_xlsx
from tests.admin.conftest import NOW, TZ

RU = translations("ru").gettext
EN = translations("en").gettext


@pytest.fixture
async def taught(school: Database, clock) -> Database:
    """Lessons of 16-18 November from the timetable; marks, absences, a topic, homework and
    period marks for 7А."""
    made = await SchoolAdminService(school.uow, clock).make_lessons(
        SYSTEM, date(2026, 11, 16), date(2026, 11, 18)
    )
    # a day: 7А maths and two English groups, 5А two; Wednesday also history. The import made
    # Wednesday's (today) and the later ones; these are Monday's and Tuesday's.
    assert (made.made, made.unchanged) == (2 * 5, 5 + 1)
    async with school.uow() as uow:
        people = {s.source_id: s for s in await uow.students.list_all()}
        staff = {s.source_id: s for s in await uow.staff.list_all()}
        (c7,) = [c for c in await uow.classes.list_all() if c.name == "7А"]
        oral = await uow.work_types.add(m.WorkType(1, "oral", "У", "Устный ответ"))
        test = await uow.work_types.add(m.WorkType(1, "test", "КР", "Контрольная", "2", True))
        maths = [
            x
            for x in await uow.lessons.for_class(c7.id, date(2026, 11, 16), date(2026, 11, 18))
            if x.slot == 1
        ]
        assert [x.day.day for x in maths] == [16, 17, 18]
        maths[0].topic = "Дроби"

        def mark(lesson, who, value, wt, late=False):
            at = datetime.combine(lesson.day, datetime.min.time(), TZ) + timedelta(hours=10)
            if late:
                at += timedelta(days=3)
            return m.Mark(
                lesson.id,
                people[who].id,
                lesson.subject_id,
                lesson.day,
                m.MarkValue(value),
                wt.id,
                staff["T-004"].id,
                at,
            )

        await uow.marks.add_all(
            [
                mark(maths[0], "S-101", "5", oral),
                mark(maths[0], "S-101", "4", test),
                mark(maths[1], "S-102", "2", oral, late=True),
                mark(maths[1], "S-101", "pass", oral),
            ]
        )
        await uow.attendance.add(
            m.AttendanceRecord(
                maths[1].id,
                people["S-103"].id,
                maths[1].subject_id,
                maths[1].day,
                m.AttendanceKind.ABSENT,
                staff["T-004"].id,
                NOW,
                reason=m.AbsenceReason.SICK,
            )
        )
        await uow.attendance.add(
            m.AttendanceRecord(
                maths[2].id,
                people["S-104"].id,
                maths[2].subject_id,
                maths[2].day,
                m.AttendanceKind.LATE,
                staff["T-004"].id,
                NOW,
                minutes_late=5,
            )
        )
        await uow.homework.add(
            m.Homework(
                maths[0].id,
                c7.id,
                maths[0].subject_id,
                maths[0].day,
                maths[1].day,
                "№ 12, 14",
                staff["T-004"].id,
                NOW,
            )
        )
        (year,) = await uow.years.list_all()
        q2 = (await uow.periods.for_year(year.id))[1]
        subjects = {s.name: s for s in await uow.subjects.list_all()}
        finals = {
            "S-101": ("5", "5"),
            "S-102": ("4", "3"),
            "S-103": ("2", "4"),
            "S-104": ("4", "5"),
        }
        for who, (mv, ev) in finals.items():
            for subject, value in (("Математика", mv), ("История", ev)):
                await uow.finals.add(
                    m.FinalMark(
                        people[who].id,
                        subjects[subject].id,
                        year.id,
                        m.FinalKind.PERIOD,
                        m.MarkValue(value),
                        staff["T-004"].id,
                        NOW,
                        period_id=q2.id,
                    )
                )
        await uow.commit()
    return school


async def test_the_journal_export_has_the_paper_journals_shape(taught: Database, clock) -> None:
    export = await ReportService(taught.uow, clock).journal(SYSTEM, "7а", 2)
    assert export.file_name == "2026-2027_2_7А.xlsx"
    book = load_workbook(io.BytesIO(report_xlsx(export, "ru")))
    assert book.sheetnames == [
        "Английский язык (Англ. гр. 1)",
        "Английский язык (Англ. гр. 2)",
        "История",
        "Математика",
    ]
    sheet = book["Математика"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Классный журнал 7А: Математика, II четверть, 2026/2027"
    assert rows[1][:2] == ("Учитель", "Смирнова А.П.")
    assert rows[2] == ("№", "Обучающийся", "16.11", "17.11", "18.11", "Итог")
    assert rows[3] == (None, "Вид работы", "У/КР", "У", None, None)
    assert rows[4] == (1, "Ёлкина Дарья Павловна", None, None, "оп", "4")
    assert rows[5] == (2, "Иванов Пётр Алексеевич", "5 4", "зач", None, "5")
    assert rows[6] == (3, "Петрова Алёна Сергеевна", None, "2", None, "4")
    assert rows[7] == (4, "Сидоров Максим Олегович", None, "б", None, "2")
    assert rows[9][:3] == ("Дата", "Тема урока", "Домашнее задание")
    assert rows[10][:4] == ("16.11.2026", "Дроби", "№ 12, 14", None)
    english = [r for r in book["Английский язык (Англ. гр. 1)"].iter_rows(values_only=True)]
    assert [r[1] for r in english[4:6]] == ["Иванов Пётр Алексеевич", "Петрова Алёна Сергеевна"]
    en = load_workbook(io.BytesIO(journal_xlsx(export, EN)))["Математика"]
    assert en["B3"].value == "Student" and en["E5"].value == "late"


async def test_class_results_and_the_summary_sheet(taught: Database, clock) -> None:
    reports = ReportService(taught.uow, clock)
    results = await reports.class_results(SYSTEM, "7А", 2)
    # Иванов 5/5 excellent; Ёлкина 4/5 good; Петрова 4/3 one three; Сидоров 2 failing.
    assert results.rows == ((4, 1, 1, 1, 1, 0, 50.0, 75.0),)
    sheet = load_workbook(io.BytesIO(report_xlsx(results, "ru"))).active
    assert sheet["A1"].value == "Итоги успеваемости класса 7А: II четверть, 2026/2027"
    assert sheet.title == "Итоги успеваемости класса"
    assert [c.value for c in sheet[3]][:2] == ["Всего обучающихся", "Отличники"]
    assert [c.value for c in sheet[4]] == [4, 1, 1, 1, 1, 0, 50, 75]
    summary = await reports.marks_summary(SYSTEM, "7А", 2)
    sheet = load_workbook(io.BytesIO(table_xlsx(summary, RU))).active
    header = [c.value for c in sheet[3]]
    assert header[:2] == ["№", "Обучающийся"] and "Математика" in header
    col = header.index("Математика")
    assert [sheet.cell(r, col + 1).value for r in range(4, 8)] == ["4", "5", "4", "2"]


async def test_attendance_reports_and_journal_quality(taught: Database, clock) -> None:
    reports = ReportService(taught.uow, clock)
    monthly = await reports.monthly_attendance(SYSTEM, "7А", 2026, 11)
    assert len(monthly.headers) == 2 + 30 + 1
    sidorov = monthly.rows[3]
    assert sidorov[1] == "Сидоров Максим Олегович" and sidorov[2 + 16] == 1 and sidorov[-1] == 1
    att = await reports.attendance_summary(SYSTEM, "7А", date(2026, 11, 1), date(2026, 11, 30))
    assert [r[2:] for r in att.rows] == [
        (0, 0, 0, 0, 0, 1),
        (0, 0, 0, 0, 0, 0),
        (0, 0, 0, 0, 0, 0),
        (1, 1, 0, 0, 0, 0),
    ]
    quality = await reports.journal_quality(SYSTEM, 2)
    row = next(r for r in quality.rows if r[1] == "7А" and r[2] == "Математика")
    # 3 lessons, 4 students: Ёлкина and Сидоров no marks, Петрова one; 2 without topic,
    # 2 without homework; Петрова's 2 entered 3 days late.
    assert row == ("Смирнова Анна Петровна", "7А", "Математика", 3, 4, 2, 1, 2, 2, 1)


async def test_a_subject_teacher_may_not_read_class_reports(taught: Database, clock) -> None:
    with pytest.raises(AccessDenied):
        await ReportService(taught.uow, clock).class_results(Viewer(staff_id=6), "7А", 2)
