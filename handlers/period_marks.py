"""Period marks for a class × subject: each student's mark proposed from the forecast, which
the teacher confirms or changes, only inside the period's window (003 §4.4; 004 §5.8)."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from app.keyboards import FinalCb, LessonAnswerCb, LessonCb, inline
from core.access import Viewer
from core.clock import Clock
from core.diary import StudentForecast
from core.journal import JournalService
from core.model import FinalKind, MarkValue
from core.teacher import PeriodSheet, TeacherService
from handlers import journal_text as t
from handlers import journal_ui as ui
from handlers import render as r
from handlers.live_keyboards import WRITES, live_keyboards

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")
router.callback_query.middleware(live_keyboards)

CONFIRM_ALL = "all"


def proposal(row: StudentForecast) -> MarkValue | None:
    return MarkValue(str(row.forecast.mark)) if row.forecast.mark is not None else None


def to_confirm(sheet: PeriodSheet) -> list[tuple[StudentForecast, MarkValue]]:
    """The proposals nobody has set yet, with their marks."""
    found = [(row, proposal(row)) for row in sheet.rows if row.final is None]
    return [(row, value) for row, value in found if value is not None]


def asked(sheet: PeriodSheet) -> list[list[object]]:
    """The proposals as the question keeps them: [student, mark]."""
    return [[row.student.id, value.value] for row, value in to_confirm(sheet)]


def sheet_keyboard(sheet: PeriodSheet) -> InlineKeyboardMarkup:
    lesson, period, subject = sheet.lesson.id, sheet.period.id, sheet.lesson.subject_id
    buttons = []
    for row in sheet.rows:
        if row.final is not None:
            shown = "✓ " + r.mark(row.final)
        elif row.forecast.mark is not None:
            shown = f"{row.forecast.mark}?"
        else:
            shown = "—"
        buttons.append(
            (
                f"{t.short_of(row.student.short_name)} · {shown}",
                FinalCb(lesson=lesson, period=period, subject=subject, student=row.student.id),
            )
        )
    rows: list[list[tuple[str, Any]]] = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    waiting = to_confirm(sheet)
    if waiting:
        label = _("✅ Confirm the proposed marks ({n})").format(n=len(waiting))
        rows.append(
            [
                (
                    label,
                    FinalCb(lesson=lesson, period=period, subject=subject, value=CONFIRM_ALL),
                )
            ]
        )
    rows.append([ui.back_to_card(lesson)])
    return inline(rows)


@router.callback_query(LessonCb.filter(F.view == "f"))
async def on_sheet(
    query: CallbackQuery, callback_data: LessonCb, viewer: Viewer, teacher: TeacherService
) -> None:
    sheet = await teacher.period_sheet(viewer, callback_data.lesson)
    await ui.show(query, t.sheet_text(sheet), sheet_keyboard(sheet))


@router.callback_query(FinalCb.filter(F.value == ""))
async def on_final_student(
    query: CallbackQuery, callback_data: FinalCb, viewer: Viewer, teacher: TeacherService
) -> None:
    cb = callback_data
    sheet = await teacher.period_sheet(viewer, cb.lesson)
    row = next((x for x in sheet.rows if x.student.id == cb.student), None)
    if row is None or sheet.period.id != cb.period:
        await ui.out_of_date(query)
        return
    lines = [
        f"<b>{escape(row.student.full_name)}</b> · {t.lesson_title(sheet.lesson)}",
        r.period(sheet.period.kind, sheet.period.number),
        _("average {avg}").format(avg=r.average(row.forecast.average)),
    ]
    if row.forecast.mark is not None:
        lines.append(_("proposed {mark}").format(mark=row.forecast.mark))
    if row.final is not None:
        lines.append(_("set: {mark}").format(mark=r.mark(row.final)))
    lines += ["", _("Choose the period mark.")]
    markup = ui.final_keyboard(
        cb.lesson, cb.period, cb.subject, cb.student, row.final or proposal(row)
    )
    await ui.show(query, "\n".join(lines), markup)


async def ask_confirm_all(
    query: CallbackQuery, sheet: PeriodSheet, state: FSMContext, clock: Clock, note: str | None
) -> None:
    """Setting many period marks tells every family at once: asked first, with the count."""
    waiting = to_confirm(sheet)
    if not waiting:
        await ui.show(query, t.sheet_text(sheet), sheet_keyboard(sheet), note)
        return
    lesson = sheet.lesson.id
    await ui.begin(
        state,
        ui.Input.confirm,
        clock,
        kind="fin",
        lesson=lesson,
        period=sheet.period.id,
        marks=asked(sheet),
    )
    markup = inline(
        [
            [(_("✅ Set ({n})").format(n=len(waiting)), LessonAnswerCb(lesson=lesson, what="fin"))],
            [(_("« Back"), LessonCb(lesson=lesson, view="f"))],
        ]
    )
    await ui.show(query, t.finals_question(sheet, waiting), markup, note)


@router.callback_query(FinalCb.filter(F.value == CONFIRM_ALL))
async def on_confirm_all(
    query: CallbackQuery,
    callback_data: FinalCb,
    viewer: Viewer,
    teacher: TeacherService,
    state: FSMContext,
    clock: Clock,
) -> None:
    sheet = await teacher.period_sheet(viewer, callback_data.lesson)
    if sheet.period.id != callback_data.period:
        await ui.out_of_date(query)
        return
    await ask_confirm_all(query, sheet, state, clock, None)


@router.callback_query(LessonAnswerCb.filter(F.what == "fin"), flags=WRITES)
async def on_confirm_all_yes(
    query: CallbackQuery,
    callback_data: LessonAnswerCb,
    viewer: Viewer,
    teacher: TeacherService,
    journal: JournalService,
    state: FSMContext,
    clock: Clock,
) -> None:
    data = await ui.answer_of(query, state, clock, "fin", callback_data.lesson)
    if data is None:
        return
    sheet = await teacher.period_sheet(viewer, callback_data.lesson)
    if sheet.period.id != data["period"] or asked(sheet) != data["marks"]:
        await ask_confirm_all(query, sheet, state, clock, _("The marks have changed."))
        return
    await journal.set_final_marks(  # all or none
        viewer,
        sheet.lesson.subject_id,
        FinalKind.PERIOD,
        [(row.student.id, value) for row, value in to_confirm(sheet)],
        sheet.period.id,
    )
    sheet = await teacher.period_sheet(viewer, callback_data.lesson)
    await ui.show(query, t.sheet_text(sheet), sheet_keyboard(sheet), _("Saved."))


@router.callback_query(FinalCb.filter(), flags=WRITES)
async def on_final_value(
    query: CallbackQuery,
    callback_data: FinalCb,
    viewer: Viewer,
    teacher: TeacherService,
    journal: JournalService,
    state: FSMContext,
    clock: Clock,
) -> None:
    cb = callback_data
    value = ui.mark_value(cb.value)
    if value is None:
        await ui.out_of_date(query)
        return
    sheet = await teacher.period_sheet(viewer, cb.lesson)
    row = next((x for x in sheet.rows if x.student.id == cb.student), None)
    if row is not None and row.final is not None and row.final != value:
        # a period mark already set changes only with a reason (rule 4: no silent correction)
        change = t.mark_change(row.final, value)
        await ui.begin(
            state,
            ui.Input.final_reason,
            clock,
            lesson=cb.lesson,
            period=cb.period,
            subject=cb.subject,
            student=cb.student,
            value=value.value,
            name=row.student.short_name,
            change=change,
        )
        text = _(
            "{name}, {period}: {change}.\nThe period mark is already set. Please write the "
            "reason for changing it: it stays in the journal's history."
        ).format(
            name=escape(row.student.full_name),
            period=r.period(sheet.period.kind, sheet.period.number),
            change=change,
        )
        await ui.show(query, text, inline([ui.cancel_row(cb.lesson)]))
        return
    await journal.set_final_mark(viewer, cb.student, cb.subject, FinalKind.PERIOD, value, cb.period)
    sheet = await teacher.period_sheet(viewer, cb.lesson)
    await ui.show(query, t.sheet_text(sheet), sheet_keyboard(sheet), _("Saved."))


@router.message(ui.Input.final_reason, ui.TYPED)
async def got_final_reason(
    message: Message,
    viewer: Viewer,
    teacher: TeacherService,
    journal: JournalService,
    state: FSMContext,
    clock: Clock,
) -> None:
    data = await ui.pending(state, clock, ui.Input.final_reason)
    if data is None:
        raise SkipHandler
    await journal.set_final_mark(
        viewer,
        data["student"],
        data["subject"],
        FinalKind.PERIOD,
        MarkValue(data["value"]),
        data["period"],
        reason=message.text or "",
    )
    await ui.finish(state)
    sheet = await teacher.period_sheet(viewer, data["lesson"])
    done = _("Changed: {name}, {change}. The previous mark stays in the history.").format(
        name=escape(data["name"]), change=data["change"]
    )
    text = done + "\n\n" + t.sheet_text(sheet)
    await ui.show(message, text, sheet_keyboard(sheet), state=state, lesson=data["lesson"])
