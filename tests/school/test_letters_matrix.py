"""Letters with anyone whose work touches the child (#14 item 3; rule 13: 000 §2.1, §6; 001
§3.7, §4.8; 004 §4.2.5, §5.7), on a school imported from its own files, through the real
dispatcher and the core service: who may write to whom (the full matrix), forged recipients
refused with nothing stored or pushed, answers threaded, the staff's list of letters waiting
for an answer, the audit, and access that ends with the teaching."""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerCallbackQuery

from core.access import Viewer
from core.errors import AccessDenied, LetterRefused
from core.letters import FAMILY, OFFICE, Party
from core.model import PersonRole
from handlers.letters import LetterClassCb, LetterOpenCb, LetterStudentCb, LetterToCb
from notifications.render import Item, render
from tests.support import TgUser
from tests.support.recording import button_texts
from tests.support.school import SECOND_ENGLISH, ImportedSchool

MOTHER = TgUser(8101, "Ольга")  # U-101: Иванов Пётр (7А, Англ. 1), Волкова София (5А)
IVANOV = TgUser(8102, "Пётр")  # K-01, the student himself
CLASS_TEACHER = TgUser(8103, "Анна")  # T-004: maths everywhere, class teacher of 7А
ENGLISH = TgUser(8104, "Мария")  # T-006: English in 5А, 6Б and 7А's first group
SECOND = TgUser(8105, "Елена")  # T-008: English in 7А's second group only
DEPUTY = TgUser(8106, "Наталья")  # T-003: deputy head, history in 6Б and 7А
DIRECTOR = TgUser(8107, "Виктор")  # T-002
OTHER_CLASS = TgUser(8108, "Лидия")  # T-009, added: class teacher of 5А, history there only

REFUSED = "Вы не можете написать этому адресату об этом ребёнке"
NO_ACCESS = "нет доступа"


def _other_class_teacher(school: ImportedSchool) -> None:
    """T-009 leads 5А (instead of T-005) and teaches history there only."""
    for row in school.files.staff[1:]:
        if row[0] == "T-005":
            row[5] = ""
    school.files.staff.append(["T-009", "Зайцева", "Лидия", "Олеговна", "teacher", "5А"])
    for row in school.files.timetable[1:]:
        if row[0] == "5А" and row[3] == "История":
            row[4] = "T-009"


async def _school(school: ImportedSchool, *users: tuple[TgUser, PersonRole, str]) -> None:
    _other_class_teacher(school)
    report = await school.import_roster()
    assert report.applied, report.errors
    report = await school.import_timetable()
    assert report.applied, report.errors
    for user, role, source in users:
        await school.link(user, role, source)


async def _viewer(school: ImportedSchool, user: TgUser) -> Viewer:
    return await school.services.viewers.get("telegram", str(user.id), True)


async def _id(school: ImportedSchool, role: PersonRole, source: str) -> int:
    return await school.person_id(role, source)


async def _staff(school: ImportedSchool, source: str) -> Party:
    return Party(PersonRole.STAFF, await _id(school, PersonRole.STAFF, source))


async def _pushes(school: ImportedSchool, user: TgUser) -> list[Item]:
    async with school.database.uow(readonly=True) as uow:
        account = await uow.accounts.by_external("telegram", str(user.id))
        rows = await uow.deliveries.list_all()
    assert account is not None
    return [
        Item.parse(r.id, r.kind, r.payload, r.student_id, role=r.role.value if r.role else None)  # type: ignore[arg-type]
        for r in rows
        if r.account_id == account.id and r.kind == "letter"
    ]


async def _counts(school: ImportedSchool) -> tuple[int, int, int]:
    """Letters, letter pushes and letter audit entries."""
    async with school.database.uow(readonly=True) as uow:
        letters = await uow.letters.list_all()
        pushes = [d for d in await uow.deliveries.list_all() if d.kind == "letter"]
        entries = [e for e in await uow.audit.list_all() if e.action == "letter.send"]
    return len(letters), len(pushes), len(entries)


