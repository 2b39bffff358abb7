"""Help, the answer in group chats, the fallback for stray input, and refusals as messages."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from app import keyboards as kb
from app.messages import describe_error
from core.access import Viewer
from core.errors import Busy, DomainError

logger = logging.getLogger(__name__)

PERSONAL_COMMANDS = (
    "marks",
    "finals",
    "attendance",
    "homework",
    "timetable",
    "progress",
    "children",
    "settings",
    "logout",
    "start",
    "help",
    "today",
    "att",
    "mark",
    "absences",
    "admin",
    "broadcast",
    "write",
    "invites",
)

groups = Router(name="groups")
groups.message.filter(F.chat.type.in_({"group", "supergroup", "channel"}))
groups.callback_query.filter(F.message.chat.type.in_({"group", "supergroup", "channel"}))

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")

fallback = Router(name="fallback")
fallback.message.filter(F.chat.type == "private")

errors = Router(name="errors")


@groups.message(Command(*PERSONAL_COMMANDS))
async def cmd_in_group(message: Message) -> None:
    """Personal data only in private chats: one line, nothing else."""
    await message.reply(_("This works only in a private chat with the bot."))


@groups.callback_query()
async def on_button_in_group(query: CallbackQuery) -> None:
    await query.answer(_("This works only in a private chat with the bot."), show_alert=True)


def help_text(viewer: Viewer) -> str:
    """What this person can do today: the diary for a family, the lessons for whoever
    teaches, the class for its class teacher, the administration for the administration."""
    lines = ["<b>" + _("What the bot can do") + "</b>"]
    if viewer.account_id is None:
        lines.append(
            _(
                "This is the school's electronic diary. To sign in, send the invite code "
                "from the class teacher (parents and students) or from the school's "
                "administrator (staff)."
            )
        )
        return "\n".join(lines)
    family = kb.reads_diary(viewer)
    if family:
        lines += [
            _("/marks — marks for the period, averages and the forecast of the period mark"),
            _("/homework — homework for today, tomorrow or the week"),
            _("/timetable — lessons with times, rooms, substitutions and cancellations"),
            _("/attendance — absences and lateness with their reasons"),
            _("/finals — period, year and exam marks"),
            _("/progress — a chart of marks over the period"),
        ]
        if len(viewer.children) > 1:
            lines.append(_("/children — choose whose diary to show"))
        if viewer.children:
            lines.append(
                _(
                    "/write — a letter about your child to one of their teachers, the class "
                    "teacher or the school administration"
                )
            )
        elif viewer.student_id:
            lines.append(_("/write — a letter to one of your teachers or the class teacher"))
    if viewer.is_staff:
        lines.append(
            _(
                "/letters — letters waiting for your answer, and letters to the parents of "
                "your students. Parents' letters to the administration reach the staff marked "
                "«letters» in the staff file (else the deputies, else the journal "
                "administrators)."
            )
        )
    if viewer.is_staff and kb.has_lessons(viewer):
        lines += [
            _("/today — my lessons: roll call, marks, topic, homework, remarks, period marks"),
            _("/att 7А Иванов Петрова — mark them absent in my lesson with 7А now"),
            _("/mark 7А КР Иванов 5 Петрова 4 — marks of one work type in my latest lesson"),
        ]
    if viewer.is_staff and viewer.class_teacher_of:
        lines.append(_("/absences — absences in my class, their reasons, the weekly check"))
    if kb.broadcasts(viewer):
        lines.append(
            _("/broadcast — a message to the parents and students of a class, with receipts")
        )
    if kb.hands_out_codes(viewer):
        lines.append(_("/invites — invite codes for students and parents, who has signed in"))
    if viewer.is_staff and viewer.administers:
        lines.append(_("/admin — imports, periods, reports, charts, the audit log, access"))
    lines += [
        _("/settings — language, quiet hours and notifications"),
        _("/logout — sign out on this account"),
    ]
    if family:
        lines += ["", _("The diary only shows data; marks and absences are entered by teachers.")]
    return "\n".join(lines)


@router.message(Command("help"))
@router.message(F.text == kb.HELP)
async def cmd_help(message: Message, viewer: Viewer) -> None:
    await message.answer(help_text(viewer))


@fallback.message(F.text.startswith("/"))
async def on_unknown_command(message: Message, viewer: Viewer) -> None:
    await message.answer(_("I do not know this command.") + "\n\n" + help_text(viewer))


@fallback.message()
async def on_stray_message(message: Message, viewer: Viewer) -> None:
    await message.answer(
        _("Please choose an action in the menu or a command.") + "\n\n" + help_text(viewer)
    )


@errors.error(ExceptionTypeFilter(DomainError))
async def on_domain_error(event: ErrorEvent, bot: Bot, i18n: I18n) -> None:
    """A refusal: say why, in the user's language; nothing was changed. ``Busy`` too: the
    database did not take the change in time, the user is asked to try again."""
    if isinstance(event.exception, Busy):
        logger.warning("update %s: the database was busy: try again", event.update.update_id)
    text = describe_error(event.exception, i18n.current_locale)  # type: ignore[arg-type]
    await _tell(event, bot, text)


@errors.error()
async def on_unexpected_error(event: ErrorEvent, bot: Bot, i18n: I18n) -> None:
    logger.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    await _tell(event, bot, _("Something went wrong on our side. Please try again a little later."))


async def _tell(event: ErrorEvent, bot: Bot, text: str) -> None:
    update = event.update
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(text[:200], show_alert=True)
            return
        except TelegramBadRequest:  # the press was answered already: say it in the chat
            if query.message is None or query.message.chat.type != "private":
                return
            await bot.send_message(query.message.chat.id, text)
    elif update.message is not None and update.message.chat.type == "private":
        await update.message.answer(text)
    elif update.message is not None:
        await update.message.reply(_("This works only in a private chat with the bot."))
