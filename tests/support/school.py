"""A school that comes in through its own files, not the demo: the test writes the calendar,
subjects, staff, students, guardians, timetable and bells as CSV files the way a school's
program exports them, imports them with ``schoolbot import``'s services into an empty database,
and drives the real dispatcher over that database with a recording bot.

``SchoolFiles`` holds the tables as rows; a test changes them (moves a student, gives a class
to another teacher, drops a guardian's child) and writes and imports them again, as a school
re-imports its roster.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from app.config import Settings
from bot.root import Services, build_dispatcher, build_services
from core.access import SYSTEM
from core.clock import FixedClock
from core.import_apply import ImportReport, ImportService
from core.imports import ALIASES
from core.model import PersonRole
from core.people import find_person
from notifications.fanout import Fanout, Windows
from storage.db import Database
from storage.importers import read_tables
from tests.support.recording import BotTester, TgUser, make_bot

TZ = ZoneInfo("Europe/Moscow")
# An ordinary Thursday morning in the second quarter.
THURSDAY = datetime(2026, 12, 3, 9, 0, tzinfo=TZ)

WEEKDAYS = ("Пн", "Вт", "Ср", "Чт", "Пт")
SUBJECTS = ("Математика", "Русский язык", "Английский язык", "История", "Физкультура")
TEACHER_OF = {  # a subject's teacher; English in 7А is taught in two groups
    "Математика": "T-004",
    "Русский язык": "T-005",
    "Английский язык": "T-006",
    "История": "T-003",
    "Физкультура": "T-007",
}
SECOND_ENGLISH = "T-008"


def _timetable() -> list[list[object]]:
    """Five lessons a day for each class; a subject's slot differs between classes on a day,
    so no teacher is ever in two places at once."""
    rows: list[list[object]] = [
        ["class", "weekday", "slot", "subject", "teacher", "subgroup", "room"]
    ]
    for d, day in enumerate(WEEKDAYS):
        for c, cls in enumerate(("5А", "6Б", "7А")):
            for slot in range(1, 6):
                subject = SUBJECTS[(slot + c + d) % len(SUBJECTS)]
                room = f"{c + 1}{slot:02d}"
                if cls == "7А" and subject == "Английский язык":
                    rows.append([cls, day, slot, subject, TEACHER_OF[subject], "Англ. 1", room])
                    rows.append([cls, day, slot, subject, SECOND_ENGLISH, "Англ. 2", "310"])
                else:
                    rows.append([cls, day, slot, subject, TEACHER_OF[subject], "", room])
    return rows


@dataclass
class SchoolFiles:
    """The school's tables as rows (the first row is the header)."""

    calendar: list[list[object]] = field(
        default_factory=lambda: [
            ["year", "period", "kind", "starts_on", "ends_on"],
            ["2026/2027", 1, "quarter", "2026-09-01", "2026-10-24"],
            ["2026/2027", 2, "quarter", "2026-11-05", "2026-12-28"],
            ["2026/2027", 3, "quarter", "2027-01-12", "2027-03-21"],
            ["2026/2027", 4, "quarter", "2027-03-30", "2027-05-26"],
        ]
    )
    subjects: list[list[object]] = field(
        default_factory=lambda: [["subject", "short"]] + [[s, s[:3]] for s in SUBJECTS]
    )
    staff: list[list[object]] = field(
        default_factory=lambda: [
            ["staff_id", "last_name", "first_name", "middle_name", "roles", "class"],
            ["T-001", "Павлова", "Ирина", "Сергеевна", "admin", ""],
            ["T-002", "Громов", "Виктор", "Павлович", "director", ""],
            ["T-003", "Орлова", "Наталья", "Игоревна", "deputy, teacher", ""],
            ["T-004", "Смирнова", "Анна", "Петровна", "teacher", "7А"],
            ["T-005", "Кузнецов", "Олег", "Андреевич", "teacher", "5А"],
            ["T-006", "Белова", "Мария", "Ивановна", "teacher", ""],
            ["T-007", "Ковалёв", "Игорь", "Сергеевич", "teacher", "6Б"],
            ["T-008", "Соколова", "Елена", "Викторовна", "teacher", ""],
        ]
    )
    subgroups: list[list[object]] = field(
        default_factory=lambda: [
            ["class", "subgroup", "subject"],
            ["7А", "Англ. 1", "Английский язык"],
            ["7А", "Англ. 2", "Английский язык"],
        ]
    )
    # Russian headers, as the school's own program saves them.
    students: list[list[object]] = field(
        default_factory=lambda: [
            ["Код ученика", "Класс", "Фамилия", "Имя", "Отчество", "Подгруппы"],
            ["K-01", "7А", "Иванов", "Пётр", "Алексеевич", "Англ. 1"],
            ["K-02", "7А", "Петрова", "Алёна", "Сергеевна", "Англ. 1"],
            ["K-03", "7А", "Сидоров", "Максим", "Олегович", "Англ. 2"],
            ["K-04", "7А", "Ёлкина", "Дарья", "Павловна", "Англ. 2"],
            ["K-11", "6Б", "Белкин", "Иван", "Петрович", ""],
            ["K-12", "6Б", "Гусева", "Вера", "Андреевна", ""],
            ["K-13", "6Б", "Дроздов", "Лев", "Ильич", ""],
            ["K-21", "5А", "Морозов", "Артём", "Ильич", ""],
            ["K-22", "5А", "Волкова", "София", "Денисовна", ""],
        ]
    )
    guardians: list[list[object]] = field(
        default_factory=lambda: [
            ["guardian_id", "last_name", "first_name", "middle_name", "phone", "students"],
            ["U-101", "Иванова", "Ольга", "Викторовна", "+7 900 111-22-33", "K-01, K-22"],
            ["U-102", "Петров", "Сергей", "Николаевич", "", "K-02"],
            ["U-103", "Белкина", "Анна", "Ивановна", "", "K-11"],
            ["U-104", "Сидорова", "Елена", "Олеговна", "", "K-03"],
        ]
    )
    # Russian headers; a day off inside the second quarter, the winter holidays after it.
    holidays: list[list[object]] = field(
        default_factory=lambda: [
            ["Название", "Дата начала", "Дата окончания"],
            ["Осенние каникулы", "26.10.2026", "04.11.2026"],
            ["Методический день", "11.12.2026", "11.12.2026"],
            ["Зимние каникулы", "29.12.2026", "11.01.2027"],
        ]
    )
    bells: list[list[object]] = field(
        default_factory=lambda: [
            ["slot", "starts_at", "ends_at"],
            [1, "08:30", "09:15"],
            [2, "09:25", "10:10"],
            [3, "10:30", "11:15"],
            [4, "11:35", "12:20"],
            [5, "12:30", "13:15"],
        ]
    )
    timetable: list[list[object]] = field(default_factory=_timetable)
    extra: dict[str, list[list[object]]] = field(default_factory=dict)  # e.g. holidays

    def write(self, folder: Path) -> tuple[list[Path], list[Path]]:
        """The roster's files and the timetable's files, written as CSV in UTF-8."""
        folder.mkdir(parents=True, exist_ok=True)
        roster = [
            _write(folder / f"{name}.csv", getattr(self, name))
            for name in (
                "calendar",
                "holidays",
                "subjects",
                "staff",
                "subgroups",
                "students",
                "guardians",
            )
        ]
        roster += [_write(folder / f"{name}.csv", rows) for name, rows in self.extra.items()]
        timetable = [
            _write(folder / "timetable.csv", self.timetable),
            _write(folder / "bells.csv", self.bells),
        ]
        return roster, timetable