def _alerts(school: ImportedSchool) -> list[str]:
    return [c.text or "" for c in school.tester.sent(AnswerCallbackQuery) if c.show_alert]


# --- the matrix ------------------------------------------------------------------------------


STAFF_USERS = [
    (CLASS_TEACHER, PersonRole.TEACHER, "T-004"),
    (ENGLISH, PersonRole.TEACHER, "T-006"),
    (SECOND, PersonRole.TEACHER, "T-008"),
    (DEPUTY, PersonRole.DEPUTY, "T-003"),
    (DIRECTOR, PersonRole.DIRECTOR, "T-002"),
    (OTHER_CLASS, PersonRole.TEACHER, "T-009"),
]


async def test_who_may_write_to_whom_about_a_child(school: ImportedSchool) -> None:
    await _school(
        school,
        (MOTHER, PersonRole.GUARDIAN, "U-101"),
        (IVANOV, PersonRole.STUDENT, "K-01"),
        *STAFF_USERS,
    )
    k01, k02, k03, k11, k22 = [
        await _id(school, PersonRole.STUDENT, x) for x in ("K-01", "K-02", "K-03", "K-11", "K-22")
    ]
    t004, t006, t008, t009 = [await _staff(school, x) for x in ("T-004", "T-006", "T-008", "T-009")]
    director = await _staff(school, "T-002")
    ivanov = Party(PersonRole.STUDENT, k01)
    petrova = Party(PersonRole.STUDENT, k02)
    cases: list[tuple[TgUser, int, Party, bool]] = [
        # a parent: the child's subject teacher, class teacher and the administration
        (MOTHER, k01, t006, True),
        (MOTHER, k01, t004, True),
        (MOTHER, k01, OFFICE, True),
        (MOTHER, k01, director, True),  # one of the administration, by name
        (MOTHER, k01, t008, False),  # teaches 7А, but another group: another child's teacher
        (MOTHER, k01, t009, False),  # a teacher of another class
        (MOTHER, k01, petrova, False),  # a student
        (MOTHER, k01, ivanov, False),
        (MOTHER, k01, FAMILY, False),  # parents do not write to parents
        (MOTHER, k02, t004, False),  # about someone else's child
        (MOTHER, k22, t009, True),  # her other child's class teacher
        # a teacher: the guardians of a student they teach, not of one they do not
        (ENGLISH, k01, FAMILY, True),
        (ENGLISH, k22, FAMILY, True),
        (ENGLISH, k03, FAMILY, False),
        (SECOND, k03, FAMILY, True),
        (SECOND, k01, FAMILY, False),
        # a class teacher: their class, not another
        (OTHER_CLASS, k22, FAMILY, True),
        (OTHER_CLASS, k01, FAMILY, False),
        (CLASS_TEACHER, k02, FAMILY, True),
        # the administration: anyone
        (DIRECTOR, k01, FAMILY, True),
        (DEPUTY, k11, FAMILY, True),
        # staff write to families, not to colleagues through a child
        (ENGLISH, k01, t004, False),
        # the student: their own teachers and class teacher only
        (IVANOV, k01, t006, True),
        (IVANOV, k01, t004, True),
        (IVANOV, k01, t008, False),  # a teacher not theirs
        (IVANOV, k01, t009, False),
        (IVANOV, k01, petrova, False),  # another student
        (IVANOV, k01, FAMILY, False),  # guardians
        (IVANOV, k01, OFFICE, False),
        (IVANOV, k01, director, False),
        (IVANOV, k02, t004, False),  # writing as another student
    ]
    for user, student, to, allowed in cases:
        before = await _counts(school)
        viewer = await _viewer(school, user)
        if allowed:
            letter = await school.services.letters.write(viewer, student, to, "Добрый день!")
            assert (letter.to_role, letter.to_id) == (to.role, to.id), (user, to)
            after = await _counts(school)
            assert after[0] == before[0] + 1 and after[2] == before[2] + 1, (user, to)
        else:
            with pytest.raises((LetterRefused, AccessDenied)):
                await school.services.letters.write(viewer, student, to, "Добрый день!")
            assert await _counts(school) == before, (user, student, to)
    # what was allowed reached someone: the family's letters reached the mother
    heads = [render([p], "ru").text.split("\n")[0] for p in await _pushes(school, MOTHER)]
    assert "✉️ Иванов Пётр (7А) — письмо из школы: Белова М.И." in heads
    assert "✉️ Иванов Пётр (7А) — пишет классный руководитель: Смирнова А.П." not in (
        heads
    )  # Смирнова wrote about Петрова, not about her son
    english = [render([p], "ru").text for p in await _pushes(school, ENGLISH)]
    assert any(t.startswith("✉️ Иванов Пётр (7А) — пишет ученик") for t in english)


