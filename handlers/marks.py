"""Marks: a work type, then a student and a value (with an optional comment); ``/mark`` for
speed; corrections with a reason. The deadlines, the no-back-dating rule, grade 1 and closed
periods are the core's: a refusal comes back with its reason and nothing changes.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards import FixCb, LessonCb, LessonPickCb, MarkCb, inline
from core.access import Viewer
from core.clock import Clock
from core.commands import MarkCommand, Refusal, parse_mark
from core.journal import MAX_COMMENT, JournalService
from core.model import MarkValue
from core.teacher import LessonCard, Purpose, TeacherService
from handlers import journal_text as t
from handlers import journal_ui as ui
from handlers import render as r

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

TYPED = F.text & ~F.text.startswith("/")


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
        label = x.student.short_name
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


@router.message(ui.Input.comment, TYPED)
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
    await message.answer(
        t.value_text(card, line.student, work, comment),
        reply_markup=ui.mark_keyboard(card, work.id, line.student.id),
    )


@router.callback_query(MarkCb.filter())
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
    lesson: int,
    wt: int,
    entries: list[list[Any]],
) -> None:
    ids = [sid for sid, _value in entries]
    if len(set(ids)) != len(ids):
        await ui.show(target, _("One student is named twice. Nothing was saved."))
        return
    given = [(sid, MarkValue(value)) for sid, value in entries]
    await journal.give_marks(viewer, lesson, wt, given)
    card = await teacher.card(viewer, lesson)
    work = card.work_type(wt)
    refs = {x.student.id: x.student for x in card.lines}
    assert work is not None
    text = t.marks_saved(card, work, [(refs[sid], v) for sid, v in given if sid in refs])
    await ui.show(target, text, inline([[(_("Open the lesson"), LessonCb(lesson=lesson))]]))


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
        await save_text_marks(target, viewer, teacher, journal, lesson, plan.work_type.id, entries)
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
    await ui.show(target, text, markup)


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
    lessons = await teacher.command_lessons(viewer, parsed.class_ref, Purpose.MARKS)
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


# -- corrections: audited, with a reason; the old mark stays in the history ---------------------


@router.callback_query(LessonCb.filter(F.view == "x"))
async def on_corrections(
    query: CallbackQuery, callback_data: LessonCb, viewer: Viewer, teacher: TeacherService
) -> None:
    card = await teacher.card(viewer, callback_data.lesson)
    lesson = card.lesson.id
    rows: list[list[tuple[str, Any]]] = [
        [(f"{x.student.short_name} · {t.marks_of([m])}", FixCb(lesson=lesson, mark=m.id))]
        for x in card.lines
        for m in x.marks
        if m.correctable
    ]
    text = _("Which mark do you want to correct? The old mark stays in the history.")
    if not rows:
        text = _("There are no marks you can correct in this lesson.")
    rows.append([(_("« Marks"), LessonCb(lesson=lesson, view="m"))])
    await ui.show(query, "\n".join([*t.card_head(card), "", text]), inline(rows))


async def _find_mark(teacher: TeacherService, viewer: Viewer, lesson: int, mark: int) -> Any:
    card = await teacher.card(viewer, lesson)
    for x in card.lines:
        for m in x.marks:
            if m.id == mark:
                return card, x.student, m
    return card, None, None


@router.callback_query(FixCb.filter(F.value == ""))
async def on_fix(
    query: CallbackQuery, callback_data: FixCb, viewer: Viewer, teacher: TeacherService
) -> None:
    card, student, mark = await _find_mark(
        teacher, viewer, callback_data.lesson, callback_data.mark
    )
    if mark is None:
        await query.answer(_("This mark has already been corrected."), show_alert=True)
        return
    lesson = card.lesson.id

    def make(v: MarkValue) -> FixCb:
        return FixCb(lesson=lesson, mark=mark.id, value=v.value)

    rows = ui.value_rows(make, (ui.GRADES, ui.OTHERS), mark.value)
    rows.append([(_("🗑 Remove the mark"), FixCb(lesson=lesson, mark=mark.id, value="del"))])
    rows.append([(_("« Back"), LessonCb(lesson=lesson, view="x"))])
    text = _("Correcting the mark of {name}: {mark} {work}. Choose the right mark.").format(
        name=escape(student.full_name),
        mark=r.mark(mark.value),
        work=r.work_type(mark.work_type_code, mark.work_type_short),
    )
    await ui.show(query, text, inline(rows))


@router.callback_query(FixCb.filter())
async def on_fix_value(
    query: CallbackQuery,
    callback_data: FixCb,
    viewer: Viewer,
    teacher: TeacherService,
    state: FSMContext,
    clock: Clock,
) -> None:
    cb = callback_data
    value = None if cb.value == "del" else ui.mark_value(cb.value)
    _found, student, mark = await _find_mark(teacher, viewer, cb.lesson, cb.mark)
    if mark is None or (value is None and cb.value != "del"):
        await query.answer(_("This mark has already been corrected."), show_alert=True)
        return
    change = f"{r.mark(mark.value)} → {r.mark(value) if value else _('removed')}"
    await ui.begin(
        state,
        ui.Input.reason,
        clock,
        lesson=cb.lesson,
        mark=cb.mark,
        value=cb.value,
        name=student.short_name,
        change=change,
    )
    text = _(
        "{name}: {change}.\nPlease write the reason for the correction; "
        "it stays in the journal's history."
    ).format(name=escape(student.full_name), change=change)
    await ui.show(query, text, inline([ui.cancel_row(cb.lesson)]))


@router.message(ui.Input.reason, TYPED)
async def got_reason(
    message: Message, viewer: Viewer, journal: JournalService, state: FSMContext, clock: Clock
) -> None:
    data = await ui.pending(state, clock, ui.Input.reason)
    if data is None:
        raise SkipHandler
    value = None if data["value"] == "del" else MarkValue(data["value"])
    await journal.correct_mark(viewer, data["mark"], value, message.text or "")
    await ui.finish(state)
    text = _("Corrected: {name}, {change}. The previous mark stays in the history.").format(
        name=escape(data["name"]), change=data["change"]
    )
    await message.answer(text, reply_markup=inline([[ui.back_to_card(data["lesson"])]]))
