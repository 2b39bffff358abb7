"""The administrator at the console on a school from its own files: ``status`` says what is
missing with the command that fixes it, ``lessons`` makes, moves and adds lessons, ``student
move``, ``period move`` and ``year new --dry-run`` work, and every command takes the school's
own ids (K-02, U-101, T-004); bad input is one clear line and a non-zero exit."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from core.model import LessonOrigin, LessonStatus, PersonRole
from storage.db import Database
from tests.school.test_year_turnover import calendar_file
from tests.support import TgUser
from tests.support.school import ImportedSchool


@pytest.fixture
def console(school: ImportedSchool, monkeypatch: pytest.MonkeyPatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", school.database.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SCHOOLBOT_NOW", school.clock.now().replace(tzinfo=None).isoformat())
    monkeypatch.setenv("DEFAULT_LOCALE", "ru")
    monkeypatch.delenv("BACKUP_DIRS", raising=False)
    monkeypatch.delenv("BACKUP_KEY", raising=False)

    async def run(*args: str) -> tuple[int, str, str]:
        code = await asyncio.to_thread(main, list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


async def lessons_of(school: ImportedSchool, cls: str, day: date) -> dict[int, tuple]:
    async with school.database.uow(readonly=True) as uow:
        found = next(c for c in await uow.classes.list_all() if c.name == cls)
        return {
            x.slot: (x.subject_id, x.teacher_id, x.status, x.origin)
            for x in await uow.lessons.for_class(found.id, day, day)
        }


async def test_status_says_what_is_missing_and_how_to_fix_it(
    school: ImportedSchool, console, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, out, _ = await console("status")
    assert code == 1  # backups beside the database only, and no key to sign them: not ready
    assert "BACKUP_DIRS" in out and "только в одно место" in out
    assert "invites --staff" in out  # the timetable's teachers have not signed in
    assert "schoolbot invites --class 5А --out codes-5А" in out  # nor have the parents codes
    assert "Орлова Н.И.," in out and ".." not in out
    monkeypatch.setenv("BACKUP_DIRS", f"{tmp_path / 'a'},{tmp_path / 'b'}")
    code, out, _ = await console("status")
    assert code == 1 and "schoolbot backup key new" in out  # unsigned backups are not made
    monkeypatch.setenv("BACKUP_KEY", "k" * 43)
    code, out, err = await console("status")
    assert code == 0 and "на одном диске" in out  # two folders, one medium: a warning
    from storage import backup

    media = {tmp_path / "a": 1, tmp_path / "b": 2}  # as if b were a mounted disk
    monkeypatch.setattr(backup, "device_of", lambda folder: media[folder])
    code, out, err = await console("status")
    assert "⚠️ Пробного восстановления ещё не было" in out  # the weekly drill has not run yet
    # the first quarter is over, its window too, and its marks were never set here: the
    # school works on, told to close it (the nightly job would)
    assert code == 0 and "BACKUP_DIRS" not in out and "⚠️ Период закончился: I четверть" in out
    assert "⛔" not in out and "period close 1" in out
    assert (await console("period", "close", "1"))[0] == 0
    code, out, err = await console("status")
    assert code == 0 and "Период закончился" not in out, (out, err)


async def test_staff_codes_on_one_sheet(school: ImportedSchool, console, tmp_path: Path) -> None:
    """The admin prints the staff's cards; a teacher signs in with hers; the next sheet is for
    the rest only, and nobody's access is touched."""
    code, out, _ = await console("invites", "--staff", "--out", str(tmp_path / "staff"))
    assert code == 0 and "8" in out
    book = load_workbook(tmp_path / "staff.xlsx")
    rows = {r[1]: r for r in book.active.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 8 and (tmp_path / "staff.pdf").stat().st_size > 0
    smirnova = rows["Смирнова Анна Петровна"]
    assert smirnova[2] == "Учитель" and smirnova[4] == "7А"  # the class she leads
    assert rows["Павлова Ирина Сергеевна"][2] == "Администратор журнала"
    teacher = TgUser(6001, "Анна")
    await school.tester.send(f"/start {smirnova[5]}", user=teacher)
    code, out, _ = await console("invites", "--staff", "--out", str(tmp_path / "again"))
    again = {
        r[1]
        for r in load_workbook(tmp_path / "again.xlsx").active.iter_rows(
            min_row=2, values_only=True
        )
    }
    assert code == 0 and len(again) == 7 and "Смирнова Анна Петровна" not in again
    async with school.database.uow(readonly=True) as uow:
        sid = await school.person_id(PersonRole.STAFF, "T-004")
        assert await uow.account_links.active_for_people(PersonRole.STAFF, [sid])


async def test_status_of_an_empty_database(database: Database, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", database.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DEFAULT_LOCALE", "ru")
    assert await asyncio.to_thread(main, ["status"]) == 1
    assert "schoolbot import roster" in capsys.readouterr().out


async def test_lessons_at_the_console(school: ImportedSchool, console) -> None:
    code, out, _ = await console("lessons", "make", "--from", "2026-11-30", "--to", "2026-12-02")
    assert code == 0
    assert await lessons_of(school, "6Б", date(2026, 11, 30))  # the past days made on request
    # Monday's fifth lesson of 6Б cancelled, Friday's fourth (PE) moved there
    code, _, _ = await console(
        "lessons",
        "cancel",
        "--class",
        "6Б",
        "--date",
        "2026-12-07",
        "--slot",
        "5",
        "--reason",
        "Учитель на курсах",
    )
    assert code == 0
    code, out, _ = await console(
        "lessons",
        "move",
        "--class",
        "6Б",
        "--date",
        "2026-12-04",
        "--slot",
        "4",
        "--to-date",
        "2026-12-07",
        "--to-slot",
        "5",
    )
    assert code == 0, out
    monday = await lessons_of(school, "6Б", date(2026, 12, 7))
    friday = await lessons_of(school, "6Б", date(2026, 12, 4))
    assert monday[5][3] == LessonOrigin.MOVED and friday[4][2] == LessonStatus.CANCELLED
    # an extra lesson where the history teacher is already teaching: refused, with the reason
    await console("lessons", "cancel", "--class", "5А", "--date", "2026-12-08", "--slot", "5")
    code, _, err = await console(
        "lessons",
        "add",
        "--class",
        "5А",
        "--date",
        "2026-12-08",
        "--slot",
        "5",
        "--subject",
        "История",
        "--teacher",
        "T-003",
    )
    assert code == 1 and "7А" in err
    code, _, _ = await console(
        "lessons",
        "add",
        "--class",
        "5А",
        "--date",
        "2026-12-08",
        "--slot",
        "5",
        "--subject",
        "Математика",
        "--teacher",
        "T-004",
    )
    assert code == 0
    assert (await lessons_of(school, "5А", date(2026, 12, 8)))[5][3] == LessonOrigin.EXTRA
    # bad input
    for args in (
        ("lessons", "cancel", "--class", "9Я", "--date", "2026-12-08", "--slot", "1"),
        (
            "lessons",
            "substitute",
            "--class",
            "5А",
            "--date",
            "2026-12-08",
            "--slot",
            "1",
            "--teacher",
            "T-999",
        ),
        (
            "lessons",
            "move",
            "--class",
            "5А",
            "--date",
            "2026-12-08",
            "--slot",
            "1",
            "--to-date",
            "2026-12-11",
            "--to-slot",
            "5",
        ),  # the day off
    ):
        code, out, err = await console(*args)
        assert code == 1 and err.startswith("schoolbot: ") and err.count("\n") == 1, err


async def test_people_by_the_schools_own_ids(school: ImportedSchool, console) -> None:
    code, out, _ = await console("invite", "--role", "guardian", "--id", "U-101")
    assert code == 0 and "Иванова Ольга Викторовна" in out
    code, out, err = await console(
        "student", "move", "--id", "K-02", "--to", "5А", "--on", "2026-12-07"
    )
    assert code == 0, err
    petrova = await school.person_id(PersonRole.STUDENT, "K-02")
    async with school.database.uow(readonly=True) as uow:
        student = await uow.students.get(petrova)
        five = next(c for c in await uow.classes.list_all() if c.name == "5А")
    assert (student.class_id, student.class_since) == (five.id, date(2026, 12, 7))
    code, out, _ = await console("audit", "--student", "K-02")
    assert code == 0 and "Переведён(а) в другой класс: 7А → 5А" in out
    for args in (
        ("student", "move", "--id", "K-99", "--to", "5А"),
        ("student", "move", "--id", "K-01", "--to", "9Я"),
        ("invite", "--role", "teacher", "--id", "U-101"),
    ):
        code, _, err = await console(*args)
        assert code == 1 and err.count("\n") == 1, err


async def test_a_quarantine_and_a_trial_of_the_new_year(
    school: ImportedSchool, console, tmp_path: Path
) -> None:
    code, out, err = await console(
        "period", "move", "2", "--from", "2026-11-05", "--to", "2026-12-18", "--reason", "карантин"
    )
    assert code == 0, err
    assert not await lessons_of(school, "7А", date(2026, 12, 21))  # after the new end: gone
    assert await lessons_of(school, "7А", date(2026, 12, 18))
    code, out, err = await console(
        "year", "new", "2027/2028", "--calendar", str(calendar_file(tmp_path)), "--dry-run"
    )
    assert code == 0, err
    assert "7А → 8А" in out
    async with school.database.uow(readonly=True) as uow:
        assert len(await uow.years.list_all()) == 1


async def test_a_period_not_over_is_not_closed(school: ImportedSchool, console) -> None:
    """#15: the third quarter (12.01–21.03) cannot be closed in December; nothing changes."""
    code, _, err = await console("period", "close", "3")
    assert code == 1 and "21 марта" in err and "Traceback" not in err
    async with school.database.uow(readonly=True) as uow:
        assert not any(p.closed for p in await uow.periods.list_all() if p.number >= 2)