# --- the parent's and the student's buttons --------------------------------------------------


async def test_a_parent_picks_the_teacher_by_subject_and_a_forged_recipient_is_refused(
    school: ImportedSchool,
) -> None:
    await _school(
        school,
        (MOTHER, PersonRole.GUARDIAN, "U-101"),
        (ENGLISH, PersonRole.TEACHER, "T-006"),
        (SECOND, PersonRole.TEACHER, "T-008"),
    )
    k01 = await _id(school, PersonRole.STUDENT, "K-01")
    await school.tester.send("✉️ Написать", user=MOTHER)
    assert school.tester.last_text(MOTHER) == "О каком ребёнке?"
    await school.tester.click("Иванов Пётр, 7А", user=MOTHER)
    assert school.tester.last_text(MOTHER) == "Иванов Пётр Алексеевич, 7А: кому вы пишете?"
    buttons = button_texts(school.tester.keyboard(MOTHER))
    assert buttons[0] == "Классный руководитель: Смирнова Анна Петровна"
    assert "Английский язык: Белова Мария Ивановна" in buttons
    assert "История: Орлова Наталья Игоревна" in buttons
    assert buttons[-1] == "🏫 Администрация школы"
    assert not any("Соколова" in b or "Зайцева" in b for b in buttons), buttons
    await school.tester.click("Английский язык: Белова Мария Ивановна", user=MOTHER)
    assert school.tester.last_text(MOTHER) == (
        "Иванов Пётр Алексеевич, 7А: напишите письмо.\nКому: Белова Мария Ивановна"
    )
    await school.tester.send("Можно ли пересдать словарный диктант?", user=MOTHER)
    assert school.tester.last_text(MOTHER) == "Письмо отправлено."
    (push,) = await _pushes(school, ENGLISH)
    assert push.data["text"] == "Можно ли пересдать словарный диктант?"
    assert not await _pushes(school, SECOND)

    # forged: another group's teacher, a stranger to the child, a made-up role, a student
    before = await _counts(school)
    t008 = await _staff(school, "T-008")
    k02 = await _id(school, PersonRole.STUDENT, "K-02")
    for forged in (
        LetterToCb(student=k01, role="staff", to=t008.id),
        LetterToCb(student=k02, role="staff", to=(await _staff(school, "T-004")).id),
        LetterToCb(student=k01, role="bogus", to=1),
        LetterToCb(student=k01, role="student", to=k02),
        LetterToCb(student=k01, role="staff", to=99_999_999),
    ):
        school.tester.session.requests.clear()
        await school.tester.click(forged, user=MOTHER, forged=True)
        (alert,) = _alerts(school)
        assert REFUSED in alert or NO_ACCESS in alert, alert
        # no form was opened: the next text is not a letter
        await school.tester.send("Это не должно уйти", user=MOTHER)
    assert await _counts(school) == before


