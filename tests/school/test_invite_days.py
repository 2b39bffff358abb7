"""An invite code is valid for at most 90 days (issue #12): `--days 36500` is refused with one
clear line at the console, for one code and for a class's sheet, and nothing is issued; the
core refuses it however the code is asked for."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from babel.dates import format_datetime

from core.access import SYSTEM
from core.errors import InviteDaysRefused
from core.invites import MAX_TTL_DAYS
from core.model import PersonRole
from tests.school.test_console import console  # noqa: F401 - the fixture
from tests.support.school import ImportedSchool


async def invites_issued(school: ImportedSchool) -> int:
    async with school.database.uow(readonly=True) as uow:
        return len(await uow.invites.list_all())


async def test_more_than_90_days_is_refused_at_the_console(
    school: ImportedSchool,
    console,  # noqa: F811
    tmp_path: Path,
) -> None:
    before = await invites_issued(school)
    guardian = ("invite", "--role", "guardian", "--id", "U-101")
    code, out, err = await console(*guardian, "--days", "36500")
    assert code == 1 and out == ""
    assert err == "schoolbot: Код приглашения может действовать от 1 до 90 дней, а не 36500.\n"
    sheet = tmp_path / "codes-7А"
    code, _, err = await console("invites", "--class", "7А", "--out", str(sheet), "--days", "91")
    assert code == 1 and "от 1 до 90 дней, а не 91" in err
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("codes")]  # noqa: ASYNC240
    assert await invites_issued(school) == before  # nothing was issued

    code, out, _ = await console(*guardian, "--days", "90")
    assert code == 0
    until = school.clock.now() + timedelta(days=MAX_TTL_DAYS)
    assert format_datetime(until, "d MMMM y", locale="ru") in out
    assert await invites_issued(school) == before + 1


@pytest.mark.parametrize("days", [0, MAX_TTL_DAYS + 1])
async def test_the_core_refuses_a_validity_outside_1_to_90_days(
    school: ImportedSchool, days: int
) -> None:
    guardian = await school.person_id(PersonRole.GUARDIAN, "U-101")
    invites = school.services.invites
    with pytest.raises(InviteDaysRefused):
        await invites.issue(SYSTEM, PersonRole.GUARDIAN, guardian, ttl_days=days)
    with pytest.raises(InviteDaysRefused):
        await invites.reissue(SYSTEM, PersonRole.GUARDIAN, guardian, ttl_days=days)
    assert await invites_issued(school) == 0
