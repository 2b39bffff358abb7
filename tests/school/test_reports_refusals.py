"""The movement report and the transfer statement both ways (#14 "Reports one-sided"; rule 11;
001 §7.7), on a school imported from its own files: the administration gets them (in /admin
and at the console), a teacher who may not and a parent are refused, an unknown student is one
clear line at the console and no file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from aiogram.methods import SendDocument
from openpyxl import load_workbook

from core.access import SYSTEM
from core.errors import AccessDenied, NotFound
from core.model import PersonRole
from core.reports import ReportService
from handlers.admin_reports import ReportCb
from tests.school.test_access_ends import alerts
from tests.school.test_console import console  # noqa: F401 - the fixture
from tests.school.test_family_day import MONDAY, TUESDAY, _mark, _week
from tests.school.test_people_move import _move_in_file
from tests.support import TgUser
from tests.support.school import ImportedSchool

DEPUTY = TgUser(7201, "Наталья")  # T-003: deputy head
CLASS_TEACHER = TgUser(7202, "Анна")  # T-004: class teacher of 7А, maths
ENGLISH = TgUser(7203, "Мария")  # T-006: teaches Иванов English, not his class teacher
MOTHER = TgUser(7204, "Ольга")  # U-101: Иванов Пётр's mother

DECEMBER = (date(2026, 12, 1), date(2026, 12, 31))


async def _viewer(school: ImportedSchool, user: TgUser, role: PersonRole, source_id: str):  # type: ignore[no-untyped-def]
    await school.link(user, role, source_id)
    return await school.services.viewers.get("telegram", str(user.id), True)


async def test_movement_for_the_administration_only(school: ImportedSchool) -> None:
    # Петрова moves to 6Б on 3 December; Дроздов leaves (not in the file any more)
    _move_in_file(school, "K-02", "6Б", "03.12.2026")
    school.files.students = [r for r in school.files.students if r[0] != "K-13"]
    report = await school.import_roster()
    assert report.applied, report.errors
    reports = ReportService(school.database.uow, school.clock)

    deputy = await _viewer(school, DEPUTY, PersonRole.STAFF, "T-003")
    moves = [r[1:] for r in (await reports.movement(deputy, *DECEMBER)).rows]
    assert ("transferred", "Петрова Алёна Сергеевна", "7А → 6Б") in moves
    assert ("left", "Дроздов Лев Ильич", "6Б") in moves
    assert len(moves) == 2
    # in /admin: the workbook is sent
    await school.tester.click(ReportCb(kind="mv", period=2), user=DEPUTY, forged=True)
    (sent,) = school.tester.sent(SendDocument, DEPUTY)
    assert sent.caption and "Движение" in sent.caption

    # refused: the class teacher, a subject teacher, a parent; in the core and in /admin
    for n, (user, role, source_id) in enumerate(
        (
            (CLASS_TEACHER, PersonRole.STAFF, "T-004"),
            (ENGLISH, PersonRole.STAFF, "T-006"),
            (MOTHER, PersonRole.GUARDIAN, "U-101"),
        ),
        start=1,
    ):
        viewer = await _viewer(school, user, role, source_id)
        with pytest.raises(AccessDenied):
            await reports.movement(viewer, *DECEMBER)
        await school.tester.click(ReportCb(kind="mv", period=2), user=user, forged=True)
        assert school.tester.sent(SendDocument, user) == []
        assert alerts(school, user) == ["У вас нет доступа к этим данным."] * n  # every chat's
        assert not any("Петрова" in t for t in school.tester.texts(user))


async def test_the_statement_for_the_class_teacher_and_the_administration(
    school: ImportedSchool,
    console,  # noqa: F811
    tmp_path: Path,
) -> None:
    await _week(school)
    await _mark(school, MONDAY, 3, "4", "КР")  # Иванов, Математика
    await _mark(school, TUESDAY, 2, "5", "СР")
    await _mark(school, TUESDAY, 2, "2", "СР", who="K-02")  # Петрова: not on his statement
    ivanov = await school.person_id(PersonRole.STUDENT, "K-01")
    reports = ReportService(school.database.uow, school.clock)

    for user, source_id in ((CLASS_TEACHER, "T-004"), (DEPUTY, "T-003")):
        viewer = await _viewer(school, user, PersonRole.STAFF, source_id)
        table = await reports.statement(viewer, ivanov)
        assert table.facts["student"] == "Иванов Пётр Алексеевич"
        (maths,) = [r for r in table.rows if r[0] == "Математика"]
        assert maths[1:5] == ("", None, "4 5", None)  # nothing in the first quarter

    # at the console, by the school's own id
    out = tmp_path / "statement.xlsx"
    code, _, err = await console("export", "statement", "--student", "K-01", "--out", str(out))
    assert code == 0, err
    cells = [str(c) for row in load_workbook(out).active.iter_rows(values_only=True) for c in row]
    text = " ".join(cells)
    assert "Иванов Пётр Алексеевич" in text and "4 5" in text and "Петрова" not in text

    # refused: a subject teacher of his, another class's class teacher, a parent
    english = await _viewer(school, ENGLISH, PersonRole.STAFF, "T-006")
    other = await _viewer(school, TgUser(7205, "Олег"), PersonRole.STAFF, "T-005")  # 5А
    mother = await _viewer(school, MOTHER, PersonRole.GUARDIAN, "U-101")
    for viewer in (english, other, mother):
        with pytest.raises(AccessDenied):
            await reports.statement(viewer, ivanov)
    # refused: an unknown student, in the core and at the console (no file is written)
    with pytest.raises(NotFound):
        await reports.statement(SYSTEM, 10_000)
    missing = tmp_path / "nobody.xlsx"
    code, _, err = await console("export", "statement", "--student", "K-99", "--out", str(missing))
    assert code == 1 and err.count("\n") == 1 and "Ничего не найдено" in err, err
    assert not missing.exists()
