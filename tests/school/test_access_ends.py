"""Access ends the moment the assignment or link behind it ends: a re-import that drops a
guardian's child, a new timetable that gives a group to another teacher, a student who left.
Checked where it matters: the diary, the lesson card, period marks, pushes, new codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram.methods import AnswerCallbackQuery

from app.keyboards import DiaryCb, LessonCb, View
from core.access import SYSTEM, Viewer
from core.errors import AccessDenied, NoCodesAfterLeaving
from core.model import Audience, FinalKind, MarkValue, PersonRole
from storage.delivery_queue import DeliveryQueue
from tests.support import TgUser
from tests.support.recording import button_texts
from tests.support.school import SECOND_ENGLISH, ImportedSchool

MOTHER = TgUser(5001, "Ольга")  # U-101: K-01 Иванов (7А), K-22 Волкова (5А)
BELKINA = TgUser(5002, "Анна")  # U-103: K-11 Белкин (6Б)
ENGLISH = TgUser(5003, "Мария")  # T-006: English in 5А, 6Б and 7А's first group


def alerts(school: ImportedSchool, user: TgUser) -> list[str]:
    return [
        c.text or ""
        for c in school.tester.sent(AnswerCallbackQuery)
        if c.show_alert and c.callback_query_id
    ]


async def pushes_to(school: ImportedSchool, user: TgUser) -> list[str]:
    async with school.database.uow(readonly=True) as uow:
        account = await uow.accounts.by_external("telegram", str(user.id))
        rows = await uow.deliveries.list_all()
    return [r.kind for r in rows if account is not None and r.account_id == account.id]


async def give_mark(school: ImportedSchool, student: str, teacher: str) -> None:
    """A mark in the student's lesson today with this teacher, by the system."""
    sid = await school.person_id(PersonRole.STUDENT, student)
    tid = await school.person_id(PersonRole.STAFF, teacher)
    today = school.clock.today()
    async with school.database.uow(readonly=True) as uow:
        person = await uow.students.get(sid)
        lessons = [x for x in await uow.lessons.for_teacher(tid, today, today)]
        lesson = next(x for x in lessons if x.class_id == person.class_id)  # type: ignore[union-attr]
        oral = next(w for w in await uow.work_types.list_all() if w.code == "oral")
    await school.services.journal.give_mark(SYSTEM, lesson.id, sid, MarkValue.FOUR, oral.id)  # type: ignore[arg-type]


async def test_a_guardian_the_roster_no_longer_lists_for_a_child_loses_that_child(
    school: ImportedSchool,
) -> None:
    school.clock.set(school.clock.now().replace(hour=13, minute=30))  # the lessons have begun
    await school.link(MOTHER, PersonRole.GUARDIAN, "U-101")
    ivanov = await school.person_id(PersonRole.STUDENT, "K-01")
    await school.tester.send("/marks", user=MOTHER)
    assert "Иванов" in "\n".join(school.tester.texts(MOTHER))
    await give_mark(school, "K-01", "T-004")  # its push waits (quiet hours, a worker's pace)
    row = next(r for r in school.files.guardians if r[0] == "U-101")
    row[-1] = "K-22"  # only Волкова now
    report = await school.import_roster()
    assert report.applied and report.tally("guardian_link").left == 1
    async with school.database.uow(readonly=True) as uow:
        assert any(e.action == "guardian_link.end" for e in await uow.audit.for_student(ivanov))
    school.tester.session.requests.clear()
    await school.tester.click(DiaryCb(view=View.MARKS, student=ivanov), user=MOTHER, forged=True)
    assert any("нет доступа" in a for a in alerts(school, MOTHER))
    await school.tester.send("/children", user=MOTHER)
    children = button_texts(school.tester.keyboard(MOTHER))
    assert any("Волкова" in x for x in children) and not any("Иванов" in x for x in children)
    # the push that was waiting is not sent; a new mark reaches her no more
    queue = DeliveryQueue(school.database)
    now = school.clock.now()
    batch = await queue.claim("test", now + timedelta(days=1), now, now + timedelta(minutes=1), 100)
    account = await school.services.accounts.account(
        await school.services.viewers.get("telegram", str(MOTHER.id), True)
    )
    (waiting,) = [c for c in batch.rows if c.account_id == account.id]
    assert waiting.kind == "mark" and not waiting.linked
    before = len(await pushes_to(school, MOTHER))
    await give_mark(school, "K-01", "T-004")
    assert len(await pushes_to(school, MOTHER)) == before
    await give_mark(school, "K-22", "T-004")  # her other child still does
    assert "mark" in await pushes_to(school, MOTHER)


