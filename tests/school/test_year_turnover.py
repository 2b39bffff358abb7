"""The year turns over on a school with its year behind it: ``year new 2027/2028`` from the new
calendar moves every class up a grade with its students, class teacher and groups, lets the
last grade leave, closes the finished year and keeps it readable (last year's finals in
/finals); links carry over, teaching waits for the new timetable; refusals change nothing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from app.keyboards import DiaryCb, View
from core import model as m
from core.access import SYSTEM
from core.imports import ALIASES
from core.model import MarkValue, PersonRole
from core.year import YearService
from storage.db import Database
from storage.importers import read_tables
from tests.support import TgUser
from tests.support.school import SchoolFiles, open_school

MOTHER = TgUser(7001, "Ольга")  # U-101: K-01 Иванов (7А), K-22 Волкова (5А)


def calendar_file(folder: Path, year: str = "2027/2028") -> Path:
    book = Workbook()
    cal = book.active
    cal.title = "calendar"
    cal.append(["year", "period", "kind", "starts_on", "ends_on"])
    for n, (a, b) in enumerate(
        [
            ("01.09.2027", "26.10.2027"),
            ("05.11.2027", "28.12.2027"),
            ("12.01.2028", "21.03.2028"),
            ("01.04.2028", "26.05.2028"),
        ],
        start=1,
    ):
        cal.append([year, n, "quarter", a, b])
    holidays = book.create_sheet("holidays")
    holidays.append(["Название", "Дата начала", "Дата окончания"])
    holidays.append(["Осенние каникулы", "27.10.2027", "04.11.2027"])
    path = folder / f"calendar-{year.replace('/', '-')}.xlsx"
    book.save(path)
    return path


async def test_the_year_turns_over(database: Database, tmp_path: Path) -> None:
    files = SchoolFiles()
    files.students.append(["K-31", "11А", "Орлов", "Никита", "Ильич", ""])
    files.guardians.append(["U-131", "Орлова", "Вера", "", "", "K-31"])
    school = await open_school(database, tmp_path / "files", files)
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    ivanov = await school.person_id(PersonRole.STUDENT, "K-01")
    orlov = await school.person_id(PersonRole.STUDENT, "K-31")
    async with school.database.uow() as uow:
        old = await uow.years.containing(date(2026, 12, 3))
        maths = next(x for x in await uow.subjects.list_all() if x.name == "Математика")
        teacher = await school.person_id(PersonRole.STAFF, "T-004")
        await uow.finals.add(
            m.FinalMark(
                ivanov,
                maths.id,
                old.id,
                m.FinalKind.YEAR,
                MarkValue.FIVE,
                teacher,
                datetime(2027, 5, 27, 12, tzinfo=school.clock.tz),
            )
        )
        await uow.commit()
    school.clock.set(datetime(2027, 6, 20, 10, 0, tzinfo=school.clock.tz))
    tables = read_tables([calendar_file(tmp_path)], ALIASES)
    years = YearService(school.database.uow, school.clock)

    trial = await years.new_year(SYSTEM, "2027/2028", tables, apply=False)
    assert not trial.report.applied and not trial.report.errors
    assert sorted(trial.classes) == [
        ("5А", "6А"),
        ("6Б", "7Б"),
        ("7А", "8А"),
    ]
    assert (trial.promoted, trial.graduates) == (9, 1)
    async with school.database.uow(readonly=True) as uow:
        assert len(await uow.years.list_all()) == 1  # the trial changed nothing

    done = await years.new_year(SYSTEM, "2027/2028", tables)
    assert done.report.applied, done.report.errors
    async with school.database.uow(readonly=True) as uow:
        new = next(y for y in await uow.years.list_all() if y.name == "2027/2028")
        classes = {c.name: c for c in await uow.classes.for_year(new.id)}
        assert sorted(classes) == ["6А", "7Б", "8А"]
        assert classes["8А"].class_teacher_id == teacher  # the class teacher goes up with it
        student = await uow.students.get(ivanov)
        assert (student.class_id, student.class_since) == (classes["8А"].id, date(2027, 9, 1))
        # until the summer ends he is in 7А: the old year's rosters are as they were
        old_seven = next(c for c in await uow.classes.for_year(old.id) if c.name == "7А")
        summer = await uow.students.in_class(old_seven.id, on=date(2027, 8, 31))
        autumn = await uow.students.in_class(classes["8А"].id, on=date(2027, 9, 1))
        assert ivanov in {s.id for s in summer} and ivanov in {s.id for s in autumn}
        groups = {g.name: g for g in await uow.subgroups.for_class(classes["8А"].id)}
        assert ivanov in await uow.subgroups.member_ids(groups["Англ. 1"].id, on=date(2027, 9, 1))
        assert (await uow.students.get(orlov)).left_on == date(2027, 8, 31)  # graduated
        assert all(p.closed for p in await uow.periods.for_year(old.id))
        assert len(await uow.periods.for_year(new.id)) == 4
        assert [h.name for h in await uow.holidays.for_year(new.id)] == ["Осенние каникулы"]
        assert await uow.teachings.for_class(classes["8А"].id) == []  # waits for the timetable

    # September: the mother's diary is 8А's; last year's finals a button away
    school.clock.set(datetime(2027, 9, 2, 10, 0, tzinfo=school.clock.tz))
    await school.tester.send("/finals", user=MOTHER)
    assert "2027/2028" in school.tester.last_text(MOTHER)
    await school.tester.click("2026/2027", user=MOTHER)
    last_year = school.tester.last_text(MOTHER)
    assert "Иванов Пётр" in last_year and "2026/2027" in last_year
    assert "<b>Математика</b> — год: 5" in last_year
    forged = DiaryCb(view=View.FINALS, student=ivanov, item=999)  # no such year of his
    await school.tester.click(forged, user=MOTHER, forged=True)
    assert "Ничего не найдено" in school.tester.session.requests[-1].text

    # the same year again, or a calendar of another year: refused, nothing changed
    again = await years.new_year(SYSTEM, "2027/2028", tables)
    assert {p.code for p in again.report.errors} == {"year_exists"}
    other = read_tables([calendar_file(tmp_path, "2028/2029")], ALIASES)
    wrong = await years.new_year(SYSTEM, "2029/2030", other)
    assert {p.code for p in wrong.report.errors} == {"other_year"}
    async with school.database.uow(readonly=True) as uow:
        assert len(await uow.years.list_all()) == 2
