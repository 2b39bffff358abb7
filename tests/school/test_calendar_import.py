"""A school that imports its own files gets lessons and work types: lessons on its school days
from today for three weeks, none on a day off or a weekend; the standard work types, or its
own with their weights; holidays imported after the timetable take their lessons away (the
written ones stay, reported); bad values refuse the whole import with file and line."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from core.access import SYSTEM
from core.diary import DiaryService
from core.import_apply import ImportService
from core.journal import JournalService
from core.model import MarkValue, PersonRole
from storage.db import Database
from storage.importers import read_oneroster
from tests.admin.conftest import EXAMPLES
from tests.support.school import ImportedSchool, SchoolFiles, open_school

THURSDAY = date(2026, 12, 3)


async def lessons_by_day(school: ImportedSchool, start: date, end: date) -> Counter[date]:
    async with school.database.uow(readonly=True) as uow:
        return Counter(x.day for x in await uow.lessons.between(start, end))


async def test_lessons_from_today_for_three_weeks_and_none_on_days_off(
    school: ImportedSchool,
) -> None:
    days = await lessons_by_day(school, THURSDAY - timedelta(days=3), THURSDAY + timedelta(30))
    assert min(days) == THURSDAY  # made from today on, the past left alone
    assert max(days) == date(2026, 12, 24)  # the horizon ends on Thursday 24 December
    for n in range(22):
        day = THURSDAY + timedelta(days=n)
        if day.weekday() >= 5 or day == date(2026, 12, 11):  # weekends, the day off
            assert days[day] == 0, day
        else:
            # five lessons for each of three classes; 7А's English is two groups at once
            assert days[day] in (15, 16), (day, days[day])
    # running the planner again makes nothing twice
    plan = await school.services.school_admin.keep_lessons_ahead()
    assert (plan.made, plan.changed, plan.removed) == (0, 0, 0)


async def test_a_school_without_its_own_work_types_gets_the_standard_set(
    school: ImportedSchool,
) -> None:
    async with school.database.uow(readonly=True) as uow:
        kinds = {w.short: w for w in await uow.work_types.list_all()}
    assert {"У", "КР", "СР", "ЛР", "ПР", "Д", "Соч", "Дикт", "Изл"} <= set(kinds)
    assert not kinds["У"].written and kinds["КР"].written and kinds["Дикт"].written
    assert (kinds["У"].weight, kinds["КР"].weight) == ("1", "2")


async def test_holidays_imported_later_take_their_lessons_and_report_the_written(
    school: ImportedSchool,
) -> None:
    teacher = await school.person_id(PersonRole.STAFF, "T-004")
    day = date(2026, 12, 10)
    async with school.database.uow() as uow:
        maths = next(x for x in await uow.lessons.for_teacher(teacher, day, day))
        maths.topic = "Уравнения с параметром"  # planned ahead
        await uow.commit()
    before = await lessons_by_day(school, date(2026, 12, 9), day)
    school.files.holidays.append(["Карантин", "09.12.2026", "10.12.2026"])
    report = await school.import_roster()
    assert report.applied, report.errors
    assert report.tally("holiday").added == 1
    assert report.tally("lesson").left == sum(before.values()) - 1  # all but the planned one
    (kept,) = [p for p in report.warnings if p.code == "lesson_kept_gone"]
    assert (kept.facts["day"], kept.facts["why"]) == (day, "topic")
    days = await lessons_by_day(school, date(2026, 12, 9), day)
    assert days == Counter({day: 1})
    # the holiday taken out again: the lessons come back
    school.files.holidays.pop()
    report = await school.import_roster()
    assert report.tally("holiday").left == 1
    assert sum((await lessons_by_day(school, date(2026, 12, 9), day)).values()) >= 30


async def test_the_schools_own_work_types_and_a_changed_weight_the_forecast_follows(
    school: ImportedSchool,
) -> None:
    school.files.extra["work_types"] = [
        ["Название", "Сокращение", "Вес", "Письменная"],
        ["Устный ответ", "У", "1", "нет"],
        ["Контрольная работа", "КР", "2", "да"],
        ["Тест", "Т", "1,5", "да"],
    ]
    report = await school.import_roster()
    assert report.applied, report.errors
    t = report.tally("work_type")
    assert (t.added, t.changed, t.unchanged) == (1, 0, 2)
    ivanov = await school.person_id(PersonRole.STUDENT, "K-01")
    teacher = await school.person_id(PersonRole.STAFF, "T-004")
    async with school.database.uow(readonly=True) as uow:
        kinds = {w.short: w for w in await uow.work_types.list_all()}
        today = await uow.lessons.for_teacher(teacher, THURSDAY, THURSDAY)
        (lesson,) = [x for x in today if x.slot == 5]
    assert (kinds["Т"].weight, kinds["Т"].written) == ("1.5", True)
    school.clock.set(school.clock.now().replace(hour=13))
    journal = JournalService(school.database.uow, school.clock)
    for value, kind in ((MarkValue.FIVE, "КР"), (MarkValue.THREE, "У"), (MarkValue.THREE, "У")):
        await journal.give_mark(SYSTEM, lesson.id, ivanov, value, kinds[kind].id)

    async def average() -> str:
        diary = DiaryService(school.database.uow, school.clock)  # a fresh calendar
        marks = await diary.period_marks(SYSTEM, ivanov)
        (maths,) = [x for x in marks.subjects if x.subject_name == "Математика"]
        return f"{float(maths.average):.2f}"

    assert await average() == "4.00"  # (5·2 + 3 + 3) / 4
    school.files.extra["work_types"][2][2] = "3"  # a test now weighs 3
    report = await school.import_roster()
    assert report.tally("work_type").changed == 1
    assert await average() == "4.20"  # (5·3 + 3 + 3) / 5
    async with school.database.uow(readonly=True) as uow:
        (entry,) = [e for e in await uow.audit.list_all() if e.action == "work_type.weight"]
    assert (entry.before, entry.after) == ("2", "3")


async def _refused(school: ImportedSchool, roster: bool = True) -> set[tuple[str, int | None, str]]:
    before = await lessons_by_day(school, THURSDAY, THURSDAY + timedelta(days=30))
    report = await (school.import_roster() if roster else school.import_timetable())
    assert not report.applied
    assert await lessons_by_day(school, THURSDAY, THURSDAY + timedelta(days=30)) == before
    return {(p.file, p.line, p.code) for p in report.errors}


async def test_bad_values_refuse_the_whole_import_with_file_and_line(
    school: ImportedSchool,
) -> None:
    school.files.extra["work_types"] = [
        ["name", "short", "weight", "written"],
        ["Устный ответ", "У", "0", "no"],
        ["Контрольная работа", "КР", "-1", "yes"],
        ["Зачёт", "Зач", "1", "может быть"],
    ]
    assert await _refused(school) == {
        ("work_types.csv", 2, "bad_weight"),
        ("work_types.csv", 3, "bad_weight"),
        ("work_types.csv", 4, "bad_flag"),
    }
    del school.files.extra["work_types"]
    school.files.holidays.append(["Летние каникулы", "01.06.2027", "01.09.2027"])
    assert await _refused(school) == {("holidays.csv", 5, "date_outside_year")}
    school.files.holidays.pop()
    # a lesson number the bells do not have; a Saturday in a five-day week
    school.files.timetable.append(["7А", "Пн", 7, "История", "T-003", "", "1"])
    school.files.timetable.append(["6Б", "Сб", 1, "История", "T-003", "", "1"])
    assert await _refused(school, roster=False) == {
        ("timetable.csv", len(school.files.timetable) - 1, "slot_not_a_bell"),
        ("timetable.csv", len(school.files.timetable), "weekday_off"),
    }


async def test_a_six_day_week_has_saturday_lessons(database: Database, tmp_path: Path) -> None:
    files = SchoolFiles()
    files.calendar[0].append("week")
    for row in files.calendar[1:]:
        row.append(6)
    files.timetable.append(["6Б", "Сб", 1, "История", "T-003", "", "1"])
    school = await open_school(database, tmp_path, files)
    days = await lessons_by_day(school, date(2026, 12, 5), date(2026, 12, 6))
    assert days == Counter({date(2026, 12, 5): 1})  # Saturday; never a Sunday


async def test_imported_marks_say_where_they_came_from_and_a_bad_date_is_refused(
    database: Database, clock, tmp_path: Path
) -> None:
    imports = ImportService(database.uow, clock)
    report = await imports.oneroster(SYSTEM, read_oneroster(EXAMPLES / "oneroster"), apply=True)
    assert report.applied, report.errors
    async with database.uow(readonly=True) as uow:
        marks = await uow.marks.list_all()
    assert marks and all(m.source.startswith("results.csv:") for m in marks)
    assert {m.created_at for m in marks} == {clock.now()}  # entered now, dated by the work
    assert {m.day for m in marks} >= {date(2026, 10, 1)}
    # a score date that is no date: the whole bundle is refused, with its line
    bundle = tmp_path / "bundle"
    shutil.copytree(EXAMPLES / "oneroster", bundle)
    results = bundle / "results.csv"
    lines = results.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("2026-10-02", "2025-13-45")
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = await imports.oneroster(SYSTEM, read_oneroster(bundle), apply=True)
    assert not report.applied
    assert {(p.file, p.line, p.code) for p in report.errors} == {("results.csv", 2, "bad_date")}