async def test_a_student_writes_to_their_teachers_only(school: ImportedSchool) -> None:
    await _school(
        school, (IVANOV, PersonRole.STUDENT, "K-01"), (CLASS_TEACHER, PersonRole.TEACHER, "T-004")
    )
    await school.tester.send("/write", user=IVANOV)
    assert school.tester.last_text(IVANOV) == "Иванов Пётр Алексеевич, 7А: кому вы пишете?"
    buttons = button_texts(school.tester.keyboard(IVANOV))
    assert "🏫 Администрация школы" not in buttons
    await school.tester.click("Классный руководитель: Смирнова Анна Петровна", user=IVANOV)
    assert school.tester.last_text(IVANOV) == (
        "Иванов Пётр Алексеевич, 7А: напишите классному руководителю."
    )
    await school.tester.send("Я заболел, завтра не приду.", user=IVANOV)
    (push,) = await _pushes(school, CLASS_TEACHER)
    assert render([push], "ru").text.startswith("✉️ Иванов Пётр (7А) — пишет ученик")
    # a forged press to write to his parents or to a classmate is refused
    before = await _counts(school)
    k02 = await _id(school, PersonRole.STUDENT, "K-02")
    k01 = await _id(school, PersonRole.STUDENT, "K-01")
    for forged in (
        LetterToCb(student=k01, role="guardian", to=0),
        LetterToCb(student=k01, role="student", to=k02),
        LetterToCb(student=k02, role="staff", to=(await _staff(school, "T-004")).id),
    ):
        school.tester.session.requests.clear()
        await school.tester.click(forged, user=IVANOV, forged=True)
        assert _alerts(school), forged
    assert await _counts(school) == before


# --- threads, the staff's list, the audit ----------------------------------------------------


async def test_answers_thread_and_the_waiting_list_drops_an_answered_letter(
    school: ImportedSchool,
) -> None:
    await _school(
        school,
        (MOTHER, PersonRole.GUARDIAN, "U-101"),
        (ENGLISH, PersonRole.TEACHER, "T-006"),
        (SECOND, PersonRole.TEACHER, "T-008"),
    )
    k01 = await _id(school, PersonRole.STUDENT, "K-01")
    t006 = await _staff(school, "T-006")
    first = await school.services.letters.write(
        await _viewer(school, MOTHER), k01, t006, "Петя забыл учебник в классе."
    )
    await school.tester.send("/letters", user=ENGLISH)
    assert school.tester.last_text(ENGLISH) == "1 письмо ждёт вашего ответа:"
    (row, *_rest) = school.tester.keyboard(ENGLISH)
    assert row[0][0].startswith("7А Иванов Пётр — Иванова Ольга Викторовна")
    # another teacher sees nothing of it, and cannot open it by a forged button
    await school.tester.send("/letters", user=SECOND)
    assert school.tester.last_text(SECOND) == "Писем, ждущих вашего ответа, нет."
    school.tester.session.requests.clear()
    await school.tester.click(LetterOpenCb(letter=first.id), user=SECOND, forged=True)  # type: ignore[arg-type]
    assert any("ничего не найдено" in a.lower() for a in _alerts(school))

    await school.tester.click(row[0][0], user=ENGLISH)
    thread = school.tester.last_text(ENGLISH)
    assert "Иванова Ольга Викторовна" in thread and "Петя забыл учебник в классе." in thread
    await school.tester.click("↩️ Ответить", user=ENGLISH)
    assert school.tester.last_text(ENGLISH) == (
        "Иванов Пётр Алексеевич, 7А: напишите ответ.\nКому: Иванова Ольга Викторовна"
    )
    await school.tester.send("Учебник у меня, заберёт завтра.", user=ENGLISH)
    await school.tester.send("/letters", user=ENGLISH)
    assert school.tester.last_text(ENGLISH) == "Писем, ждущих вашего ответа, нет."

    # the mother's push, her answer under the thread, and it waits for the teacher again
    (push,) = await _pushes(school, MOTHER)
    assert render([push], "ru").text.startswith("✉️ Иванов Пётр (7А) — письмо из школы: Белова М.И.")
    answer_id = push.data["letter_id"]
    await school.tester.click(f"an1:{answer_id}", user=MOTHER, forged=True)
    texts = school.tester.texts(MOTHER)
    assert "Вы" in texts[-2] and "Учебник у меня, заберёт завтра." in texts[-2]
    assert texts[-1].endswith("Кому: Белова Мария Ивановна")
    await school.tester.send("Спасибо!", user=MOTHER)
    async with school.database.uow(readonly=True) as uow:
        letters = sorted(await uow.letters.for_student(k01), key=lambda x: x.id)  # type: ignore[arg-type, return-value]
    assert [(x.reply_to, x.from_role, x.to_role) for x in letters] == [
        (None, PersonRole.GUARDIAN, PersonRole.STAFF),
        (first.id, PersonRole.STAFF, PersonRole.GUARDIAN),
        (letters[1].id, PersonRole.GUARDIAN, PersonRole.STAFF),
    ]
    waiting = await school.services.letters.waiting(await _viewer(school, ENGLISH))
    assert [w.letter.id for w in waiting] == [letters[2].id]

    # audited: three letters sent; the teacher's reading of the thread is a read entry
    await school.services.read_audit.flush()
    async with school.database.uow(readonly=True) as uow:
        entries = await uow.audit.for_student(k01)
    sent = [e for e in entries if e.action == "letter.send"]
    assert [e.entity_id for e in sent] == [x.id for x in letters]
    assert sent[1].actor_id == t006.id and sent[0].actor_id is None and sent[0].account_id
    reads = [e for e in entries if e.is_read and e.action == "letter.read"]
    assert reads and {e.actor_id for e in reads} == {t006.id}


