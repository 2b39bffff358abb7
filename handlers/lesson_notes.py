"""A lesson's topic, its homework (text, photos and files, also ahead of the lesson) and a
remark or praise for a student, which the parents get."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from app.keyboards import CancelInputCb, HomeworkCb, LessonCb, RemarkCb, inline
from core.access import Viewer
from core.clock import Clock
from core.errors import AccessDenied
from core.journal import JournalService
from core.model import Attachment, RemarkKind
from core.teacher import LessonCard, TeacherService
from handlers import journal_text as t
from handlers import journal_ui as ui
from handlers import render as r
from handlers.live_keyboards import WRITES, live_keyboards

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")
router.callback_query.middleware(live_keyboards)

MAX_FILES = 10


async def writable_card(teacher: TeacherService, viewer: Viewer, lesson: int) -> LessonCard:
    """The card, for its teacher or substitute only: nobody else types into it."""
    card = await teacher.card(viewer, lesson)
    if not card.writable:
        raise AccessDenied("write_lesson")
    return card


async def show_card(
    message: Message,
    teacher: TeacherService,
    viewer: Viewer,
    state: FSMContext,
    lesson: int,
    done: str,
) -> None:
    card = await teacher.card(viewer, lesson)
    text = done + "\n\n" + t.card_text(card)
    await ui.show(message, text, ui.card_keyboard(card), state=state, lesson=lesson)


# -- the topic ----------------------------------------------------------------------------------


@router.callback_query(LessonCb.filter(F.view == "t"))
async def on_topic(
    query: CallbackQuery,
    callback_data: LessonCb,
    viewer: Viewer,
    teacher: TeacherService,
    state: FSMContext,
    clock: Clock,
) -> None:
    card = await writable_card(teacher, viewer, callback_data.lesson)
    await ui.begin(state, ui.Input.topic, clock, lesson=card.lesson.id)
    lines = t.card_head(card)
    if card.lesson.topic:
        lines.append(_("Topic: {topic}").format(topic=escape(card.lesson.topic)))
    lines += ["", _("Send the lesson's topic as a message.")]
    await ui.show(query, "\n".join(lines), inline([ui.cancel_row(card.lesson.id)]))


@router.message(ui.Input.topic, ui.TYPED)
async def got_topic(
    message: Message,
    viewer: Viewer,
    journal: JournalService,
    teacher: TeacherService,
    state: FSMContext,
    clock: Clock,
) -> None:
    data = await ui.pending(state, clock, ui.Input.topic)
    if data is None:
        raise SkipHandler
    await journal.set_topic(viewer, data["lesson"], message.text or "")
    await ui.finish(state)
    await show_card(message, teacher, viewer, state, data["lesson"], _("Topic saved."))


# -- homework: text, photos and files, kept by reference ---------------------------------------


def homework_keyboard(lesson: int) -> Any:
    return inline(
        [
            [
                (_("✅ Save"), HomeworkCb(lesson=lesson, save=True)),
                (_("Cancel"), CancelInputCb(lesson=lesson)),
            ]
        ]
    )


@router.callback_query(LessonCb.filter(F.view == "h"))
async def on_homework(
    query: CallbackQuery,
    callback_data: LessonCb,
    viewer: Viewer,
    teacher: TeacherService,
    state: FSMContext,
    clock: Clock,
) -> None:
    card = await writable_card(teacher, viewer, callback_data.lesson)
    lesson = card.lesson.id
    await ui.begin(state, ui.Input.homework, clock, lesson=lesson, text="", files=[], group=None)
    lines = t.card_head(card)
    if card.homework is not None:
        lines.append(_("Now: {text}").format(text=escape(card.homework.text)))
    lines += [
        "",
        _(
            "Send the homework: text, photos or files, in one message or several. "
            "Then tap «Save». It is due at the next lesson of the subject."
        ),
    ]
    await ui.show(query, "\n".join(lines), homework_keyboard(lesson))


@router.message(ui.Input.homework, ui.TYPED | F.photo | F.document)
async def got_homework(message: Message, state: FSMContext, clock: Clock) -> None:
    data = await ui.pending(state, clock, ui.Input.homework)
    if data is None:
        raise SkipHandler
    text = message.text or message.caption or ""
    if text.strip():
        data["text"] = (data["text"] + "\n" + text.strip()).strip()
    added = None
    if message.photo:
        added = ["photo", message.photo[-1].file_id, ""]
    elif message.document:
        added = ["document", message.document.file_id, message.document.file_name or ""]
    if added is not None:
        if len(data["files"]) >= MAX_FILES:
            await message.answer(_("At most {n} files can be attached.").format(n=MAX_FILES))
            return
        data["files"].append(added)
    album = message.media_group_id
    quiet = album is not None and album == data.get("group")  # one answer per album
    data["group"] = album
    await ui.keep(state, data)
    if quiet:
        return
    text = _("Added. Text: {chars} characters; files: {files}. Send more or tap «Save».").format(
        chars=len(data["text"]), files=len(data["files"])
    )
    markup = homework_keyboard(data["lesson"])
    await ui.show(message, text, markup, state=state, lesson=data["lesson"])


@router.callback_query(HomeworkCb.filter(), flags=WRITES)
async def on_homework_save(
    query: CallbackQuery,
    callback_data: HomeworkCb,
    viewer: Viewer,
    journal: JournalService,
    teacher: TeacherService,
    state: FSMContext,
    clock: Clock,
) -> None:
    data = await ui.pending(state, clock, ui.Input.homework)
    if data is None or data["lesson"] != callback_data.lesson:
        await ui.out_of_date(query)
        return
    if not data["text"] and not data["files"]:
        await query.answer(_("Please send the homework first."), show_alert=True)
        return
    files = [Attachment(kind, ref, name) for kind, ref, name in data["files"]]
    homework = await journal.set_homework(
        viewer, callback_data.lesson, data["text"], attachments=files
    )
    await ui.finish(state)
    card = await teacher.card(viewer, callback_data.lesson)
    done = _("Homework saved; it is due on {day}.").format(day=r.day(homework.due_on))
    await ui.show(query, done + "\n\n" + t.card_text(card), ui.card_keyboard(card))


# -- a remark or a praise -----------------------------------------------------------------------


@router.callback_query(LessonCb.filter(F.view == "r"))
async def on_remark(
    query: CallbackQuery, callback_data: LessonCb, viewer: Viewer, teacher: TeacherService
) -> None:
    card = await writable_card(teacher, viewer, callback_data.lesson)
    lesson = card.lesson.id

    def make(x: Any) -> tuple[str, RemarkCb]:
        return x.student.short_name, RemarkCb(lesson=lesson, student=x.student.id)

    text = "\n".join([*t.card_head(card), "", _("Whom is the remark or the praise for?")])
    await ui.show(query, text, ui.students_keyboard(card, make, ui.back_to_card(lesson)))


@router.callback_query(RemarkCb.filter(F.kind == ""))
async def on_remark_student(
    query: CallbackQuery, callback_data: RemarkCb, viewer: Viewer, teacher: TeacherService
) -> None:
    card = await writable_card(teacher, viewer, callback_data.lesson)
    line = card.line(callback_data.student)
    if line is None:
        await ui.out_of_date(query)
        return
    lesson, student = card.lesson.id, line.student.id
    rows = [
        [
            (_("⚠️ Remark"), RemarkCb(lesson=lesson, student=student, kind=RemarkKind.REMARK.value)),
            (
                _("👍 Praise"),
                RemarkCb(lesson=lesson, student=student, kind=RemarkKind.PRAISE.value),
            ),
        ],
        [(_("« Back"), LessonCb(lesson=lesson, view="r"))],
    ]
    text = _("{name}: a remark or praise? The parents will see what you write.").format(
        name=escape(line.student.full_name)
    )
    await ui.show(query, text, inline(rows))


@router.callback_query(RemarkCb.filter(), flags=WRITES)
async def on_remark_kind(
    query: CallbackQuery,
    callback_data: RemarkCb,
    viewer: Viewer,
    teacher: TeacherService,
    state: FSMContext,
    clock: Clock,
) -> None:
    card = await writable_card(teacher, viewer, callback_data.lesson)
    line = card.line(callback_data.student)
    if line is None or callback_data.kind not in {k.value for k in RemarkKind}:
        await ui.out_of_date(query)
        return
    await ui.begin(
        state,
        ui.Input.remark,
        clock,
        lesson=card.lesson.id,
        student=line.student.id,
        kind=callback_data.kind,
    )
    if callback_data.kind == RemarkKind.PRAISE.value:
        text = _("Write the praise for {name} as a message.")
    else:
        text = _("Write the remark for {name} as a message.")
    await ui.show(
        query,
        text.format(name=escape(line.student.full_name)),
        inline([ui.cancel_row(card.lesson.id)]),
    )


@router.message(ui.Input.remark, ui.TYPED)
async def got_remark(
    message: Message,
    viewer: Viewer,
    journal: JournalService,
    state: FSMContext,
    clock: Clock,
) -> None:
    data = await ui.pending(state, clock, ui.Input.remark)
    if data is None:
        raise SkipHandler
    await journal.add_remark(
        viewer, data["lesson"], data["student"], RemarkKind(data["kind"]), message.text or ""
    )
    await ui.finish(state)
    markup = inline([[ui.back_to_card(data["lesson"])]])
    text = _("Saved. The parents will be notified.")
    await ui.show(message, text, markup, state=state, lesson=data["lesson"])
