"""Marks: a work type, then a student and a value (with an optional comment); ``/mark`` for
speed. A second mark of the same work in a lesson is a correction (``handlers.corrections``),
asked first. The deadlines, the no-back-dating rule, grade 1, an absent pupil and closed
periods are the core's: a refusal comes back with its reason and nothing changes.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from app.keyboards import FixCb, LessonCb, LessonPickCb, MarkCb, inline
from core.access import Viewer
from core.clock import Clock
from core.commands import MarkCommand, Refusal, parse_mark
from core.journal import MAX_COMMENT, JournalService
from core.model import MarkValue
from core.teacher import LessonCard, LessonMark, Purpose, StudentLine, TeacherService
from handlers import journal_text as t
from handlers import journal_ui as ui
from handlers import render as r
from handlers.live_keyboards import WRITES, live_keyboards

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")
router.callback_query.middleware(live_keyboards)


# -- the marks flow: work type → student → value -----------------------------------------------


@router.callback_query(LessonCb.filter(F.view == "m"))
async def on_marks(
    query: CallbackQuery,
    callback_data: LessonCb,
    viewer: Viewer,
    teacher: TeacherService,
    state: FSMContext,
) -> None:
    await ui.finish(state)
    card = await teacher.card(viewer, callback_data.lesson)
    lesson = card.lesson.id
    buttons = [(t.work_type_label(w), MarkCb(lesson=lesson, wt=w.id)) for w in card.work_types]
    rows: list[list[tuple[str, Any]]] = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if any(m.correctable for x in card.lines for m in x.marks):
        rows.append([(_("✏️ Correct a mark"), LessonCb(lesson=lesson, view="x"))])
    rows.append([ui.back_to_card(lesson)])
    await ui.show(query, t.marks_text(card, None), inline(rows))


async def render_list(
    target: CallbackQuery, card: LessonCard, wt: int, note: str | None = None
) -> None:
    work = card.work_type(wt)
    if work is None:
        await ui.out_of_date(target)
        return
    lesson = card.lesson.id

    def make(x: Any) -> tuple[str, MarkCb]:
        label = ui.student_label(x)
        if x.marks:
            label += " · " + " ".join(r.mark(m.value) for m in x.marks)
        return label, MarkCb(lesson=lesson, wt=wt, student=x.student.id)

    back = (_("« Work types"), LessonCb(lesson=lesson, view="m"))
    await ui.show(target, t.marks_text(card, work), ui.students_keyboard(card, make, back), note)


@router.callback_query(MarkCb.filter(F.student == 0))
async def on_work_type(
    query: CallbackQuery,
    callback_data: MarkCb,
    viewer: Viewer,
    teacher: TeacherService,
    state: FSMContext,
) -> None:
    await ui.finish(state)
    card = await teacher.card(viewer, callback_data.lesson)
    await render_list(query, card, callback_data.wt)


@router.callback_query(MarkCb.filter(F.value == ""))
async def on_mark_student(
    query: CallbackQuery,
    callback_data: MarkCb,
    viewer: Viewer,
    teacher: TeacherService,
    state: FSMContext,
    clock: Clock,
) -> None:
    card = await teacher.card(viewer, callback_data.lesson)
    line, work = card.line(callback_data.student), card.work_type(callback_data.wt)
    if line is None or work is None:
        await ui.out_of_date(query)
        return
    await ui.begin(
        state,
        ui.Input.comment,
        clock,
        lesson=card.lesson.id,
        wt=work.id,
        student=line.student.id,
        comment="",
    )
    await ui.show(
        query,
        t.value_text(card, line.student, work, ""),
        ui.mark_keyboard(card, work.id, line.student.id),
    )


@router.message(ui.Input.comment, ui.TYPED)
async def got_comment(
    message: Message, viewer: Viewer, teacher: TeacherService, state: FSMContext, clock: Clock
) -> None:
    data = await ui.pending(state, clock, ui.Input.comment)
    if data is None:
        raise SkipHandler
    comment = (message.text or "").strip()
    if len(comment) > MAX_COMMENT:
        await message.answer(
            _("The comment is too long: at most {n} characters.").format(n=MAX_COMMENT)
        )
        return
    data["comment"] = comment
    await ui.keep(state, data)
    card = await teacher.card(viewer, data["lesson"])
    line, work = card.line(data["student"]), card.work_type(data["wt"])
    if line is None or work is None:
        await ui.finish(state)
        return
    await ui.show(
        message,
        t.value_text(card, line.student, work, comment),
        ui.mark_keyboard(card, work.id, line.student.id),
        state=state,
        lesson=card.lesson.id,
    )


async def ask_replace(
    query: CallbackQuery, card: LessonCard, line: StudentLine, old: LessonMark, value: MarkValue
) -> None:
    """A second mark of the same work in a lesson is a correction of the first: asked."""
    lesson = card.lesson.id
    rows: list[list[tuple[str, Any]]] = []
    if old.correctable:
        label = _("✏️ Replace with {mark}").format(mark=r.mark(value))
        rows.append([(label, FixCb(lesson=lesson, mark=old.id, value=value.value))])
    rows.append([(_("« Back"), MarkCb(lesson=lesson, wt=old.work_type_id))])
    await ui.show(query, t.replace_question(card, line, old, value), inline(rows))


@router.callback_query(MarkCb.filter(), flags=WRITES)
async def on_mark_value(
    query: CallbackQuery,
    callback_data: MarkCb,
    viewer: Viewer,
    teacher: TeacherService,
    journal: JournalService,
    state: FSMContext,
    clock: Clock,
) -> None:
    value = ui.mark_value(callback_data.value)
    if value is None:
        await ui.out_of_date(query)
        return
    cb = callback_data
    card = await teacher.card(viewer, cb.lesson)
    line = card.line(cb.student)
    same = [m for m in line.marks if m.work_type_id == cb.wt] if line else []
    if line is not None and same:
        await ask_replace(query, card, line, same[-1], value)
        return
    data = await ui.pending(state, clock, ui.Input.comment)
    comment = ""
    if data and (data["lesson"], data["wt"], data["student"]) == (cb.lesson, cb.wt, cb.student):
        comment = data["comment"]
    await journal.give_mark(viewer, cb.lesson, cb.student, value, cb.wt, comment)
    await ui.finish(state)
    card = await teacher.card(viewer, cb.lesson)
    line = card.line(cb.student)
    name = line.student.short_name if line else ""
    await render_list(
        query, card, cb.wt, _("Saved: {name} — {mark}").format(name=name, mark=r.mark(value))
    )


# -- /mark 7А КР Иванов 5 Петрова 4 --------------------------------------------------------------


async def save_text_marks(
    target: Message | CallbackQuery,
    viewer: Viewer,
    teacher: TeacherService,
    journal: JournalService,
    state: FSMContext,
    lesson: int,
    wt: int,
    entries: list[list[Any]],
) -> None:
    ids = [sid for sid, _value in entries]
    if len(set(ids)) != len(ids):
        await ui.show(target, _("One student is named twice. Nothing was saved."))
        return
    open_lesson = inline([[(_("Open the lesson"), LessonCb(lesson=lesson))]])
    card = await teacher.card(viewer, lesson)
    again = [
        x.student
        for x in card.lines
        if x.student.id in ids and any(m.work_type_id == wt for m in x.marks)
    ]
    if again:  # a second mark of the same work is a correction, made on the card
        await ui.show(target, t.marked_already(again), open_lesson, state=state, lesson=lesson)
        return
    given = [(sid, MarkValue(value)) for sid, value in entries]
    await journal.give_marks(viewer, lesson, wt, given)
    card = await teacher.card(viewer, lesson)
    work = card.work_type(wt)
    refs = {x.student.id: x.student for x in card.lines}
    assert work is not None
    text = t.marks_saved(card, work, [(refs[sid], v) for sid, v in given if sid in refs])
    await ui.show(target, text, open_lesson, state=state, lesson=lesson)


async def plan_and_save(
    target: Message | CallbackQuery,
    viewer: Viewer,
    teacher: TeacherService,
    journal: JournalService,
    state: FSMContext,
    clock: Clock,
    lesson: int,
    command: MarkCommand,
) -> None:
    plan = await teacher.plan_marks(viewer, lesson, command)
    unknown = [m.query for m in plan.matches if not m.candidates]
    if unknown:
        await ui.show(target, t.unknown_names(unknown, plan.lesson))
        return
    values = [v.value for v in plan.values]
    entries = [
        [m.student.id, v]
        for m, v in zip(plan.matches, values, strict=True)
        if m.student is not None
    ]
    asks = ui.questions(plan.matches, values)
    if not asks:
        await save_text_marks(
            target, viewer, teacher, journal, state, lesson, plan.work_type.id, entries
        )
        return
    data = {
        "kind": "mark",
        "lesson": lesson,
        "wt": plan.work_type.id,
        "title": t.lesson_title(plan.lesson),
        "entries": entries,
    }
    await ui.begin(state, ui.Input.pick, clock, **data, asks=asks)
    text, markup = ui.ask_view({**data, "asks": asks})
    await ui.show(target, text, markup, state=state, lesson=lesson)


@router.message(Command("mark"))
async def cmd_mark(
    message: Message,
    command: CommandObject,
    viewer: Viewer,
    teacher: TeacherService,
    journal: JournalService,
    state: FSMContext,
    clock: Clock,
) -> None:
    await ui.finish(state)
    if await ui.not_for_you(message, viewer):
        return
    parsed = parse_mark(command.args)
    if isinstance(parsed, Refusal):
        await message.answer(t.refusal_text(parsed, "mark"))
        return
    lessons = await teacher.command_lessons(
        viewer, parsed.class_ref, Purpose.MARKS, parsed.work_type
    )
    if len(lessons) == 1:
        await plan_and_save(message, viewer, teacher, journal, state, clock, lessons[0].id, parsed)
        return
    await ui.begin(state, ui.Input.pick, clock, kind="mark_lesson", args=command.args or "")
    rows = [
        [(f"{x.slot}. {x.subject_name} · {r.short_day(x.day)}", LessonPickCb(lesson=x.id))]
        for x in lessons
    ]
    rows.append(ui.cancel_row(0))
    await message.answer(
        _("You had several lessons with {class_name}. Which one are these marks for?").format(
            class_name=lessons[0].class_name
        ),
        reply_markup=inline(rows),
    )


@router.callback_query(LessonPickCb.filter())
async def on_lesson_pick(
    query: CallbackQuery,
    callback_data: LessonPickCb,
    viewer: Viewer,
    teacher: TeacherService,
    journal: JournalService,
    state: FSMContext,
    clock: Clock,
) -> None:
    data = await ui.pending(state, clock, ui.Input.pick)
    parsed = parse_mark(data.get("args")) if data and data.get("kind") == "mark_lesson" else None
    if not isinstance(parsed, MarkCommand):
        await query.answer(
            _("This question is out of date; please send the command again."), show_alert=True
        )
        return
    await ui.finish(state)
    await plan_and_save(query, viewer, teacher, journal, state, clock, callback_data.lesson, parsed)
