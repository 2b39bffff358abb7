"""A parent linked on both messengers gets each push once (#13 item 3), on a school imported
from its own files: by default on the messenger they were last active in; /settings, shown
only to someone linked on two messengers, says where pushes go and a press moves them; the
press is checked on the server, so a forged one naming another person's account is refused
and changes nothing. The same dispatcher serves both bots: the MAX one is told apart by its
session's ``messenger``, as ``bot.max.session.MaxSession`` does."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery

from app.keyboards import SettingCb
from core.access import SYSTEM
from core.model import Account, DeliveryStatus, MarkValue, PersonRole
from core.school_admin import SchoolAdminService
from tests.support import TgUser
from tests.support.recording import BotTester, RecordingSession, button_texts, make_bot
from tests.support.school import THURSDAY, ImportedSchool

MOTHER = TgUser(7201, "Ольга")  # U-101: Иванов Пётр (7А), in Telegram
MOTHER_MAX = TgUser(880_201, "Ольга")  # the same mother in MAX
FATHER = TgUser(7202, "Алексей")  # U-105, added below, Telegram only
TODAY = THURSDAY.date()
WHERE = "Куда присылать уведомления: "


class MaxRecordingSession(RecordingSession):
    """The recording session, saying it speaks MAX (``app.viewers.messenger_of``)."""

    messenger = "max"


async def _sign_in(school: ImportedSchool, tester: BotTester, user: TgUser, code: str) -> None:
    await tester.send(f"/start {code}", user=user)
    if "✅ Я согласен(на)" in button_texts(tester.keyboard(user)):
        await tester.click("✅ Я согласен(на)", user=user)


async def _school(school: ImportedSchool) -> BotTester:
    """The mother in Telegram at nine, in MAX at ten; the father in Telegram only."""
    school.files.guardians.append(["U-105", "Иванов", "Алексей", "Петрович", "", "K-01"])
    report = await school.import_roster()
    assert report.applied, report.errors
    await SchoolAdminService(school.database.uow, school.clock).make_lessons(SYSTEM, TODAY, TODAY)
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    await school.link(FATHER, PersonRole.GUARDIAN, "U-105")
    on_max = BotTester(school.tester.dispatcher, make_bot(MaxRecordingSession()))
    school.clock.set(THURSDAY.replace(hour=10))
    mother = await school.person_id(PersonRole.GUARDIAN, "U-101")
    issued = await school.services.invites.issue(SYSTEM, PersonRole.GUARDIAN, mother)
    await _sign_in(school, on_max, MOTHER_MAX, issued.code)
    assert (await _account(school, "max", MOTHER_MAX)) is not None
    school.clock.set(THURSDAY.replace(hour=12))  # the first lessons have begun
    return on_max


async def _account(school: ImportedSchool, messenger: str, user: TgUser) -> Account:
    async with school.database.uow(readonly=True) as uow:
        found = await uow.accounts.by_external(messenger, str(user.id))
    assert found is not None
    return found


async def _choices(school: ImportedSchool) -> list[tuple[int | None, object]]:
    accounts = [
        await _account(school, "telegram", MOTHER),
        await _account(school, "max", MOTHER_MAX),
        await _account(school, "telegram", FATHER),
    ]
    return [(a.id, a.pushes_chosen_at) for a in accounts]


async def _mark(school: ImportedSchool, n: int, value: str) -> None:
    """A mark for Иванов Пётр in the ``n``-th of today's whole-class lessons."""
    student = await school.person_id(PersonRole.STUDENT, "K-01")
    async with school.database.uow(readonly=True) as uow:
        (group,) = [c for c in await uow.classes.list_all() if c.name == "7А"]
        lessons = await uow.lessons.for_class(group.id, TODAY, TODAY)
        lesson = [x for x in lessons if x.subgroup_id is None][n - 1]  # not a group's English
        work = next(w for w in await uow.work_types.list_all() if w.written)
    await school.services.journal.give_mark(
        SYSTEM,
        lesson.id,  # type: ignore[arg-type]
        student,
        MarkValue(value),
        work.id,  # type: ignore[arg-type]
    )


