"""What the dispatcher fuzz found, pinned down one by one so it stays fixed."""

from __future__ import annotations

from pathlib import Path

from aiogram.methods import AnswerCallbackQuery

from app.keyboards import ChildCb, DiaryCb, FixCb, LessonCb, RollCb, View
from core.model import PersonRole
from handlers.admin_reports import AuditCb
from storage.db import Database
from tests.support.recording import TgUser
from tests.support.school import open_school

MOTHER = TgUser(9201, "Ольга")  # U-101
TEACHER = TgUser(9202, "Анна")  # T-004
DIRECTOR = TgUser(9203, "Ирина")  # T-001, the administration


async def test_a_button_with_an_id_beyond_32_bits_is_simply_not_found(
    database: Database, tmp_path: Path
) -> None:
    """Callback data may carry any number; PostgreSQL's integer ids stop at 2**31 - 1, and such
    an id crashed the diary there with «something went wrong» (FUZZ_SEED=20261203, case 211).
    Now it is an id no row has, on either database."""
    school = await open_school(database, tmp_path / "files")
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    await school.link(TEACHER, PersonRole.TEACHER, "T-004")
    big = (2**31, 10**18, -(2**31) - 1)
    for n in big:
        await school.tester.click(DiaryCb(view=View.MARKS, student=n), user=MOTHER, forged=True)
        await school.tester.click(ChildCb(student=n), user=MOTHER, forged=True)
        await school.tester.click(LessonCb(lesson=n), user=TEACHER, forged=True)
        await school.tester.click(RollCb(lesson=n, student=1), user=TEACHER, forged=True)
        await school.tester.click(FixCb(lesson=1, mark=n), user=TEACHER, forged=True)
    answers = [c.text or "" for c in school.tester.sent(AnswerCallbackQuery)][-5 * len(big) :]
    assert len(answers) == 5 * len(big)
    refusals = ("Ничего не найдено", "нет доступа", "устарела")
    assert all(any(r in a for r in refusals) for a in answers), answers


async def test_the_audit_log_of_a_person_beyond_32_bits_is_not_found(
    database: Database, tmp_path: Path
) -> None:
    """The audit screen queried the log by a forged id without loading the person first:
    PostgreSQL refused the argument (FUZZ_SEED=20261203, case 5972). Any statement with such an
    argument is now «not found», in one place (storage/db.py)."""
    school = await open_school(database, tmp_path / "files")
    await school.link(DIRECTOR, PersonRole.ADMIN, "T-001")
    for n in (2**31, 10**18):
        for who in ("t", "s"):
            cb = AuditCb(who=who, cls=n, person=n)
            await school.tester.click(cb, user=DIRECTOR, forged=True)
    answers = [c.text or "" for c in school.tester.sent(AnswerCallbackQuery)][-4:]
    assert len(answers) == 4
    assert all("пошло не так" not in a for a in answers), answers