async def test_the_administrations_letters_reach_the_staff_the_school_chose(
    school: ImportedSchool,
) -> None:
    await _school(
        school,
        (MOTHER, PersonRole.GUARDIAN, "U-101"),
        (DEPUTY, PersonRole.DEPUTY, "T-003"),
        (DIRECTOR, PersonRole.DIRECTOR, "T-002"),
    )
    k01 = await _id(school, PersonRole.STUDENT, "K-01")
    await school.tester.send("/write", user=MOTHER)
    await school.tester.click("Иванов Пётр, 7А", user=MOTHER)
    await school.tester.click("🏫 Администрация школы", user=MOTHER)
    assert school.tester.last_text(MOTHER) == (
        "Иванов Пётр Алексеевич, 7А: напишите администрации школы."
    )
    await school.tester.send("Просим перевести сына в другую подгруппу.", user=MOTHER)
    # nobody is marked «letters»: the deputies receive them
    (push,) = await _pushes(school, DEPUTY)
    assert "Администрации школы." in render([push], "ru").text
    assert not await _pushes(school, DIRECTOR)
    deputy = await _viewer(school, DEPUTY)
    assert len(await school.services.letters.waiting(deputy)) == 1
    assert not await school.services.letters.waiting(await _viewer(school, DIRECTOR))

    # the school marks the director «письма» in the staff file: from now on, his
    for row in school.files.staff[1:]:
        if row[0] == "T-002":
            row[4] = "director, письма"
    report = await school.import_roster()
    assert report.applied, report.errors
    await school.services.letters.write(
        await _viewer(school, MOTHER), k01, OFFICE, "И ещё вопрос о питании."
    )
    assert len(await _pushes(school, DIRECTOR)) == 1 and len(await _pushes(school, DEPUTY)) == 1
    director = await _viewer(school, DIRECTOR)
    waiting = await school.services.letters.waiting(director)
    assert len(waiting) == 2  # the administration's inbox is shared, the first one included
    # the director answers; the mother's reply goes back to the administration
    answer = await school.services.letters.reply(director, waiting[0].letter.id, "Решим.")
    assert (answer.to_role, answer.from_id) == (PersonRole.GUARDIAN, director.staff_id)
    back = await school.services.letters.reply(await _viewer(school, MOTHER), answer.id, "Спасибо")
    assert (back.to_role, back.to_id) == (PersonRole.ADMIN, 0)