async def _mark_pushes(school: ImportedSchool) -> dict[str, list[str]]:
    """The values of the mark pushes written for each of the mother's accounts."""
    tg, mx = await _account(school, "telegram", MOTHER), await _account(school, "max", MOTHER_MAX)
    async with school.database.uow(readonly=True) as uow:
        rows = await uow.deliveries.list_all()
    found: dict[str, list[str]] = {"telegram": [], "max": []}
    for row in rows:
        if row.kind == "mark" and row.status == DeliveryStatus.PENDING:
            for name, account in (("telegram", tg), ("max", mx)):
                if row.account_id == account.id:
                    found[name].append(row.payload.split('"value": "')[1][:1])
    return found


async def test_a_parent_on_both_messengers_gets_each_push_once(school: ImportedSchool) -> None:
    on_max = await _school(school)

    await _mark(school, 1, "5")  # she was last active in MAX (signed in there at ten)
    assert await _mark_pushes(school) == {"telegram": [], "max": ["5"]}

    # /settings in Telegram says where pushes go and offers both
    await school.tester.send("/settings", user=MOTHER)
    assert WHERE + "MAX" in (school.tester.last_text(MOTHER) or "")
    assert ["Telegram", "✓ MAX"] == [
        t for t in button_texts(school.tester.keyboard(MOTHER)) if t.endswith(("Telegram", "MAX"))
    ]
    await school.tester.click("Telegram", user=MOTHER)
    assert WHERE + "Telegram" in (school.tester.last_text(MOTHER) or "")
    assert "✓ Telegram" in button_texts(school.tester.keyboard(MOTHER))

    await _mark(school, 2, "4")
    assert await _mark_pushes(school) == {"telegram": ["4"], "max": ["5"]}

    # from MAX, through the same screens, back to MAX
    await on_max.send("/settings", user=MOTHER_MAX)
    assert WHERE + "Telegram" in (on_max.last_text(MOTHER_MAX) or "")
    await on_max.click("MAX", user=MOTHER_MAX)
    assert WHERE + "MAX" in (on_max.last_text(MOTHER_MAX) or "")
    await _mark(school, 3, "3")
    assert await _mark_pushes(school) == {"telegram": ["4"], "max": ["5", "3"]}

    async with school.database.uow(readonly=True) as uow:
        changes = [
            (e.before, e.after)
            for e in await uow.audit.list_all()
            if e.action == "settings.push_messenger"
        ]
    assert changes == [("max", "telegram"), ("telegram", "max")]


async def test_the_choice_is_shown_only_to_one_linked_on_two_messengers(
    school: ImportedSchool,
) -> None:
    await _school(school)
    await school.tester.send("/settings", user=FATHER)
    text = school.tester.last_text(FATHER) or ""
    assert text.startswith("<b>Настройки</b>") and WHERE not in text
    assert not any(t.endswith("MAX") for t in button_texts(school.tester.keyboard(FATHER)))


async def test_a_forged_press_naming_another_persons_account_is_refused(
    school: ImportedSchool,
) -> None:
    on_max = await _school(school)
    father = await _account(school, "telegram", FATHER)
    before = await _choices(school)
    for tester, user in ((school.tester, MOTHER), (on_max, MOTHER_MAX)):
        await tester.send("/settings", user=user)
        for value in (str(father.id), "999999", "-1", "x"):
            calls = await tester.click(SettingCb(field="push", value=value), user=user, forged=True)
            (answer,) = [c for c in calls if isinstance(c, AnswerCallbackQuery)]
            assert answer.text and "Сохранено" not in answer.text
    # the father, linked on one messenger, cannot choose either (not even his own account)
    await school.tester.send("/settings", user=FATHER)
    await school.tester.click(
        SettingCb(field="push", value=str(father.id)), user=FATHER, forged=True
    )
    assert await _choices(school) == before
    await _mark(school, 1, "5")  # once, wherever she was last seen
    pushes = await _mark_pushes(school)
    assert sorted(pushes["telegram"] + pushes["max"]) == ["5"]
    async with school.database.uow(readonly=True) as uow:
        assert not [e for e in await uow.audit.list_all() if e.action == "settings.push_messenger"]