async def test_a_teacher_the_new_timetable_replaces_reads_and_writes_no_more(
    school: ImportedSchool,
) -> None:
    await school.link(ENGLISH, PersonRole.TEACHER, "T-006")
    ivanov = await school.person_id(PersonRole.STUDENT, "K-01")
    teacher = await school.person_id(PersonRole.STAFF, "T-006")
    today = school.clock.today()
    async with school.database.uow(readonly=True) as uow:
        seven = next(c for c in await uow.classes.list_all() if c.name == "7А")
        ahead = await uow.lessons.for_teacher(teacher, today, today + timedelta(days=7))
        group = next(x for x in ahead if x.class_id == seven.id)
    await school.tester.click(DiaryCb(view=View.MARKS, student=ivanov), user=ENGLISH, forged=True)
    assert "Иванов" in "\n".join(school.tester.texts(ENGLISH))
    # from today the first group is Соколова's too
    for row in school.files.timetable[1:]:
        if row[0] == "7А" and row[5] == "Англ. 1":
            row[4] = SECOND_ENGLISH
    report = await school.import_timetable()
    assert report.applied, report.errors
    t = report.tally("teaching")
    assert (t.added, t.left) == (1, 1)
    school.tester.session.requests.clear()
    await school.tester.click(DiaryCb(view=View.MARKS, student=ivanov), user=ENGLISH, forged=True)
    await school.tester.click(LessonCb(lesson=group.id), user=ENGLISH, forged=True)
    assert len([a for a in alerts(school, ENGLISH) if "нет доступа" in a]) == 2
    assert "Иванов" not in "\n".join(school.tester.texts(ENGLISH))
    viewer = await school.services.viewers.get("telegram", str(ENGLISH.id), True)
    with pytest.raises(AccessDenied):
        await school.services.journal.set_final_mark(
            viewer, ivanov, group.subject_id, FinalKind.YEAR, MarkValue.FIVE
        )
    # the lessons ahead follow the timetable: the group's future lessons are Соколова's
    async with school.database.uow(readonly=True) as uow:
        ahead = await uow.lessons.for_class(seven.id, today, today + timedelta(days=14))
    firsts = [
        x for x in ahead if (x.subject_id, x.subgroup_id) == (group.subject_id, group.subgroup_id)
    ]
    assert firsts and {x.teacher_id for x in firsts} == {
        await school.person_id(PersonRole.STAFF, SECOND_ENGLISH)
    }
    # English in 5А and 6Б is still hers
    await school.tester.send("/today", user=ENGLISH)
    assert "5А" in school.tester.last_text(ENGLISH) or "6Б" in school.tester.last_text(ENGLISH)


async def test_a_student_who_left_gives_no_access_but_the_finals_and_no_new_codes(
    school: ImportedSchool,
) -> None:
    await school.link(BELKINA, PersonRole.GUARDIAN, "U-103")
    belkin = await school.person_id(PersonRole.STUDENT, "K-11")
    school.files.students = [r for r in school.files.students if r[0] != "K-11"]
    school.files.guardians = [r for r in school.files.guardians if r[0] != "U-103"]
    report = await school.import_roster()
    assert report.applied and report.tally("student").left == 1
    # he left yesterday: from today nothing new, only the finals
    school.tester.session.requests.clear()
    await school.tester.send("/marks", user=BELKINA)
    assert "выбыл" in school.tester.last_text(BELKINA)
    await school.tester.send("/finals", user=BELKINA)
    assert "Белкин Иван" in school.tester.last_text(BELKINA)
    await school.tester.click(
        DiaryCb(view=View.TIMETABLE, student=belkin), user=BELKINA, forged=True
    )
    assert any("выбыл" in a for a in alerts(school, BELKINA))
    for role, who in ((PersonRole.STUDENT, belkin), (PersonRole.GUARDIAN, None)):
        person = who or await school.person_id(PersonRole.GUARDIAN, "U-103")
        with pytest.raises(NoCodesAfterLeaving):
            await school.services.invites.issue(SYSTEM, role, person)
    # a broadcast to 6Б's parents does not reach her
    staff = await school.person_id(PersonRole.STAFF, "T-007")
    async with school.database.uow(readonly=True) as uow:
        six = next(c for c in await uow.classes.list_all() if c.name == "6Б")
    class_teacher = Viewer(staff_id=staff, class_teacher_of=frozenset({six.id}))
    await school.services.messaging.send_broadcast(
        class_teacher, six.id, Audience.GUARDIANS, "Собрание в пятницу"
    )
    assert "broadcast" not in await pushes_to(school, BELKINA)


async def test_a_role_the_staff_file_no_longer_gives_ends(school: ImportedSchool) -> None:
    """The deputy whose post the re-imported staff file takes away, and a director no longer in
    it, lose the administration's screens at once; the roles the file still gives stay."""
    from aiogram.methods import SendDocument

    from handlers.admin_reports import ReportCb

    deputy, director = TgUser(5011, "Наталья"), TgUser(5012, "Виктор")
    await school.link(deputy, PersonRole.STAFF, "T-003")
    await school.link(director, PersonRole.STAFF, "T-002")
    movement = ReportCb(kind="mv", period=2)
    for user in (deputy, director):
        await school.tester.click(movement, user=user, forged=True)
        assert len(school.tester.sent(SendDocument, user)) == 1

    next(r for r in school.files.staff if r[0] == "T-003")[4] = "teacher"
    school.files.staff = [r for r in school.files.staff if r[0] != "T-002"]
    report = await school.import_roster()
    assert report.applied, report.errors

    for n, user in enumerate((deputy, director), start=1):
        await school.tester.click(movement, user=user, forged=True)
        assert len(school.tester.sent(SendDocument, user)) == 1, user  # no second file
        assert alerts(school, user) == ["У вас нет доступа к этим данным."] * n  # every chat's
    async with school.database.uow(readonly=True) as uow:
        held = {(r.staff_id, r.role.value) for r in await uow.staff_roles.list_all()}
    orlova = await school.person_id(PersonRole.STAFF, "T-003")
    gromov = await school.person_id(PersonRole.STAFF, "T-002")
    assert (orlova, "teacher") in held and (orlova, "deputy") not in held
    assert not any(staff_id == gromov for staff_id, _ in held)
    # she still teaches history: the teacher's day is hers
    await school.tester.send("/today", user=deputy)
    assert "нет доступа" not in school.tester.last_text(deputy)
