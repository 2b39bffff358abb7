"""Letters about a child: whom to write to, and the staff's list of letters to answer.

A parent (/write, «✉️ Написать») picks the child, then the recipient: one of the child's
teachers by subject and name, the class teacher, or the school administration; a student
picks among their own teachers. Staff open /letters («✉️ Письма»): the letters still waiting
for their answer, each with its thread and «Ответить», and «Написать родителям» by class and
student. The text itself is typed into the letter form of ``handlers.messages``. Every id in a
button is only a hint: ``core.letters`` checks the pair again.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from app.keyboards import LETTERS, WRITE, inline
from app.push_buttons import AnswerCb, WriteChildCb
from core.access import Viewer
from core.clock import Clock
from core.diary import DiaryService
from core.errors import LetterRefused
from core.letters import FAMILY, OFFICE, Choice, LetterService, Party, Thread
from core.model import PersonRole
from handlers import render as r
from handlers.messages import start_letter
from handlers.start import consent_keyboard, consent_text

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")


class LetterToCb(CallbackData, prefix="ltw1"):
    """Write about ``student`` to ``role``/``to`` (staff, admin: the administration, guardian:
    the family)."""

    student: int
    role: str
    to: int


class LetterOpenCb(CallbackData, prefix="lto1"):
    letter: int


class LetterClassCb(CallbackData, prefix="ltc1"):
    class_id: int  # 0: the list of classes


class LetterStudentCb(CallbackData, prefix="lts1"):
    student: int


def _party(data: LetterToCb) -> Party:
    try:
        return Party(PersonRole(data.role), data.to)
    except ValueError:
        return Party(PersonRole.STUDENT, -1)  # refused by the core as any stranger is


# --- a parent or a student chooses whom to write to -----------------------------------------


@router.message(Command("write"))
@router.message(F.text == WRITE)
async def cmd_write(
    message: Message, viewer: Viewer, diary: DiaryService, letters: LetterService
) -> None:
    if viewer.student_id is not None and not viewer.children:
        await _choices(message, viewer, letters, viewer.student_id)
        return
    if viewer.guardian_id is None or not viewer.children:
        if viewer.children_pending_consent:
            await message.answer(consent_text(), reply_markup=consent_keyboard())
        else:
            await message.answer(_("Letters to teachers are for parents and students."))
        return
    cards = [c for c in await diary.students_of(viewer) if c.id in viewer.children]
    if len(cards) == 1:
        await _choices(message, viewer, letters, cards[0].id)
        return
    rows = [[(f"{c.short_name}, {c.class_name}", WriteChildCb(student=c.id))] for c in cards]
    await message.answer(_("About which child?"), reply_markup=inline(rows))


@router.callback_query(WriteChildCb.filter())
async def on_write_child(
    query: CallbackQuery, callback_data: WriteChildCb, viewer: Viewer, letters: LetterService
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _choices(query.message, viewer, letters, callback_data.student)


def _choice_label(choice: Choice) -> str:
    if choice.to == OFFICE:
        return _("🏫 School administration")
    if choice.class_teacher:
        return _("Class teacher: {name}").format(name=choice.name)
    return f"{', '.join(choice.subjects)}: {choice.name}"


async def _choices(message: Message, viewer: Viewer, letters: LetterService, student: int) -> None:
    found = await letters.choices(viewer, student)
    if not found.choices:
        await message.answer(_("The school has no one to write to about this child yet."))
        return
    rows = [
        [(_choice_label(c), LetterToCb(student=student, role=c.to.role.value, to=c.to.id))]
        for c in found.choices
    ]
    await message.answer(
        _("{who}: whom do you write to?").format(
            who=r.whose(found.student.full_name, found.cls.name)
        ),
        reply_markup=inline(rows),
    )


@router.callback_query(LetterToCb.filter())
async def on_recipient(
    query: CallbackQuery,
    callback_data: LetterToCb,
    viewer: Viewer,
    letters: LetterService,
    state: FSMContext,
) -> None:
    to = _party(callback_data)
    student, cls, name = await letters.recipient(viewer, callback_data.student, to)
    await query.answer()
    who = r.whose(student.full_name, cls.name)
    if to == OFFICE:
        prompt = _("{who}: write to the school administration.").format(who=who)
    elif to.role == PersonRole.GUARDIAN:
        prompt = _("{who}: write to the parents.").format(who=who)
    elif to.id == cls.class_teacher_id:
        prompt = _("{who}: write to the class teacher.").format(who=who)
    else:
        prompt = _("{who}: write your letter.\nTo: {name}").format(who=who, name=escape(name))
    if isinstance(query.message, Message):
        await start_letter(
            query.message,
            state,
            prompt,
            mode="to",
            student=callback_data.student,
            role=to.role.value,
            to=to.id,
        )


# --- staff: letters waiting for an answer, and letters to parents ---------------------------


@router.message(Command("letters"))
@router.message(F.text == LETTERS)
async def cmd_letters(message: Message, viewer: Viewer, letters: LetterService) -> None:
    if viewer.staff_id is None:
        await message.answer(_("This list is for the school's staff: parents use /write."))
        return
    waiting = await letters.waiting(viewer)
    rows = [
        [
            (
                f"{w.cls.name} {w.student.short_name} — {w.from_name}, "
                f"{r.short_day(w.letter.created_at.date())}",
                LetterOpenCb(letter=w.letter.id),  # type: ignore[arg-type]
            )
        ]
        for w in waiting[:40]
    ]
    rows.append([(_("✏️ Write to parents"), LetterClassCb(class_id=0))])
    if waiting:
        text = ngettext(
            "{n} letter is waiting for your answer:",
            "{n} letters are waiting for your answer:",
            len(waiting),
        ).format(n=len(waiting))
    else:
        text = _("No letters are waiting for your answer.")
    await message.answer(text, reply_markup=inline(rows))


def thread_text(thread: Thread, clock: Clock) -> str:
    """The whole conversation, oldest first, each letter with its author and time."""
    lines = [_("✉️ <b>{who}</b>").format(who=r.whose(thread.student.full_name, thread.cls.name))]
    for item in thread.letters:
        name = _("You") if item.mine else escape(item.from_name)
        lines.append(
            _("<b>{name}</b>, {when}:").format(name=name, when=_when(item.letter.created_at, clock))
            + "\n"
            + escape(item.letter.text or "📎")
        )
    if not thread.may_answer:
        lines.append(
            _(
                "This conversation can no longer be continued: the teaching or the link behind "
                "it has ended. Parents write to the class teacher or the administration."
            )
        )
    return r.split("\n\n".join(lines))[0]


def _when(at: datetime, clock: Clock) -> str:
    local = at.astimezone(clock.tz)
    return f"{r.day(local.date())}, {local.strftime('%H:%M')}"


@router.callback_query(LetterOpenCb.filter())
async def on_open(
    query: CallbackQuery,
    callback_data: LetterOpenCb,
    viewer: Viewer,
    letters: LetterService,
    clock: Clock,
) -> None:
    thread = await letters.thread(viewer, callback_data.letter)
    await query.answer()
    rows = [[(_("↩️ Answer"), AnswerCb(letter=callback_data.letter))]] if thread.may_answer else []
    if isinstance(query.message, Message):
        await query.message.answer(thread_text(thread, clock), reply_markup=inline(rows))


@router.callback_query(LetterClassCb.filter())
async def on_class(
    query: CallbackQuery, callback_data: LetterClassCb, viewer: Viewer, letters: LetterService
) -> None:
    if callback_data.class_id == 0:
        classes = await letters.classes(viewer)
        await query.answer()
        if not isinstance(query.message, Message):
            return
        if not classes:
            await query.message.answer(_("You have no class whose parents you can write to."))
            return
        buttons = [(c.name, LetterClassCb(class_id=c.id)) for c in classes]  # type: ignore[arg-type]
        rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
        await query.message.answer(_("Which class do you write to?"), reply_markup=inline(rows))
        return
    cls, students = await letters.students(viewer, callback_data.class_id)
    await query.answer()
    buttons = [(s.short_name, LetterStudentCb(student=s.id)) for s in students]  # type: ignore[arg-type]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if isinstance(query.message, Message):
        await query.message.answer(
            _("{class_name}: whose parents do you write to?").format(class_name=escape(cls.name)),
            reply_markup=inline(rows),
        )


@router.callback_query(LetterStudentCb.filter())
async def on_student(
    query: CallbackQuery,
    callback_data: LetterStudentCb,
    viewer: Viewer,
    letters: LetterService,
    state: FSMContext,
) -> None:
    student, cls, _name = await letters.recipient(viewer, callback_data.student, FAMILY)
    await query.answer()
    if isinstance(query.message, Message):
        await start_letter(
            query.message,
            state,
            _("{who}: write to the parents.").format(who=r.whose(student.full_name, cls.name)),
            mode="to",
            student=callback_data.student,
            role=FAMILY.role.value,
            to=FAMILY.id,
        )


# --- answering under a thread (the «↩️ Answer» of a push or of the list) -----------------------


@router.callback_query(AnswerCb.filter())
async def on_answer(
    query: CallbackQuery,
    callback_data: AnswerCb,
    viewer: Viewer,
    letters: LetterService,
    clock: Clock,
    state: FSMContext,
) -> None:
    thread = await letters.thread(viewer, callback_data.letter)
    if not thread.may_answer:
        raise LetterRefused()
    await query.answer()
    if isinstance(query.message, Message):
        if len(thread.letters) > 1:  # the push shows the letter; the answer needs the thread
            await query.message.answer(thread_text(thread, clock))
        await start_letter(
            query.message,
            state,
            _("{who}: write your answer.\nTo: {name}").format(
                who=r.whose(thread.student.full_name, thread.cls.name),
                name=escape(thread.other_name or _recipient_group(thread.other.role)),
            ),
            mode="answer",
            letter=callback_data.letter,
        )


def _recipient_group(role: PersonRole) -> str:
    if role == PersonRole.ADMIN:
        return _("the school administration")
    return _("the parents")
