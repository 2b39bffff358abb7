"""The command menu: a default one per language, and one per chat for the account's roles."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from app.keyboards import broadcasts, hands_out_codes, has_lessons
from app.messages import N_
from app.viewers import messenger_of
from core.access import Viewer
from locales import LANGUAGES, translations

START = ("start", N_("Start, or sign in with a code"))
HELP = ("help", N_("What the bot can do"))
DIARY = [
    ("marks", N_("Marks, averages and the forecast")),
    ("homework", N_("Homework")),
    ("timetable", N_("Timetable")),
    ("attendance", N_("Absences and lateness")),
    ("finals", N_("Period and year marks")),
    ("progress", N_("Progress chart")),
]
CHILDREN = ("children", N_("Choose a child"))
SETTINGS = ("settings", N_("Language and notifications"))
LOGOUT = ("logout", N_("Sign out"))
TEACHER = [
    ("today", N_("My lessons today: roll call, marks, homework")),
    ("att", N_("Absent: /att 7А Иванов Петрова")),
    ("mark", N_("Marks: /mark 7А КР Иванов 5 Петрова 4")),
]
ABSENCES = ("absences", N_("Absences in my class and their reasons"))
INVITES = ("invites", N_("Invite codes for students and parents"))
ADMIN = ("admin", N_("Administration: imports, periods, reports, access"))
WRITE = ("write", N_("Write to a teacher, the class teacher or the administration"))
LETTERS = ("letters", N_("Letters waiting for your answer; write to parents"))
BROADCAST = ("broadcast", N_("A message to a class's parents and students"))

# MAX has one command list for the bot (no scope per chat) and no reply keyboard: its list
# names everything the menu offers any role; each command checks the rights behind it.
EVERYTHING = [
    START,
    *DIARY,
    CHILDREN,
    WRITE,
    *TEACHER,
    ABSENCES,
    LETTERS,
    BROADCAST,
    INVITES,
    ADMIN,
    SETTINGS,
    HELP,
    LOGOUT,
]

logger = logging.getLogger(__name__)


def commands_for(viewer: Viewer) -> list[tuple[str, str]]:
    """What the account can do today, as the main keyboard offers it."""
    if viewer.account_id is None:
        return [START, HELP]
    items = []
    if viewer.student_id or viewer.children:
        items += DIARY
    if len(viewer.children) > 1:
        items.append(CHILDREN)
    if viewer.student_id or viewer.children:
        items.append(WRITE)
    if viewer.is_staff:
        if has_lessons(viewer):
            items += TEACHER
        if viewer.class_teacher_of:
            items.append(ABSENCES)
        items.append(LETTERS)
        if broadcasts(viewer):
            items.append(BROADCAST)
        if hands_out_codes(viewer):
            items.append(INVITES)
        if viewer.administers:
            items.append(ADMIN)
    return [*items, SETTINGS, HELP, LOGOUT]


def _localised(items: list[tuple[str, str]], locale: str) -> list[BotCommand]:
    gettext = translations(locale).gettext
    return [BotCommand(command=name, description=gettext(text)) for name, text in items]


async def set_default_commands(bot: Bot, locale: str = "ru") -> None:
    """Telegram: the menu before sign-in in each language. MAX keeps one list for the bot, with
    no languages and no scopes: every command, in the school's language (``locale``)."""
    if messenger_of(bot) == "max":
        await bot.set_my_commands(_localised(EVERYTHING, locale))
        return
    for lang in LANGUAGES:
        await bot.set_my_commands(
            _localised([START, HELP], lang), scope=BotCommandScopeDefault(), language_code=lang
        )


async def set_chat_commands(bot: Bot, chat_id: int, viewer: Viewer, locale: str | None) -> None:
    """This chat's menu for the account's roles; a failure here must not spoil the answer. MAX
    has no menu per chat (one would replace the bot's list for everyone): nothing to do."""
    if messenger_of(bot) == "max":
        return
    try:
        await bot.set_my_commands(
            _localised(commands_for(viewer), locale or viewer.locale),
            scope=BotCommandScopeChat(chat_id=chat_id),
        )
    except TelegramAPIError:
        logger.warning("could not set the command menu of chat %s", chat_id, exc_info=True)
