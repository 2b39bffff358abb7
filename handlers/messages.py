"""The letter form, and the buttons pushes carry.

A parent answers a broadcast or explains an absence (text, and optionally a photo of a note);
whoever gets a letter answers it under the thread («Ответить»), and for an explained absence
the class teacher sets the reason (Б, У) or keeps it unexcused (Н). "Read" under a broadcast
tells the class teacher it was read. Whom a new letter goes to is chosen in
``handlers.letters``; the text of every letter is typed here. Every id in a button is checked
again by the core.
"""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from app.push_buttons import (
    CancelFormCb,
    ExplainCb,
    ReadCb,
    ReasonCb,
    ReplyCb,
)
from core.access import Viewer
from core.diary import DiaryService, StudentCard
from core.errors import AccessDenied, ValidationFailed
from core.journal import JournalService
from core.letters import MAX_LETTER, LetterService, Party
from core.messaging import MessagingService
from core.model import AbsenceReason, PersonRole
from handlers import render as r
from handlers.broadcast import cancel_form, cancel_keyboard, form_content

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")


class LetterForm(StatesGroup):
    text = State()  # data: mode (write, broadcast, explain, answer) and its ids


async def start_letter(target: Message, state: FSMContext, prompt: str, **data: object) -> None:
    await state.set_state(LetterForm.text)
    await state.set_data(data)
    await target.answer(prompt, reply_markup=cancel_keyboard("letter"))


def _without(markup: InlineKeyboardMarkup | None, prefix: str) -> InlineKeyboardMarkup | None:
    """The same keyboard without the buttons whose data starts with ``prefix``."""
    if markup is None:
        return None
    rows = [
        [b for b in row if not (b.callback_data or "").startswith(prefix)]
        for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def _edit_markup(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_reply_markup(reply_markup=markup)
    except TelegramBadRequest as exc:
        if "not modified" not in exc.message:
            raise


# --- read receipts --------------------------------------------------------------------------


@router.callback_query(ReadCb.filter())
async def on_read(
    query: CallbackQuery, callback_data: ReadCb, viewer: Viewer, messaging: MessagingService
) -> None:
    await messaging.mark_read(viewer, callback_data.delivery)
    await query.answer(_("Thank you! The class teacher will see that you have read it."))
    message = query.message if isinstance(query.message, Message) else None
    await _edit_markup(query, _without(message.reply_markup if message else None, "rd1:"))


# --- parents write --------------------------------------------------------------------------


async def _child(viewer: Viewer, diary: DiaryService, student: int) -> StudentCard:
    """One of the parent's own children, by the id a button carries."""
    found = [c for c in await diary.students_of(viewer) if c.id == student]
    if student not in viewer.children or not found:
        raise AccessDenied("write_letter")
    return found[0]


@router.callback_query(ReplyCb.filter())
async def on_reply_broadcast(
    query: CallbackQuery,
    callback_data: ReplyCb,
    viewer: Viewer,
    diary: DiaryService,
    state: FSMContext,
) -> None:
    card = await _child(viewer, diary, callback_data.student)
    await query.answer()
    if isinstance(query.message, Message):
        await start_letter(
            query.message,
            state,
            _("{who}: write your answer to the class teacher.").format(
                who=r.whose(card.full_name, card.class_name)
            ),
            mode="broadcast",
            student=callback_data.student,
            broadcast=callback_data.broadcast,
        )


@router.callback_query(ExplainCb.filter())
async def on_explain(
    query: CallbackQuery,
    callback_data: ExplainCb,
    viewer: Viewer,
    diary: DiaryService,
    state: FSMContext,
) -> None:
    if viewer.guardian_id is None:
        raise AccessDenied("explain_absence")
    found = await diary.absence(viewer, callback_data.attendance)  # whose, checked
    await query.answer()
    if isinstance(query.message, Message):
        absence = found.absence
        lesson = (_("lesson {n}").format(n=absence.slot) + ", " if absence.slot else "") + escape(
            absence.subject_name
        )
        await start_letter(
            query.message,
            state,
            _(
                "{who}: absence on {day}, {lesson}.\n"
                "Please write the reason to the class teacher. You can also send a photo of "
                "a note, with the explanation as its caption."
            ).format(
                who=r.whose(found.student.full_name, found.student.class_name),
                day=r.day(absence.day),
                lesson=lesson,
            ),
            mode="explain",
            attendance=callback_data.attendance,
        )


@router.message(StateFilter(LetterForm), Command("cancel"))
async def cmd_cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled: nothing was sent."))


@router.callback_query(CancelFormCb.filter(F.form == "letter"))
async def on_cancel(query: CallbackQuery, state: FSMContext) -> None:
    await cancel_form(query, state, LetterForm)


@router.message(LetterForm.text)
async def got_letter(
    message: Message,
    state: FSMContext,
    viewer: Viewer,
    messaging: MessagingService,
    letters: LetterService,
) -> None:
    prompt = _("Please write the text (you can add a photo or a document).")
    content = await form_content(message, "letter", prompt, MAX_LETTER)
    if content is None:
        return
    text, attachment = content
    data = await state.get_data()
    files = [attachment] if attachment else []
    mode = data.get("mode")
    if mode in ("write", "broadcast"):
        await messaging.write_to_class_teacher(
            viewer, int(data["student"]), text, files, broadcast_id=data.get("broadcast")
        )
        done = _("Sent to the class teacher.")
    elif mode == "explain":
        await messaging.explain_absence(viewer, int(data["attendance"]), text, files)
        done = _("Sent to the class teacher, who will record the reason.")
    elif mode == "to":
        to = Party(PersonRole(str(data["role"])), int(data["to"]))
        await letters.write(viewer, int(data["student"]), to, text, files)
        done = _("Your letter is sent.")
    elif mode == "answer":
        await letters.reply(viewer, int(data["letter"]), text, files)
        done = _("Your answer is sent.")
    else:
        await state.clear()
        raise ValidationFailed("form", "unknown")
    await state.clear()
    await message.answer(done)


# --- the class teacher sets the reason of an explained absence ------------------------------


@router.callback_query(ReasonCb.filter())
async def on_reason(
    query: CallbackQuery, callback_data: ReasonCb, viewer: Viewer, journal: JournalService
) -> None:
    try:
        reason = AbsenceReason(callback_data.reason)
    except ValueError:
        raise ValidationFailed("reason", "unknown") from None
    await journal.set_absence_reason(viewer, callback_data.attendance, reason)
    recorded = _("Recorded: absence {reason}.").format(reason=r.reason(reason))
    await query.answer(recorded)
    message = query.message if isinstance(query.message, Message) else None
    await _edit_markup(query, _without(message.reply_markup if message else None, "rs1:"))
    if message is not None:
        await message.reply(recorded)
