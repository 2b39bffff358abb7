"""Each person's home: the greeting names the roles the person really has, and /help, the
main keyboard and the command menu offer what the person can do today — lessons only to
whoever teaches, the class's screens to its class teacher, 📣 to whoever may broadcast, ✉️ to
a parent, the administration to the administration; the family's sentence only to families."""

from __future__ import annotations

from aiogram.methods import SetMyCommands

from core.model import PersonRole
from tests.support import TgUser
from tests.support.school import ImportedSchool

TEACHER = TgUser(7101, "Анна")  # T-004: maths; class teacher of 7А
SUBJECT_TEACHER = TgUser(7102, "Мария")  # T-006: English, no class
DEPUTY = TgUser(7103, "Наталья")  # T-003: deputy head, teaches history
ADMIN = TgUser(7104, "Ирина")  # T-001: the journal administrator, teaches nothing
DIRECTOR = TgUser(7105, "Виктор")  # T-002
PARENT = TgUser(7106, "Ольга")  # U-101: two children
STUDENT = TgUser(7107, "Алёна")  # K-02

FAMILY_NOTE = "Дневник только показывает данные"


def _keyboard(school: ImportedSchool, user: TgUser) -> list[str]:
    return [t for row in school.tester.reply_keyboard(user) or [] for t in row]


def _commands(school: ImportedSchool, user: TgUser) -> set[str]:
    calls = [
        c
        for c in school.tester.session.calls(SetMyCommands)
        if getattr(c.scope, "chat_id", None) == user.id
    ]
    return {c.command for c in calls[-1].commands}


async def _home(school: ImportedSchool, user: TgUser) -> tuple[str, str, list[str], set[str]]:
    """The greeting, /help, the keyboard and the command menu after /start."""
    await school.tester.send("/start", user=user)
    greeting = school.tester.last_text(user) or ""
    keyboard = _keyboard(school, user)
    await school.tester.send("/help", user=user)
    return greeting, school.tester.last_text(user) or "", keyboard, _commands(school, user)


async def test_the_administrator_who_teaches_nothing_gets_no_lessons(
    school: ImportedSchool,
) -> None:
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    greeting, help_text, keyboard, commands = await _home(school, ADMIN)
    assert "Павлова Ирина Сергеевна (администратор журнала)" in greeting, greeting
    assert "сотрудник школы" not in greeting
    assert "📋 Уроки" not in keyboard, keyboard
    assert "🛠 Администрирование" in keyboard and "🔑 Коды приглашения" in keyboard
    assert "📣 Сообщение классу" in keyboard
    for command in ("/today", "/att", "/mark", "/absences"):
        assert command not in help_text, (command, help_text)
    assert {"today", "att", "mark", "absences", "write"}.isdisjoint(commands), commands
    assert {"admin", "invites", "broadcast"} <= commands
    assert FAMILY_NOTE not in help_text


async def test_a_class_teacher_has_the_lessons_and_the_class(school: ImportedSchool) -> None:
    await school.link(TEACHER, PersonRole.TEACHER, "T-004")
    greeting, help_text, keyboard, commands = await _home(school, TEACHER)
    assert "Смирнова Анна Петровна (учитель, классный руководитель 7А)" in greeting, greeting
    assert {"📋 Уроки", "🚫 Пропуски класса", "📣 Сообщение классу"} <= set(keyboard), keyboard
    assert "🛠 Администрирование" not in keyboard
    assert "/today" in help_text and "/absences" in help_text and "/broadcast" in help_text
    assert "/admin" not in help_text
    assert FAMILY_NOTE not in help_text
    assert {"today", "att", "mark", "absences", "broadcast", "invites"} <= commands


async def test_a_subject_teacher_has_only_the_lessons(school: ImportedSchool) -> None:
    await school.link(SUBJECT_TEACHER, PersonRole.TEACHER, "T-006")
    greeting, help_text, keyboard, commands = await _home(school, SUBJECT_TEACHER)
    assert "Белова Мария Ивановна (учитель)" in greeting, greeting
    assert "📋 Уроки" in keyboard
    assert not {"🚫 Пропуски класса", "📣 Сообщение классу", "🔑 Коды приглашения"} & set(
        keyboard
    ), keyboard
    assert "/broadcast" not in help_text and "/invites" not in help_text
    assert {"broadcast", "invites", "absences", "admin"}.isdisjoint(commands)


async def test_the_deputy_and_the_director(school: ImportedSchool) -> None:
    await school.link(DEPUTY, PersonRole.DEPUTY, "T-003")
    greeting, _help, keyboard, _menu = await _home(school, DEPUTY)
    assert "Орлова Наталья Игоревна (заместитель директора, учитель)" in greeting, greeting
    assert "📋 Уроки" in keyboard and "🛠 Администрирование" in keyboard
    await school.link(DIRECTOR, PersonRole.DIRECTOR, "T-002")
    greeting, help_text, keyboard, commands = await _home(school, DIRECTOR)
    assert "Громов Виктор Павлович (директор)" in greeting, greeting
    assert "📋 Уроки" not in keyboard and "🛠 Администрирование" in keyboard
    assert "/today" not in help_text and "today" not in commands


async def test_a_parent_writes_from_the_keyboard_and_reads_the_family_note(
    school: ImportedSchool,
) -> None:
    await school.link(PARENT, PersonRole.GUARDIAN, "U-101")
    greeting, help_text, keyboard, commands = await _home(school, PARENT)
    assert "(родитель)" in greeting
    assert "✉️ Написать" in keyboard, keyboard
    assert FAMILY_NOTE in help_text
    assert "/today" not in help_text and "write" in commands
    await school.tester.send("✉️ Написать", user=PARENT)
    assert "О каком ребёнке" in (school.tester.last_text(PARENT) or "")

    # a student writes to their teachers too (#14), from the same button
    await school.link(STUDENT, PersonRole.STUDENT, "K-02")
    _greeting, help_text, keyboard, _menu = await _home(school, STUDENT)
    assert "✉️ Написать" in keyboard
    assert FAMILY_NOTE in help_text


async def test_the_broadcast_button_opens_the_broadcast(school: ImportedSchool) -> None:
    await school.link(TEACHER, PersonRole.TEACHER, "T-004")
    await school.tester.send("📣 Сообщение классу", user=TEACHER)
    assert "Напишите сообщение для 7А" in (school.tester.last_text(TEACHER) or "")
