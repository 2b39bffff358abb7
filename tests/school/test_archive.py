"""The archive (rule 12; 000 §4.6; 001 §10.1–10.3; 003 §5.6, §5.9) on a school that came in
through its own files: a period closed from /admin, at the console or by the nightly job puts
every class's journal into the archive of both backup places with the register; a year's
close puts every class's summary sheet there as XLSX and PDF, kept 25 years; ``archive list``
and ``archive verify`` read the register and name a changed, a missing or a stray file;
pruning backups never touches the archive; the status asks for two places on two media."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.archive import Archiver, archive_jobs
from app.config import Settings
from core import model as m
from core.access import SYSTEM
from core.model import MarkValue, PersonRole
from core.school_admin import SchoolAdminService
from handlers.admin import PeriodCb
from notifications.jobs import Jobs
from storage import backup as backups
from storage.archive import REGISTER, archive_dirs, read_register, verify
from storage.backup import sha256
from tests.school import test_console
from tests.school.test_year_turnover import calendar_file
from tests.support import TgUser
from tests.support.school import ImportedSchool

ADMIN = TgUser(4601, "Ирина")  # T-001: the journal admin
TEACHER = TgUser(4602, "Анна")  # T-004: a subject teacher
CLASSES = ("5А", "6Б", "7А")
console = test_console.console  # the fixture: ``schoolbot`` as the admin runs it


def _settings(school: ImportedSchool, *places: Path | str) -> Settings:
    return Settings(
        _env_file=None,
        bot_token="42:TEST",
        bot_username="schoolbot_test_bot",
        database_url=school.database.url.render_as_string(hide_password=False),
        backup_dirs=",".join(str(p) for p in places),
    )


async def _period_id(school: ImportedSchool, number: int) -> int:
    async with school.database.uow(readonly=True) as uow:
        year = await uow.years.containing(school.clock.today())
        return next(p.id for p in await uow.periods.for_year(year.id) if p.number == number)


def _files(place: Path) -> set[str]:
    """The archive's files (not its register, nor the dot file a run holds as its lock)."""
    return {
        p.name for p in (place / "archive").iterdir() if p.name != REGISTER and p.name[0] != "."
    }