def _write(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


@dataclass
class ImportedSchool:
    """The real dispatcher over a database the school's files were imported into."""

    database: Database
    clock: FixedClock
    folder: Path
    files: SchoolFiles
    services: Services
    tester: BotTester

    async def import_roster(self, *paths: Path) -> ImportReport:
        roster, _ = self.files.write(self.folder)
        tables = read_tables(list(paths or roster), ALIASES)
        return await ImportService(self.database.uow, self.clock).roster(SYSTEM, tables, apply=True)

    async def import_timetable(self) -> ImportReport:
        _, timetable = self.files.write(self.folder)
        tables = read_tables(timetable, ALIASES)
        return await ImportService(self.database.uow, self.clock).timetable(
            SYSTEM, tables, apply=True
        )

    async def person_id(self, role: PersonRole, source_id: str) -> int:
        """The database's id of a person by the school's own (K-01, U-101, T-004)."""
        async with self.database.uow(readonly=True) as uow:
            return await find_person(uow, role, source_id)

    async def link(self, user: TgUser, role: PersonRole, source_id: str) -> None:
        """Sign ``user`` in with a code issued as the school hands them out."""
        person = await self.person_id(role, source_id)
        issued = await self.services.invites.issue(SYSTEM, role, person)
        await self.tester.send(f"/start {issued.code}", user=user)
        if role == PersonRole.GUARDIAN:
            await self.tester.click("✅ Я согласен(на)", user=user)


async def open_school(
    database: Database, folder: Path, files: SchoolFiles | None = None, now: datetime = THURSDAY
) -> ImportedSchool:
    """Import the school's files into the empty ``database`` and put the bot in front of it."""
    clock = FixedClock(now, TZ)
    database.fanout = Fanout(clock, Windows(0, 0, 0, 0, 0, 0))
    settings = Settings(_env_file=None, bot_token="42:TEST", bot_username="schoolbot_test_bot")
    services = build_services(settings, database.uow, clock=clock, viewer_ttl=0)
    school = ImportedSchool(
        database,
        clock,
        folder,
        files or SchoolFiles(),
        services,
        BotTester(build_dispatcher(services), make_bot()),
    )
    report = await school.import_roster()
    assert report.applied, report.errors
    report = await school.import_timetable()
    assert report.applied, report.errors
    return school
