"""Corrections of a lesson's marks: audited, with a reason the parents see; the old mark stays
in the history (rule 4: 001 §8.6; 003 reg.2 §2.1.4). The author within 7 days, later the deputy
or the journal administrator: the core decides."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from app.keyboards import FixCb, LessonCb, inline
from core.access import Viewer
from core.clock import Clock
from core.journal import JournalService
from core.model import MarkValue
from core.teacher import TeacherService
from handlers import journal_text as t
from handlers import journal_ui as ui
from handlers import render as r
from handlers.live_keyboards import WRITES, live_keyboards

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")
router.callback_query.middleware(live_keyboards)


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


@router.callback_query(FixCb.filter(), flags=WRITES)
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
    change = t.mark_change(mark.value, value)
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
        "{name}: {change}.\nPlease write the reason for the correction: the parents will see "
        "it, and it stays in the journal's history."
    ).format(name=escape(student.full_name), change=change)
    await ui.show(query, text, inline([ui.cancel_row(cb.lesson)]))


@router.message(ui.Input.reason, ui.TYPED)
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
    markup = inline([[ui.back_to_card(data["lesson"])]])
    await ui.show(message, text, markup, state=state, lesson=data["lesson"])