async def test_staff_start_a_letter_from_the_class_list(school: ImportedSchool) -> None:
    await _school(
        school,
        (MOTHER, PersonRole.GUARDIAN, "U-101"),
        (SECOND, PersonRole.TEACHER, "T-008"),
        (CLASS_TEACHER, PersonRole.TEACHER, "T-004"),
    )
    await school.tester.send("✉️ Письма", user=CLASS_TEACHER)
    await school.tester.click("✏️ Написать родителям", user=CLASS_TEACHER)
    assert school.tester.last_text(CLASS_TEACHER) == "Какому классу пишете?"
    await school.tester.click("7А", user=CLASS_TEACHER)
    assert school.tester.last_text(CLASS_TEACHER) == "7А: родителям какого ученика вы пишете?"
    await school.tester.click("Иванов Пётр", user=CLASS_TEACHER)
    assert school.tester.last_text(CLASS_TEACHER) == (
        "Иванов Пётр Алексеевич, 7А: напишите родителям."
    )
    await school.tester.send("Завтра родительское собрание в 18:00.", user=CLASS_TEACHER)
    (push,) = await _pushes(school, MOTHER)
    assert render([push], "ru").text.startswith(
        "✉️ Иванов Пётр (7А) — пишет классный руководитель: Смирнова А.П."
    )
    # the second group's teacher is offered only her group, and a forged student is refused
    await school.tester.send("/letters", user=SECOND)
    await school.tester.click("✏️ Написать родителям", user=SECOND)
    await school.tester.click("7А", user=SECOND)
    students = button_texts(school.tester.keyboard(SECOND))
    assert "Сидоров Максим" in students and "Иванов Пётр" not in students
    before = await _counts(school)
    school.tester.session.requests.clear()
    k01 = await _id(school, PersonRole.STUDENT, "K-01")
    await school.tester.click(LetterStudentCb(student=k01), user=SECOND, forged=True)
    assert any(REFUSED in a for a in _alerts(school))
    six = await _class_id(school, "6Б")
    await school.tester.click(LetterClassCb(class_id=six), user=SECOND, forged=True)
    assert len(_alerts(school)) == 2
    assert await _counts(school) == before


async def _class_id(school: ImportedSchool, name: str) -> int:
    async with school.database.uow(readonly=True) as uow:
        return next(c.id for c in await uow.classes.list_all() if c.name == name)  # type: ignore[return-value]


async def test_a_teacher_whose_teaching_ended_can_no_longer_start_or_answer(
    school: ImportedSchool,
) -> None:
    await _school(
        school,
        (MOTHER, PersonRole.GUARDIAN, "U-101"),
        (ENGLISH, PersonRole.TEACHER, "T-006"),
    )
    k01 = await _id(school, PersonRole.STUDENT, "K-01")
    t006 = await _staff(school, "T-006")
    mother = await _viewer(school, MOTHER)
    question = await school.services.letters.write(mother, k01, t006, "Как дела у Пети?")
    english = await _viewer(school, ENGLISH)
    ours = await school.services.letters.write(english, k01, FAMILY, "Петя молодец.")
    # from today the first group is Соколова's
    for row in school.files.timetable[1:]:
        if row[0] == "7А" and row[5] == "Англ. 1":
            row[4] = SECOND_ENGLISH
    report = await school.import_timetable()
    assert report.applied, report.errors
    english = await _viewer(school, ENGLISH)
    mother = await _viewer(school, MOTHER)
    before = await _counts(school)
    letters = school.services.letters
    attempts = [
        lambda: letters.write(english, k01, FAMILY, "Ещё одно"),
        lambda: letters.reply(english, question.id, "Отвечаю"),  # type: ignore[arg-type]
        lambda: letters.reply(mother, ours.id, "Спасибо"),  # type: ignore[arg-type]
        lambda: letters.write(mother, k01, t006, "Вопрос"),
    ]
    for attempt in attempts:
        with pytest.raises(LetterRefused):
            await attempt()
    assert await _counts(school) == before
    # the thread stays readable, without «Ответить», and says why
    await school.tester.click(LetterOpenCb(letter=question.id), user=ENGLISH, forged=True)  # type: ignore[arg-type]
    assert "больше нельзя продолжить" in school.tester.last_text(ENGLISH)
    assert "↩️ Ответить" not in button_texts(school.tester.keyboard(ENGLISH))
    # and she can no longer be chosen
    await school.tester.send("/write", user=MOTHER)
    await school.tester.click("Иванов Пётр, 7А", user=MOTHER)
    assert not any("Белова" in b for b in button_texts(school.tester.keyboard(MOTHER)))