async def test_a_period_closed_in_the_bot_is_archived_on_both_places(
    school: ImportedSchool, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    settings = _settings(school, a, b)
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    await school.link(TEACHER, PersonRole.TEACHER, "T-004")
    q2 = await _period_id(school, 2)
    school.clock.set(datetime(2026, 12, 28, 15, 0, tzinfo=school.clock.tz))  # its last day

    # a teacher's forged press closes nothing and archives nothing
    forged = PeriodCb(period=q2, action="close")
    await school.tester.click(forged, user=TEACHER, forged=True, settings=settings)
    assert not (a / "archive").exists() and not (b / "archive").exists()

    await school.tester.click(forged, user=ADMIN, forged=True, settings=settings)
    names = {f"2026-2027_2_{c}.xlsx" for c in CLASSES}
    for place in (a, b):
        assert _files(place) == names
        entries = {e.file: e for e in read_register(place / "archive")}
        assert set(entries) == names
        for name, e in entries.items():
            path = place / "archive" / name
            assert (e.sha256, e.size) == (sha256(path), path.stat().st_size)
            assert (e.kind, e.period, e.year) == ("journal", 2, "2026/2027")
            assert e.keep_until == date(2031, 12, 28)  # 5 years from the day it was written
    book = load_workbook(a / "archive" / "2026-2027_2_7А.xlsx")
    maths = book["Математика"]
    assert str(maths["A1"].value) == "Классный журнал 7А: Математика, II четверть, 2026/2027"
    assert "Иванов Пётр Алексеевич" in [r[1] for r in maths.iter_rows(values_only=True)]

    # a re-run, the nightly job too, writes nothing new
    archiver = Archiver(school.database.uow, school.clock)
    assert await archiver.catch_up(settings) == []
    ((name, job, _trigger),) = archive_jobs(settings, school.database.uow, school.clock)
    assert name == "archive" and await job() == 0
    assert len(read_register(a / "archive")) == 3

    # a place added later gets the whole archive
    c = tmp_path / "c"
    written = await archiver.catch_up(_settings(school, a, b, c))
    assert {e.file for e in written} == names and _files(c) == names


async def test_the_nightly_close_is_archived(school: ImportedSchool, tmp_path: Path) -> None:
    settings = _settings(school, tmp_path / "a", tmp_path / "b")
    school.clock.set(datetime(2027, 1, 10, 0, 10, tzinfo=school.clock.tz))
    assert await Jobs(school.database.uow, school.clock, lambda: None).school_calendar() >= 2
    ((_name, job, _trigger),) = archive_jobs(settings, school.database.uow, school.clock)
    assert await job() == 2 * 6  # quarters I and II, three classes, two places
    assert {n.split("_")[1] for n in _files(tmp_path / "b")} == {"1", "2"}


async def test_the_console_closes_lists_and_verifies(
    school: ImportedSchool, console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    monkeypatch.setenv("BACKUP_DIRS", f"{a},{b}")
    code, out, err = await console("archive", "list")
    assert code == 0 and "Архив пока пуст" in out, err
    code, out, err = await console("period", "close", "1")
    assert code == 0 and "2026-2027_1_5А.xlsx" in out, err
    code, out, _ = await console("archive", "write")
    assert code == 0 and "ничего нового" in out

    code, out, _ = await console("archive", "list")
    lines = out.splitlines()
    assert code == 0 and lines[1].startswith("Файл") and "Хранить до" in lines[1]
    row = next(line for line in lines if line.startswith("2026-2027_1_7А.xlsx"))
    assert "журнал" in row and "03.12.2031" in row and "2/2" in row
    code, out, _ = await console("archive", "verify")
    assert code == 0 and "3" in out

    changed = b / "archive" / "2026-2027_1_6Б.xlsx"
    changed.write_bytes(changed.read_bytes() + b"\0")
    (a / "archive" / "2026-2027_1_5А.xlsx").unlink()
    (a / "archive" / "notes.txt").write_text("?")
    code, _, err = await console("archive", "verify")
    assert code == 1
    assert f"2026-2027_1_6Б.xlsx в {b / 'archive'}" in err and "изменён" in err
    assert f"нет файла 2026-2027_1_5А.xlsx в {a / 'archive'}" in err
    assert "notes.txt" in err
    assert "2026-2027_1_7А.xlsx" not in err  # the intact ones are not named


async def _full_year(school: ImportedSchool) -> None:
    """Year marks for 7А's Иванов, an exam mark for 5А's first student."""
    ivanov = await school.person_id(PersonRole.STUDENT, "K-01")
    teacher = await school.person_id(PersonRole.STAFF, "T-004")
    at = datetime(2027, 5, 27, 12, tzinfo=school.clock.tz)
    async with school.database.uow() as uow:
        year = await uow.years.containing(date(2026, 12, 3))
        maths = next(x for x in await uow.subjects.list_all() if x.name == "Математика")
        q4 = next(p for p in await uow.periods.for_year(year.id) if p.number == 4)
        for kind, value, period in (
            (m.FinalKind.PERIOD, MarkValue.FOUR, q4.id),
            (m.FinalKind.YEAR, MarkValue.FIVE, None),
            (m.FinalKind.EXAM, MarkValue.FOUR, None),
            (m.FinalKind.FINAL, MarkValue.FIVE, None),
        ):
            await uow.finals.add(
                m.FinalMark(ivanov, maths.id, year.id, kind, value, teacher, at, period)
            )
        await uow.commit()


async def test_the_years_close_archives_every_summary_sheet(
    school: ImportedSchool, console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    settings = _settings(school, a, b)
    monkeypatch.setenv("BACKUP_DIRS", f"{a},{b}")
    archiver = Archiver(school.database.uow, school.clock)
    await _full_year(school)
    school.clock.set(datetime(2027, 5, 31, 10, 0, tzinfo=school.clock.tz))
    for n in (1, 2, 3, 4):  # the periods close one by one, as the school closes them
        await SchoolAdminService(school.database.uow, school.clock).close_period(
            SYSTEM, await _period_id(school, n)
        )
    written = await archiver.catch_up(settings)
    # the last period's close is not the year's: exam and final marks come in June
    assert {e.kind for e in written} == {"journal"} and len(written) == 4 * 3 * 2

    monkeypatch.setenv("SCHOOLBOT_NOW", "2027-06-20T10:00:00")
    calendar = calendar_file(tmp_path)
    code, out, err = await console("year", "new", "2027/2028", "--calendar", str(calendar))
    assert code == 0, (out, err)
    sheets = {f"2026-2027_year_{c}.{ext}" for c in CLASSES for ext in ("xlsx", "pdf")}
    assert "Записано в архив (6):" in out and all(name in out for name in sheets)
    code, out, _ = await console("archive", "list")
    row = next(line for line in out.splitlines() if line.startswith("2026-2027_year_7А.pdf"))
    assert "сводная ведомость" in row and "20.06.2052" in row and "2/2" in row
    for place in (a, b):
        entries = {e.file: e for e in read_register(place / "archive")}
        assert sheets <= set(entries) and len(entries) == 4 * 3 + 6
        for name in sheets:
            assert entries[name].kind == "summary"
            assert entries[name].keep_until == date(2052, 6, 20)  # 25 years (003 §5.9)
            assert entries[name].sha256 == sha256(place / "archive" / name)

    sheet = load_workbook(a / "archive" / "2026-2027_year_7А.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    assert "Сводная ведомость итоговых отметок: класс 7А, 2026/2027" in str(rows[0][0])
    header = list(rows[2])
    ivanov = next(
        r for r in rows if r[1] and str(r[1]).startswith("Иванов") and r[2] == "Математика"
    )
    assert ivanov[header.index("Годовая")] == "5"
    assert ivanov[header.index("Экзаменационная")] == "4"
    assert ivanov[header.index("Итоговая")] == "5"
    assert ivanov[header.index("Итог за IV четверть")] == "4"
    others = [r for r in rows[3:] if r[1] and not str(r[1]).startswith("Иванов")]
    assert others and all(v in (None, "") for r in others for v in r[3:])

    text = "\n".join(
        page.extract_text() for page in PdfReader(a / "archive" / "2026-2027_year_7А.pdf").pages
    )
    assert "7А" in text and "Иванов" in text and "Математика" in text and "Директор" in text
    assert "5А" not in text  # another class's sheet is its own file

    school.clock.set(datetime(2027, 6, 21, 10, 0, tzinfo=school.clock.tz))
    assert await archiver.catch_up(settings) == []  # nothing twice


async def test_reclosing_a_period_adds_a_copy_and_keeps_the_first(
    school: ImportedSchool, tmp_path: Path
) -> None:
    settings = _settings(school, tmp_path / "a", tmp_path / "b")
    archiver = Archiver(school.database.uow, school.clock)
    admin = SchoolAdminService(school.database.uow, school.clock)
    q1 = await _period_id(school, 1)
    await admin.close_period(SYSTEM, q1)
    await archiver.catch_up(settings)
    first = (tmp_path / "a" / "archive" / "2026-2027_1_7А.xlsx").read_bytes()
    await admin.reopen_period(SYSTEM, q1, "исправление ошибки")
    school.clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=school.clock.tz))
    await admin.close_period(SYSTEM, q1)
    written = await archiver.catch_up(settings)
    assert {e.file for e in written} == {f"2026-2027_1_{c}_v2.xlsx" for c in CLASSES}
    assert (tmp_path / "a" / "archive" / "2026-2027_1_7А.xlsx").read_bytes() == first


async def test_pruning_backups_leaves_the_archive(school: ImportedSchool, tmp_path: Path) -> None:
    place = tmp_path / "a"
    settings = _settings(school, place, tmp_path / "b")
    await Archiver(school.database.uow, school.clock).catch_up(settings)  # nothing closed yet
    await SchoolAdminService(school.database.uow, school.clock).close_period(
        SYSTEM, await _period_id(school, 1)
    )
    await Archiver(school.database.uow, school.clock).catch_up(settings)
    for stamp in ("20261201-023000", "20261202-023000"):
        (place / f"schoolbot-{stamp}").mkdir()
    removed = backups.prune(place, 0)
    assert sorted(p.name for p in removed) == [
        "schoolbot-20261201-023000",
        "schoolbot-20261202-023000",
    ]
    assert len(_files(place)) == 3
    assert verify(archive_dirs(settings)) == []
    register = json.loads((place / "archive" / REGISTER).read_text(encoding="utf-8"))
    assert register["format"] == 1 and len(register["files"]) == 3


def test_backups_are_on_by_default_beside_the_database(tmp_path: Path) -> None:
    db = tmp_path / "school" / "schoolbot.db"
    on = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{db}", backup_dirs="")
    assert backups.backup_dirs(on) == [tmp_path / "school" / "backups"]
    pg = Settings(_env_file=None, database_url="postgresql://u@db/school", backup_dirs="")
    assert backups.backup_dirs(pg) == [Path.cwd() / "backups"]
    off = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{db}", backup_dirs="off")
    assert backups.backup_dirs(off) == []


async def _backup_finding(school: ImportedSchool, settings: Settings) -> str | None:
    await school.tester.send("/admin", user=ADMIN, settings=settings)
    lines = school.tester.last_text(ADMIN).split("\n")
    fixes = [i for i, line in enumerate(lines) if "BACKUP_DIRS=/backups/a" in line]
    return lines[fixes[0] - 1] if fixes else None


async def test_the_status_asks_for_two_media(
    school: ImportedSchool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    settings = _settings(school, "")  # the default: beside the database
    one = await _backup_finding(school, settings)
    assert one is not None and one.startswith("⚠️ Резервные копии сохраняются только в одно место")

    two = _settings(school, tmp_path / "a", tmp_path / "b")  # one disk, for real
    same = await _backup_finding(school, two)
    assert same is not None and same.startswith("⚠️") and "одном диске" in same

    devices = {tmp_path / "a": 1, tmp_path / "b": 2}  # as if b were a mounted disk
    monkeypatch.setattr(backups, "device_of", lambda folder: devices[folder])
    assert await _backup_finding(school, two) is None

    off = await _backup_finding(school, _settings(school, "off"))
    assert off is not None and off.startswith("⛔")
