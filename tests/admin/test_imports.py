"""Roster and timetable imports on a real database: formats, re-imports, broken files."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.imports import ALIASES
from core.model import StaffRoleKind
from storage.db import Database
from storage.importers import ImportFileError, decode, read_csv_bytes, read_table_file
from storage.tables import metadata
from tests.admin.conftest import EXAMPLES, import_roster, import_timetable, problems


async def snapshot(db: Database) -> dict[str, int]:
    async with db.session(readonly=True) as session:
        return {
            t.name: await session.scalar(select(func.count()).select_from(t))
            for t in metadata.sorted_tables
        }


def test_a_windows_1251_file_with_semicolons_and_russian_headers() -> None:
    table = read_csv_bytes(
        (EXAMPLES / "roster-csv" / "students.csv").read_bytes(), "students.csv", ALIASES
    )
    assert table is not None
    assert table.header == (
        "student_id",
        "class",
        "last_name",
        "first_name",
        "middle_name",
        "birth_date",
        "subgroups",
    )
    row = table.rows[3]
    assert (row.line, row.get("last_name"), row.get("birth_date")) == (5, "Ёлкина", "30.11.2013")


def test_utf8_with_bom_and_commas_and_a_quoted_list() -> None:
    data = '\ufeffguardian_id,last_name,first_name,students\nP1,Орлова,Ирина,"S1, S2"\n'
    table = read_csv_bytes(data.encode("utf-8"), "g.csv", ALIASES)
    assert table is not None and table.rows[0].get("students") == "S1, S2"


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ("class;Фамилия\n7А;Иванов\n".encode("utf-16"), 1),
        (b"class;last_name\n7\xc0;\xc8\xe2\xe0\xed\xee\xe2\n7\xc0;\x98\n", 3),
        ("a,b\n1,2\nx,\u00e9t\u00e9\n".encode("utf-8"), 3),
    ],
)
def test_a_wrong_encoding_is_refused_with_its_line(data: bytes, line: int) -> None:
    with pytest.raises(ImportFileError) as refused:
        decode(data, "students.csv")
    (problem,) = refused.value.problems
    assert (problem.file, problem.line, problem.code) == ("students.csv", line, "bad_encoding")


def test_an_xlsx_workbook_is_one_table_per_sheet() -> None:
    tables = read_table_file(EXAMPLES / "roster.xlsx", ALIASES)
    assert [t.hint for t in tables] == [
        "calendar",
        "holidays",
        "subjects",
        "staff",
        "subgroups",
        "students",
        "guardians",
    ]
    students = tables[5]
    assert students.file == "roster.xlsx:students"
    assert students.rows[0].get("birth_date") == "2013-03-14"
    assert tables[0].rows[0].get("period") == "1"


async def test_the_example_roster_imports_whole(database: Database, clock) -> None:
    report = await import_roster(database, clock, EXAMPLES / "roster.xlsx")
    assert report.applied and not report.errors
    counts = {e: (t.added, t.changed, t.unchanged, t.left) for e, t in report.rows()}
    assert counts == {
        "year": (1, 0, 0, 0),
        "period": (4, 0, 0, 0),
        "holiday": (5, 0, 0, 0),
        "subject": (4, 0, 0, 0),
        "staff": (6, 0, 0, 0),
        "class": (2, 0, 0, 0),
        "subgroup": (2, 0, 0, 0),
        "student": (7, 0, 0, 0),
        "guardian": (7, 0, 0, 0),
        "guardian_link": (9, 0, 0, 0),
        "work_type": (11, 0, 0, 0),  # the standard set: the school has none of its own
    }
    async with database.uow(readonly=True) as uow:
        year = await uow.years.containing(date(2026, 11, 18))
        assert year is not None and year.name == "2026/2027"
        assert year.starts_on == date(2026, 9, 1)
        periods = await uow.periods.for_year(year.id)
        assert [(p.number, p.starts_on) for p in periods][1] == (2, date(2026, 11, 5))
        c7 = await uow.classes.by_name(year.id, 7, "А")
        assert c7 is not None
        smirnova = next(s for s in await uow.staff.list_all() if s.source_id == "T-004")
        assert c7.class_teacher_id == smirnova.id
        orlova = next(s for s in await uow.staff.list_all() if s.source_id == "T-003")
        roles = {r.role for r in await uow.staff_roles.for_staff(orlova.id)}
        assert roles == {StaffRoleKind.DEPUTY, StaffRoleKind.TEACHER}
        students = await uow.students.in_class(c7.id)
        assert [s.last_name for s in students] == ["Ёлкина", "Иванов", "Петрова", "Сидоров"]
        ivanov = students[1]
        assert (ivanov.source_id, ivanov.birth_date, ivanov.arrived_on) == (
            "S-101",
            date(2013, 3, 14),
            date(2026, 9, 1),
        )
        (group1, _group2) = await uow.subgroups.for_class(c7.id)
        assert group1.name == "Англ. гр. 1"
        assert set(await uow.subgroups.member_ids(group1.id)) == {students[1].id, students[2].id}
        mother = next(g for g in await uow.guardians.list_all() if g.source_id == "P-501")
        links = await uow.guardian_links.for_guardian(mother.id)
        assert len(links) == 2 and {x.relation for x in links} == {"mother"}
        assert all(x.consent_at is None for x in links)


async def test_the_same_roster_as_csv_files_changes_nothing(database: Database, clock) -> None:
    await import_roster(database, clock, EXAMPLES / "roster.xlsx")
    before = await snapshot(database)
    report = await import_roster(database, clock, *sorted((EXAMPLES / "roster-csv").glob("*.csv")))
    assert report.applied and not report.errors
    assert all(t.added == t.changed == t.left == 0 for _, t in report.rows())
    assert report.tally("student").unchanged == 7
    after = await snapshot(database)
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {"audit_log": 1}


async def test_a_student_missing_from_a_new_roster_has_left_and_history_stays(
    database: Database, clock, tmp_path: Path
) -> None:
    await import_roster(database, clock, EXAMPLES / "roster.xlsx")
    book = load_workbook(EXAMPLES / "roster.xlsx")
    sheet = book["students"]
    sheet.delete_rows(4)  # S-103 Сидоров
    sheet.append(["S-105", "7А", "Новиков", "Лев", "", "2013-06-06", "Англ. гр. 2"])
    sheet.cell(2, 2).value = "5А"  # S-101 moves to 5А
    sheet.cell(2, 7).value = ""
    path = tmp_path / "roster.xlsx"
    book.save(path)
    report = await import_roster(database, clock, path)
    assert report.applied, report.errors
    t = report.tally("student")
    assert (t.added, t.changed, t.unchanged, t.left, t.moved) == (1, 0, 5, 1, 1)
    async with database.uow(readonly=True) as uow:
        people = {s.source_id: s for s in await uow.students.list_all()}
        assert people["S-103"].left_on == date(2026, 11, 17)
        assert people["S-105"].arrived_on == date(2026, 11, 18)
        assert people["S-101"].class_id == people["S-201"].class_id
        actions = sorted(e.action for e in await uow.audit.list_all() if e.student_id)
        assert actions == ["student.left", "student.move"]
    # The student comes back: no longer left.
    report = await import_roster(database, clock, EXAMPLES / "roster.xlsx")
    t = report.tally("student")
    assert (t.changed, t.moved, t.left) == (1, 1, 1)  # S-103 back, S-101 back in 7А
    async with database.uow(readonly=True) as uow:
        people = {s.source_id: s for s in await uow.students.list_all()}
        assert people["S-103"].left_on is None and people["S-105"].left_on is not None


async def test_a_validation_run_reports_and_changes_nothing(database: Database, clock) -> None:
    before = await snapshot(database)
    report = await import_roster(database, clock, EXAMPLES / "roster.xlsx", apply=False)
    assert not report.applied and report.tally("student").added == 7
    assert await snapshot(database) == before


def _broken(tmp_path: Path, sheet: str, edit) -> Path:
    book = load_workbook(EXAMPLES / "roster.xlsx")
    edit(book[sheet])
    path = tmp_path / "broken.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("sheet", "edit", "expected"),
    [
        ("students", lambda s: s.delete_cols(3), ("broken.xlsx:students", 1, "missing_column")),
        ("students", lambda s: s.cell(3, 1, "S-101"), ("broken.xlsx:students", 3, "duplicate_id")),
        ("staff", lambda s: s.cell(5, 6, "9Б"), ("broken.xlsx:staff", 5, "unknown_class")),
        ("students", lambda s: s.cell(4, 2, "семь"), ("broken.xlsx:students", 4, "bad_class")),
        ("students", lambda s: s.cell(5, 6, "31.02.2013"), ("broken.xlsx:students", 5, "bad_date")),
        (
            "guardians",
            lambda s: s.cell(2, 7, "S-999"),
            ("broken.xlsx:guardians", 2, "unknown_student"),
        ),
        (
            "students",
            lambda s: s.cell(6, 7, "Англ. гр. 3"),
            ("broken.xlsx:students", 6, "unknown_subgroup"),
        ),
        (
            "calendar",
            lambda s: s.cell(3, 4, "2026-10-20"),
            ("broken.xlsx:calendar", 3, "period_overlap"),
        ),
        (
            "calendar",
            lambda s: s.cell(5, 5, "2027-09-20"),
            ("broken.xlsx:calendar", 5, "date_outside_year"),
        ),
        ("staff", lambda s: s.cell(3, 5, "janitor"), ("broken.xlsx:staff", 3, "bad_role")),
    ],
)
async def test_a_broken_roster_is_refused_with_file_line_and_reason(
    database: Database, clock, tmp_path: Path, sheet, edit, expected
) -> None:
    before = await snapshot(database)
    report = await import_roster(database, clock, _broken(tmp_path, sheet, edit))
    assert not report.applied
    assert expected in problems(report), report.errors
    assert await snapshot(database) == before


async def test_an_arrival_date_outside_the_year_is_refused(
    database: Database, clock, tmp_path: Path
) -> None:
    path = tmp_path / "students.csv"
    path.write_text(
        "student_id,class,last_name,first_name,arrived_on\nS1,7А,Орлов,Глеб,2026-09-01\n"
        "S2,7А,Лосева,Вера,2025-05-05\n",
        encoding="utf-8",
    )
    before = await snapshot(database)
    report = await import_roster(database, clock, EXAMPLES / "roster-csv" / "calendar.csv", path)
    assert problems(report) == {("students.csv", 3, "date_outside_year")}
    assert await snapshot(database) == before


async def test_without_a_calendar_the_year_must_exist(
    database: Database, clock, tmp_path: Path
) -> None:
    path = tmp_path / "students.csv"
    path.write_text("student_id,class,last_name,first_name\nS1,7А,Орлов,Глеб\n", encoding="utf-8")
    report = await import_roster(database, clock, path)
    assert problems(report) == {("", None, "no_school_year")}


async def test_the_timetable_imports_and_a_new_one_ends_what_it_drops(
    school: Database, clock, tmp_path: Path
) -> None:
    async with school.uow(readonly=True) as uow:
        entries = await uow.timetable.list_all()
        bells = await uow.bells.list_all()
        teachings = await uow.teachings.list_all()
    assert len(entries) == 26 and len(bells) == 4
    assert {(b.slot, b.starts_at.isoformat()) for b in bells} >= {(1, "08:30:00")}
    # 7А maths, both English groups, history; 5А Russian and history.
    assert len(teachings) == 6
    lines = (EXAMPLES / "timetable.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "timetable.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    report = await import_timetable(school, clock, tmp_path / "timetable.csv")
    t = report.tally("timetable")
    assert (t.added, t.changed, t.unchanged, t.left) == (0, 0, 25, 1)
    async with school.uow(readonly=True) as uow:
        ended = [e for e in await uow.timetable.list_all() if e.valid_to is not None]
    assert [(e.weekday, e.slot, e.valid_to) for e in ended] == [(2, 3, date(2026, 11, 17))]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("7А;Пн;1;История;T-005;;105", ("timetable.csv", 28, "duplicate_slot")),
        ("5А;Ср;3;История;T-005;;105", ("timetable.csv", 28, "teacher_clash")),
        ("7Б;Пн;4;История;T-005;;105", ("timetable.csv", 28, "unknown_class")),
        ("7А;Пн;4;История;Петров;;105", ("timetable.csv", 28, "unknown_teacher")),
        ("7А;Вс8;4;История;T-005;;105", ("timetable.csv", 28, "bad_weekday")),
        ("7А;Пн;2;История;T-005;;105", ("timetable.csv", 28, "class_clash")),
    ],
)
async def test_a_broken_timetable_is_refused(
    school: Database, clock, tmp_path: Path, line: str, expected
) -> None:
    shutil.copy(EXAMPLES / "timetable.csv", tmp_path / "timetable.csv")
    with (tmp_path / "timetable.csv").open("a", encoding="utf-8") as fp:
        fp.write(line + "\r\n")
    before = await snapshot(school)
    report = await import_timetable(school, clock, tmp_path / "timetable.csv")
    assert expected in problems(report), report.errors
    assert await snapshot(school) == before
