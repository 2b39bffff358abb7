"""People move, history stays: a student moved to another class (by a re-import with its day,
or from the console) leaves the closed first quarter's summary sheet and journal export
byte-for-byte as they were, shows in the movement report, and keeps the marks of both classes
in the diary; the old class's teacher stops reading the student; a transfer into a closed
period or past the old class's marks is refused with the reason, changing nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core import model as m
from core.access import SYSTEM, Viewer
from core.diary import DiaryService
from core.errors import AccessDenied
from core.journal import JournalService
from core.model import MarkValue, PersonRole
from core.reports import ReportService
from locales import translations
from storage.exports import journal_xlsx, table_xlsx
from tests.support import TgUser
from tests.support.school import ImportedSchool

RU = translations("ru").gettext
MOTHER = TgUser(4001, "Ольга")  # U-101: Иванов Пётр (K-01, 7А) and Волкова София (5А)
TEACHER = TgUser(4002, "Анна")  # T-004: maths in every class, class teacher of 7А


async def _first_quarter(school: ImportedSchool) -> dict[str, int]:
    """Lessons of the first quarter, Иванов's and Петрова's marks in 7А's maths, Иванов's
    period mark; the quarter closed."""
    admin = school.services.school_admin
    await admin.make_lessons(SYSTEM, date(2026, 9, 1), date(2026, 10, 24))
    ids = {k: await school.person_id(PersonRole.STUDENT, k) for k in ("K-01", "K-02")}
    teacher = await school.person_id(PersonRole.STAFF, "T-004")
    async with school.database.uow() as uow:
        year = await uow.years.containing(date(2026, 10, 1))
        q1 = next(p for p in await uow.periods.for_year(year.id) if p.number == 1)
        oral = next(w for w in await uow.work_types.list_all() if w.code == "oral")
        seven = next(c for c in await uow.classes.for_year(year.id) if c.name == "7А")
        lessons = [
            x
            for x in await uow.lessons.for_class(seven.id, q1.starts_on, q1.ends_on)
            if x.teacher_id == teacher
        ][:6]
        at = datetime(2026, 10, 1, 12, 0, tzinfo=school.clock.tz)
        for n, lesson in enumerate(lessons):
            for student, value in ((ids["K-01"], "5" if n % 2 else "4"), (ids["K-02"], "3")):
                await uow.marks.add(
                    m.Mark(
                        lesson.id,
                        student,
                        lesson.subject_id,
                        lesson.day,
                        MarkValue(value),
                        oral.id,
                        teacher,
                        at,
                    )
                )
        await uow.finals.add(
            m.FinalMark(
                ids["K-01"],
                lessons[0].subject_id,
                year.id,
                m.FinalKind.PERIOD,
                MarkValue.FOUR,
                teacher,
                at,
                period_id=q1.id,
            )
        )
        await uow.commit()
    await admin.close_period(SYSTEM, q1.id)  # type: ignore[arg-type]
    return ids


async def _sheets(school: ImportedSchool, period: int) -> dict[str, bytes]:
    reports = ReportService(school.database.uow, school.clock)
    found = {}
    for name in ("7А", "5А"):
        found[f"summary {name}"] = table_xlsx(await reports.marks_summary(SYSTEM, name, period), RU)
        found[f"journal {name}"] = journal_xlsx(await reports.journal(SYSTEM, name, period), RU)
    return found


def _move_in_file(school: ImportedSchool, student: str, to: str, on: str) -> None:
    rows = school.files.students
    if rows[0][-1] != "Дата перевода":
        rows[0].append("Дата перевода")
        for row in rows[1:]:
            row.append("")
    row = next(r for r in rows if r[0] == student)
    row[1], row[-1] = to, on
    row[5] = ""  # 5А has no English groups


async def test_a_transfer_by_reimport_leaves_the_closed_quarter_as_it_was(
    school: ImportedSchool,
) -> None:
    ids = await _first_quarter(school)
    before = await _sheets(school, 1)
    summary_q2 = await ReportService(school.database.uow, school.clock).marks_summary(
        SYSTEM, "7А", 2
    )
    _move_in_file(school, "K-01", "5А", "03.12.2026")
    report = await school.import_roster()
    assert report.applied, report.errors
    assert report.tally("student").moved == 1
    assert await _sheets(school, 1) == before  # byte for byte
    reports = ReportService(school.database.uow, school.clock)
    # the second quarter: in 7А until 2 December, in 5А from the 3rd: on both sheets
    names_7 = [r[1] for r in (await reports.marks_summary(SYSTEM, "7А", 2)).rows]
    names_5 = [r[1] for r in (await reports.marks_summary(SYSTEM, "5А", 2)).rows]
    assert "Иванов Пётр Алексеевич" in names_7 and "Иванов Пётр Алексеевич" in names_5
    assert [r[1] for r in summary_q2.rows] == names_7
    movement = await reports.movement(SYSTEM, date(2026, 12, 1), date(2026, 12, 31))
    assert ("transferred", "Иванов Пётр Алексеевич", "7А → 5А") in [r[1:] for r in movement.rows]
    async with school.database.uow(readonly=True) as uow:
        (entry,) = [
            e for e in await uow.audit.for_student(ids["K-01"]) if e.action == "student.move"
        ]
    assert entry.after == "5А 2026-12-03"


async def test_the_diary_shows_both_classes_and_the_old_teacher_reads_no_more(
    school: ImportedSchool,
) -> None:
    ids = await _first_quarter(school)
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    await school.link(TEACHER, PersonRole.TEACHER, "T-004")
    teacher_id = await school.person_id(PersonRole.STAFF, "T-004")
    class_teacher_5 = await school.person_id(PersonRole.STAFF, "T-005")
    _move_in_file(school, "K-01", "5А", "03.12.2026")
    assert (await school.import_roster()).applied
    # a mark in 5А today
    school.clock.set(datetime(2026, 12, 3, 14, 0, tzinfo=school.clock.tz))
    async with school.database.uow(readonly=True) as uow:
        five = next(c for c in await uow.classes.list_all() if c.name == "5А")
        day = school.clock.today()
        mine = await uow.lessons.for_teacher(teacher_id, day, day)
        today = [x for x in mine if x.class_id == five.id]
        oral = next(w for w in await uow.work_types.list_all() if w.code == "oral")
    journal = JournalService(school.database.uow, school.clock)
    await journal.give_mark(SYSTEM, today[0].id, ids["K-01"], MarkValue.FIVE, oral.id)
    diary = DiaryService(school.database.uow, school.clock)
    mother = await school.services.viewers.get("telegram", str(MOTHER.id), True)
    q2 = await diary.period_marks(mother, ids["K-01"])
    assert q2.student.class_name == "5А"
    assert [v.value for s in q2.subjects for v in s.marks] == [MarkValue.FIVE]
    q1 = await diary.period_marks(mother, ids["K-01"], q2.periods[0].id)
    assert len([v for s in q1.subjects for v in s.marks]) == 6  # the marks of 7А
    latest = await diary.latest_marks(mother, ids["K-01"], 50)
    assert len(latest) == 7
    # the week of the move: 7А's lessons (rooms 3xx) until Wednesday, 5А's (1xx) from Thursday
    await school.services.school_admin.make_lessons(SYSTEM, date(2026, 11, 30), date(2026, 12, 2))
    week = await diary.timetable(mother, ids["K-01"], date(2026, 11, 30), date(2026, 12, 4))
    rooms = {d.day.day: {x.room[0] for x in d.lessons} for d in week.days}
    assert rooms == {30: {"3"}, 1: {"3"}, 2: {"3"}, 3: {"1"}, 4: {"1"}}
    # 7А's class teacher no longer reads him, 5А's does; his maths teacher (who teaches 5А
    # too) reads his maths only
    teacher = await school.services.viewers.get("telegram", str(TEACHER.id), True)
    seen = await diary.period_marks(teacher, ids["K-01"])
    assert [s.subject_name for s in seen.subjects] == ["Математика"]
    async with school.database.uow(readonly=True) as uow:
        seven = next(c for c in await uow.classes.list_all() if c.name == "7А")
    assert seven.class_teacher_id == teacher_id
    class_teacher_7 = Viewer(staff_id=teacher_id, class_teacher_of=frozenset({seven.id}))
    with pytest.raises(AccessDenied):
        await diary.period_marks(class_teacher_7, ids["K-01"])
    class_teacher = Viewer(staff_id=class_teacher_5, class_teacher_of=frozenset({five.id}))
    assert (await diary.period_marks(class_teacher, ids["K-01"])).student.class_name == "5А"


async def test_a_transfer_into_a_closed_period_or_past_marks_is_refused(
    school: ImportedSchool,
) -> None:
    ids = await _first_quarter(school)
    before = await _sheets(school, 1)
    _move_in_file(school, "K-01", "5А", "20.10.2026")
    report = await school.import_roster()
    assert not report.applied
    line = next(i for i, r in enumerate(school.files.students) if r[0] == "K-01") + 1
    assert {(p.file, p.line, p.code) for p in report.errors} == {
        ("students.csv", line, "transfer_closed_period")
    }
    # a mark in 7А on 1 December: a transfer from 30 November would leave it outside the class
    teacher = await school.person_id(PersonRole.STAFF, "T-004")
    async with school.database.uow() as uow:
        seven = next(c for c in await uow.classes.list_all() if c.name == "7А")
        lesson = next(
            x
            for x in await uow.lessons.for_teacher(teacher, date(2026, 12, 3), date(2026, 12, 3))
            if x.class_id == seven.id
        )
        oral = next(w for w in await uow.work_types.list_all() if w.code == "oral")
        past = m.Lesson(lesson.class_id, date(2026, 12, 1), 6, lesson.subject_id, teacher)
        past = await uow.lessons.add(past)
        await uow.marks.add(
            m.Mark(
                past.id,
                ids["K-01"],
                past.subject_id,
                past.day,
                MarkValue.FOUR,
                oral.id,
                teacher,
                school.clock.now(),
            )
        )
        await uow.commit()
    _move_in_file(school, "K-01", "5А", "30.11.2026")
    report = await school.import_roster()
    assert {p.code for p in report.errors} == {"transfer_records"}
    assert await _sheets(school, 1) == before
    async with school.database.uow(readonly=True) as uow:
        student = await uow.students.get(ids["K-01"])
        assert student is not None and student.class_since is None  # nothing moved
