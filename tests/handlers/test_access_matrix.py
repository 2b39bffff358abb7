"""The access matrix: every diary view × every kind of viewer × {private chat, group}.

Buttons carry the student's id, so each cell presses a (possibly forged) button for Иванов's
data and checks what came back: his data, only the subjects this viewer may see, or a refusal
with nothing of his in it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import pytest_asyncio

from app.keyboards import DiaryCb, View
from core import model as m
from tests.handlers.conftest import World, make_world
from tests.support import TgUser

# The cells only read, so one world serves them all (built once: 162 cells, not 162 schools).
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world() -> World:
    w = await make_world()
    await _ended(w)
    # Linking noted the accounts as seen; written now, not by a timer in the middle of a cell.
    await w.tester.dispatcher["last_seen"].flush()
    return w


async def _ended(w: World) -> None:
    """Two viewers whose access ended: a maths teacher of 7А until yesterday (the timetable
    gave the class to someone else) and a guardian of Иванов the roster no longer lists."""
    s = w.s
    yesterday = w.clock.today() - timedelta(days=1)
    async with w.store.uow() as uow:
        teacher = await uow.staff.add(m.Staff("Белова", "Мария", "Ивановна"))
        await uow.staff_roles.add(m.StaffRole(teacher.id, m.StaffRoleKind.TEACHER))
        await uow.teachings.add(
            m.Teaching(teacher.id, s.maths.id, s.c7.id, starts_on=None, ends_on=yesterday)
        )
        father = await uow.guardians.add(m.Guardian("Иванов", "Алексей"))
        link = await uow.guardian_links.add(
            m.GuardianLink(father.id, s.ivanov.id, "father", consent_at=w.clock.now())
        )
        await uow.commit()
    w.ended_teacher = TgUser(2010, "Мария")  # type: ignore[attr-defined]
    w.ended_guardian = TgUser(2011, "Алексей")  # type: ignore[attr-defined]
    await w.link(w.ended_teacher, m.PersonRole.TEACHER, teacher.id)  # type: ignore[attr-defined]
    await w.link(w.ended_guardian, m.PersonRole.GUARDIAN, father.id)  # type: ignore[attr-defined]
    async with w.store.uow() as uow:
        (await uow.guardian_links.get(link.id)).ended_at = w.clock.now()  # type: ignore[union-attr]
        await uow.commit()
    w.tester.session.requests.clear()


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def _nothing_changes(world: World):  # type: ignore[no-untyped-def]
    """A cell that wrote to the journal or to an account would spoil the cells after it.
    Staff reads go to the audit log in batches, a few seconds after they happen: those of
    the cells before are written first, so that their timer cannot fire inside this one."""
    await world.services.reports.reads.flush()
    commits = world.store.commits
    yield
    assert world.store.commits == commits


VIEWS = [View.MARKS, View.SUBJECT, View.ATTENDANCE, View.HOMEWORK, View.TIMETABLE, View.PROGRESS]
COMMANDS = ["/marks", "/finals", "/attendance", "/homework", "/timetable", "/progress"]

FULL, MATHS_ONLY, DENIED = "full", "maths only", "denied"
EXPECTED = {
    "mother": FULL,  # guardian of the child
    "other_parent": DENIED,  # guardian of another child
    "ivanov": FULL,  # the student
    "petrova": DENIED,  # another student
    "teacher": MATHS_ONLY,  # teaches maths in 7А
    "other_teacher": DENIED,  # teaches nothing in 7А
    "class_teacher": FULL,
    "admin": FULL,
    "stranger": DENIED,
    "ended_teacher": DENIED,  # taught maths in 7А until yesterday
    "ended_guardian": DENIED,  # the roster dropped the link
}


def texts_of(calls) -> str:
    out = []
    for call in calls:
        for field in ("text", "caption"):
            value = getattr(call, field, None)
            if isinstance(value, str):
                out.append(value)
    return "\n".join(out)


def alerts_of(calls) -> list[str]:
    return [
        c.text or "" for c in calls if c.__api_method__ == "answerCallbackQuery" and c.show_alert
    ]


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize("view", VIEWS)
async def test_private_chat(world: World, who: str, view: View) -> None:
    w = world
    user = getattr(w, who)
    item = w.s.maths.id if view == View.SUBJECT else 0
    data = DiaryCb(view=view, student=w.s.ivanov.id, item=item)
    calls = await w.tester.click(data, user=user, forged=True)
    shown = texts_of(calls)
    expected = EXPECTED[who]
    if expected == DENIED:
        assert "Иванов" not in shown and "Математика" not in shown
        assert any("нет доступа" in a for a in alerts_of(calls)), calls
        return
    assert "Иванов Пётр" in shown, calls
    if view in (View.MARKS, View.SUBJECT, View.HOMEWORK, View.TIMETABLE):
        assert "Математика" in shown
    english_visible = "Английский" in shown
    if expected == MATHS_ONLY:
        assert not english_visible
    elif view in (View.MARKS, View.HOMEWORK, View.TIMETABLE):
        assert english_visible


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize("view", VIEWS)
async def test_group_chat_shows_nothing(world: World, who: str, view: View) -> None:
    w = world
    data = DiaryCb(view=view, student=w.s.ivanov.id)
    calls = await w.tester.click(data, user=getattr(w, who), chat=-1001234567890, forged=True)
    assert "Иванов" not in texts_of(calls)
    assert [a for a in alerts_of(calls) if "личном чате" in a], calls
    assert not [c for c in calls if c.__api_method__.startswith(("send", "edit"))]


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize("command", COMMANDS)
async def test_commands_show_only_ones_own(world: World, who: str, command: str) -> None:
    """Commands carry no id: each viewer gets their own child or themself, or an explanation."""
    w = world
    calls = await w.tester.send(command, user=getattr(w, who))
    shown = texts_of(calls)
    own = {
        "mother": "Иванов Пётр",
        "ivanov": "Иванов Пётр",
        "other_parent": "Петрова Алёна",
        "petrova": "Петрова Алёна",
    }
    if who in own:
        assert own[who] in shown, shown
        other = "Петрова" if own[who].startswith("Иванов") else "Иванов"
        assert other not in shown
    else:
        assert "Иванов" not in shown and "Петрова" not in shown
        if who == "ended_guardian":  # signed in, no child any more
            return
        expected = "код" if who == "stranger" else "для родителей и учеников"
        assert expected in shown, shown
