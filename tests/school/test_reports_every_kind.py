"""Every report of /admin both ways (rule 11; #14 "Reports one-sided"), on a school imported from
its own files: the deputy gets a workbook, and a class teacher, a subject teacher and a parent who
press the same (forged) button get the refusal and no file. Runs over ``REPORTS`` itself, so a
report added later is covered without a line here."""

from __future__ import annotations

import pytest
from aiogram.methods import SendDocument

from core.model import PersonRole
from handlers.admin_reports import REPORTS, ReportCb
from tests.school.test_access_ends import alerts
from tests.support import TgUser
from tests.support.school import ImportedSchool

DEPUTY = TgUser(7301, "Наталья")  # T-003: deputy head
CLASS_TEACHER = TgUser(7302, "Анна")  # T-004: class teacher of 7А, maths
ENGLISH = TgUser(7303, "Мария")  # T-006: teaches 7А English
MOTHER = TgUser(7304, "Ольга")  # U-101: a mother in 7А
REFUSED = (
    (CLASS_TEACHER, PersonRole.STAFF, "T-004"),
    (ENGLISH, PersonRole.STAFF, "T-006"),
    (MOTHER, PersonRole.GUARDIAN, "U-101"),
)


async def _seven_a(school: ImportedSchool) -> int:
    async with school.database.uow(readonly=True) as uow:
        year = await uow.years.containing(school.clock.today())
        classes = await uow.classes.for_year(year.id)  # type: ignore[union-attr]
    return next(c.id for c in classes if c.name == "7А")  # type: ignore[misc]


@pytest.mark.parametrize("kind", sorted(REPORTS))
async def test_a_report_for_the_administration_only(school: ImportedSchool, kind: str) -> None:
    needs_class, needs_period = REPORTS[kind]
    button = ReportCb(
        kind=kind,
        cls=await _seven_a(school) if needs_class else 0,
        period=2 if needs_period else 0,
    )
    await school.link(DEPUTY, PersonRole.STAFF, "T-003")
    await school.tester.click(button, user=DEPUTY, forged=True)
    (sent,) = school.tester.sent(SendDocument, DEPUTY)
    assert sent.caption, kind
    assert alerts(school, DEPUTY) == []

    for n, (user, role, source_id) in enumerate(REFUSED, start=1):
        await school.link(user, role, source_id)
        await school.tester.click(button, user=user, forged=True)
        assert school.tester.sent(SendDocument, user) == [], (kind, source_id)
        assert alerts(school, user) == ["У вас нет доступа к этим данным."] * n, (kind, source_id)
