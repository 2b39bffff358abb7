"""The diary for parents and students: marks, finals, absences, homework, timetable, progress.

Read-only: nothing here writes to the journal (001 §3.8; 002 §6; 003 §3.7). The student id in
a button is only a hint; the core checks it against the viewer on every press.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from app import keyboards as kb
from app.charts import subject_png
from app.keyboards import ChildCb, DiaryCb, View, inline
from app.push_buttons import FinalAckCb
from core.access import Viewer
from core.calendar import PeriodView
from core.clock import Clock
from core.diary import DiaryService
from core.finals_ack import FinalAckService
from handlers import diary_text as t
from handlers import render as r
from handlers.start import consent_keyboard, consent_text

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

LATEST = 8
MAX_OFFSET = 60  # days back or ahead the navigation goes


async def chosen_student(viewer: Viewer, state: FSMContext) -> int | None:
    """The child this guardian looks at (their last choice), or the student themself."""
    chosen = (await state.get_data()).get("student")
    if chosen in viewer.children:
        return chosen
    if viewer.student_id is not None:
        return viewer.student_id
    return min(viewer.children) if viewer.children else None


async def _no_student(message: Message, viewer: Viewer) -> None:
    if viewer.children_pending_consent:
        await message.answer(consent_text(), reply_markup=consent_keyboard())
    elif viewer.is_anonymous:  # never linked, logged out, or access revoked
        await message.answer(
            _("Please sign in first: send the invite code you received from the school.")
        )
    else:
        await message.answer(_("The diary is for parents and students."))


async def show(
    target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """A new message for a command; the same message, edited, for a button."""
    parts = r.split(text)
    if isinstance(target, CallbackQuery):
        message = target.message
        if isinstance(message, Message) and len(parts) == 1:
            try:
                await message.edit_text(parts[0], reply_markup=markup)
            except TelegramBadRequest as exc:
                if "not modified" not in exc.message:
                    raise
            await target.answer()
            return
        await target.answer()
        if not isinstance(message, Message):
            return
        target = message
    for i, part in enumerate(parts):
        await target.answer(part, reply_markup=markup if i == len(parts) - 1 else None)


def period_row(
    view: View, student: int, periods: tuple[PeriodView, ...], current: int, today: date
) -> list[tuple[str, DiaryCb]]:
    row = []
    for p in periods:
        if p.starts_on > today:
            continue
        label = r.period_short(p.kind, p.number)
        row.append(
            (
                f"• {label} •" if p.id == current else label,
                DiaryCb(view=view, student=student, period=p.id),
            )
        )
    return row if len(row) > 1 else []


# -- marks -----------------------------------------------------------------------------------


async def render_marks(
    target: Message | CallbackQuery,
    viewer: Viewer,
    diary: DiaryService,
    clock: Clock,
    student: int,
    period: int,
) -> None:
    pm = await diary.period_marks(viewer, student, period or None, latest=LATEST)
    rows = [period_row(View.MARKS, student, pm.periods, pm.period.id, clock.today())]
    subjects = [s for s in pm.subjects if s.marks]
    for i in range(0, len(subjects), 2):
        rows.append(
            [
                (
                    s.subject_name,
                    DiaryCb(
                        view=View.SUBJECT, student=student, period=pm.period.id, item=s.subject_id
                    ),
                )
                for s in subjects[i : i + 2]
            ]
        )
    await show(target, t.marks_text(pm, list(pm.latest)), inline(rows))


@router.message(Command("marks"))
@router.message(F.text == kb.MARKS)
async def cmd_marks(
    message: Message, viewer: Viewer, state: FSMContext, diary: DiaryService, clock: Clock
) -> None:
    student = await chosen_student(viewer, state)
    if student is None:
        await _no_student(message, viewer)
        return
    await render_marks(message, viewer, diary, clock, student, 0)


@router.callback_query(DiaryCb.filter(F.view == View.MARKS))
async def on_marks(
    query: CallbackQuery, callback_data: DiaryCb, viewer: Viewer, diary: DiaryService, clock: Clock
) -> None:
    await render_marks(query, viewer, diary, clock, callback_data.student, callback_data.period)


@router.callback_query(DiaryCb.filter(F.view == View.SUBJECT))
async def on_subject(
    query: CallbackQuery, callback_data: DiaryCb, viewer: Viewer, diary: DiaryService
) -> None:
    pm = await diary.period_marks(viewer, callback_data.student, callback_data.period or None)
    found = next((s for s in pm.subjects if s.subject_id == callback_data.item), None)
    if found is None:
        await query.answer(_("There are no marks in this subject."), show_alert=True)
        return
    back = DiaryCb(view=View.MARKS, student=callback_data.student, period=pm.period.id)
    await show(query, t.subject_text(pm, found), inline([[(_("« All subjects"), back)]]))


# -- finals and attendance -------------------------------------------------------------------


@router.message(Command("finals"))
@router.message(F.text == kb.FINALS)
async def cmd_finals(
    message: Message,
    viewer: Viewer,
    state: FSMContext,
    diary: DiaryService,
    final_acks: FinalAckService,
) -> None:
    student = await chosen_student(viewer, state)
    if student is None:
        await _no_student(message, viewer)
        return
    await render_finals(message, viewer, diary, final_acks, student, 0)


async def render_finals(
    target: Message | CallbackQuery,
    viewer: Viewer,
    diary: DiaryService,
    final_acks: FinalAckService,
    student: int,
    year: int,
) -> None:
    """The year's final marks, with a button for each other school year of the student's,
    and a parent's «Ознакомлен(а)» for periods not yet acknowledged (003 reg.3 §6)."""
    fm = await diary.final_marks(viewer, student, year or None)
    others = [
        (y.name, DiaryCb(view=View.FINALS, student=student, item=y.id))
        for y in fm.years
        if y.id != fm.year.id
    ]
    rows = [others] if others else []
    for p in await final_acks.unacknowledged(viewer, student) if not year else []:
        label = _("✅ I have seen the marks") + " · " + r.period_short(p.kind, p.number)
        rows.append([(label, FinalAckCb(student=student, period=p.id))])  # type: ignore[arg-type]
    await show(target, t.finals_text(fm), inline(rows) if rows else None)


@router.callback_query(DiaryCb.filter(F.view == View.FINALS))
async def on_finals(
    query: CallbackQuery,
    callback_data: DiaryCb,
    viewer: Viewer,
    diary: DiaryService,
    final_acks: FinalAckService,
) -> None:
    cb = callback_data
    await render_finals(query, viewer, diary, final_acks, cb.student, cb.item)


async def render_attendance(
    target: Message | CallbackQuery,
    viewer: Viewer,
    diary: DiaryService,
    clock: Clock,
    student: int,
    period: int,
) -> None:
    summary = await diary.attendance(viewer, student, period or None)
    rows = [period_row(View.ATTENDANCE, student, summary.periods, summary.period.id, clock.today())]
    await show(target, t.attendance_text(summary), inline(rows))


@router.message(Command("attendance"))
@router.message(F.text == kb.ATTENDANCE)
async def cmd_attendance(
    message: Message, viewer: Viewer, state: FSMContext, diary: DiaryService, clock: Clock
) -> None:
    student = await chosen_student(viewer, state)
    if student is None:
        await _no_student(message, viewer)
        return
    await render_attendance(message, viewer, diary, clock, student, 0)


@router.callback_query(DiaryCb.filter(F.view == View.ATTENDANCE))
async def on_attendance(
    query: CallbackQuery, callback_data: DiaryCb, viewer: Viewer, diary: DiaryService, clock: Clock
) -> None:
    await render_attendance(
        query, viewer, diary, clock, callback_data.student, callback_data.period
    )


# -- homework and timetable: a day or a week, with navigation --------------------------------


def day_range(
    today: date, offset: int, span: int, *, from_monday: bool = True
) -> tuple[date, date]:
    """A day, or a week: the calendar week (the timetable), or the seven days from the day
    on (homework: on Thursday, next Monday's homework is what a parent looks for)."""
    start = today + timedelta(days=offset)
    if span > 1:
        if from_monday:
            start -= timedelta(days=start.weekday())
        return start, start + timedelta(days=6)
    return start, start


def navigation(view: View, student: int, offset: int, span: int) -> list[list[tuple[str, DiaryCb]]]:
    step = 7 if span > 1 else 1

    def cb(o: int, s: int) -> DiaryCb:
        return DiaryCb(
            view=view, student=student, item=max(-MAX_OFFSET, min(MAX_OFFSET, o)), span=s
        )

    return [
        [
            ("◀", cb(offset - step, span)),
            (_("Today"), cb(0, 1)),
            (_("Tomorrow"), cb(1, 1)),
            (_("Week"), cb(offset, 7)),
            ("▶", cb(offset + step, span)),
        ],
    ]


async def render_homework(
    target: Message | CallbackQuery,
    viewer: Viewer,
    diary: DiaryService,
    clock: Clock,
    student: int,
    offset: int,
    span: int,
    bot: Bot,
) -> None:
    today = clock.today()
    start, end = day_range(today, offset, span, from_monday=False)
    found = await diary.homework(viewer, student, start, end)
    items = found.items
    text = t.homework_text(found.student, items, start, span, today)
    await show(target, text, inline(navigation(View.HOMEWORK, student, offset, span)))
    if span == 1:
        message = target.message if isinstance(target, CallbackQuery) else target
        if message is None:
            return
        chat = message.chat.id
        for hw in items:
            for a in hw.attachments:
                caption = hw.subject_name
                if a.kind == "photo":
                    await bot.send_photo(chat, a.ref, caption=caption)
                else:
                    await bot.send_document(chat, a.ref, caption=caption)


@router.message(Command("homework"))
@router.message(F.text == kb.HOMEWORK)
async def cmd_homework(
    message: Message, viewer: Viewer, state: FSMContext, diary: DiaryService, clock: Clock, bot: Bot
) -> None:
    student = await chosen_student(viewer, state)
    if student is None:
        await _no_student(message, viewer)
        return
    # In the evening the useful answer is tomorrow's homework.
    offset = 1 if clock.now().hour >= 15 else 0
    await render_homework(message, viewer, diary, clock, student, offset, 1, bot)


@router.callback_query(DiaryCb.filter(F.view == View.HOMEWORK))
async def on_homework(
    query: CallbackQuery,
    callback_data: DiaryCb,
    viewer: Viewer,
    diary: DiaryService,
    clock: Clock,
    bot: Bot,
) -> None:
    span = 7 if callback_data.span > 1 else 1
    offset = max(-MAX_OFFSET, min(MAX_OFFSET, callback_data.item))
    await render_homework(query, viewer, diary, clock, callback_data.student, offset, span, bot)


async def render_timetable(
    target: Message | CallbackQuery,
    viewer: Viewer,
    diary: DiaryService,
    clock: Clock,
    student: int,
    offset: int,
    span: int,
) -> None:
    today = clock.today()
    start, end = day_range(today, offset, span)
    found = await diary.timetable(viewer, student, start, end)
    text = t.timetable_text(found.student, found.days, start, span, today)
    await show(target, text, inline(navigation(View.TIMETABLE, student, offset, span)))


@router.message(Command("timetable"))
@router.message(F.text == kb.TIMETABLE)
async def cmd_timetable(
    message: Message, viewer: Viewer, state: FSMContext, diary: DiaryService, clock: Clock
) -> None:
    student = await chosen_student(viewer, state)
    if student is None:
        await _no_student(message, viewer)
        return
    offset = 1 if clock.now().hour >= 15 else 0
    await render_timetable(message, viewer, diary, clock, student, offset, 1)


@router.callback_query(DiaryCb.filter(F.view == View.TIMETABLE))
async def on_timetable(
    query: CallbackQuery, callback_data: DiaryCb, viewer: Viewer, diary: DiaryService, clock: Clock
) -> None:
    span = 7 if callback_data.span > 1 else 1
    offset = max(-MAX_OFFSET, min(MAX_OFFSET, callback_data.item))
    await render_timetable(query, viewer, diary, clock, callback_data.student, offset, span)


# -- progress chart --------------------------------------------------------------------------


async def render_progress(
    target: Message | CallbackQuery,
    viewer: Viewer,
    diary: DiaryService,
    clock: Clock,
    student: int,
    period: int,
) -> None:
    """Averages and forecasts at a glance, as text; a subject's chart on its button."""
    pm = await diary.period_marks(viewer, student, period or None)
    rows = [period_row(View.PROGRESS, student, pm.periods, pm.period.id, clock.today())]
    charted = [s for s in pm.subjects if any(m.points is not None for m in s.marks)]
    for i in range(0, len(charted), 2):
        rows.append(
            [
                (
                    "📈 " + s.subject_name,
                    DiaryCb(
                        view=View.PROGRESS, student=student, period=pm.period.id, item=s.subject_id
                    ),
                )
                for s in charted[i : i + 2]
            ]
        )
    await show(target, t.progress_text(pm, clock.today()), inline(rows))


async def send_subject_chart(
    query: CallbackQuery,
    viewer: Viewer,
    diary: DiaryService,
    student: int,
    period: int,
    subject: int,
) -> None:
    """One subject's marks and average over the period, as a picture sized for a phone."""
    pm = await diary.period_marks(viewer, student, period or None)
    found = next((s for s in pm.subjects if s.subject_id == subject), None)
    if found is None or not any(m.points is not None for m in found.marks):
        await query.answer(_("There are no marks in this subject."), show_alert=True)
        return
    await query.answer()
    if not isinstance(query.message, Message):
        return
    png = await asyncio.to_thread(subject_png, pm, found, r.locale())
    await query.message.answer_photo(
        BufferedInputFile(png, filename="progress.png"), caption=t.chart_caption(pm, found)
    )


@router.message(Command("progress"))
@router.message(F.text == kb.PROGRESS)
async def cmd_progress(
    message: Message, viewer: Viewer, state: FSMContext, diary: DiaryService, clock: Clock
) -> None:
    student = await chosen_student(viewer, state)
    if student is None:
        await _no_student(message, viewer)
        return
    await render_progress(message, viewer, diary, clock, student, 0)


@router.callback_query(DiaryCb.filter(F.view == View.PROGRESS))
async def on_progress(
    query: CallbackQuery, callback_data: DiaryCb, viewer: Viewer, diary: DiaryService, clock: Clock
) -> None:
    if callback_data.item:
        await send_subject_chart(
            query, viewer, diary, callback_data.student, callback_data.period, callback_data.item
        )
        return
    await render_progress(query, viewer, diary, clock, callback_data.student, callback_data.period)


# -- several children ------------------------------------------------------------------------


@router.message(Command("children"))
@router.message(F.text == kb.CHILDREN)
async def cmd_children(
    message: Message, viewer: Viewer, state: FSMContext, diary: DiaryService
) -> None:
    if not viewer.children:
        await _no_student(message, viewer)
        return
    cards = [c for c in await diary.students_of(viewer) if c.id in viewer.children]
    current = await chosen_student(viewer, state)
    rows = [
        [
            (
                (("✓ " if c.id == current else "") + f"{c.full_name}, {c.class_name}"),
                ChildCb(student=c.id),
            )
        ]
        for c in cards
    ]
    await message.answer(_("Whose diary do you want to see?"), reply_markup=inline(rows))


@router.callback_query(ChildCb.filter())
async def on_child(
    query: CallbackQuery,
    callback_data: ChildCb,
    viewer: Viewer,
    state: FSMContext,
    diary: DiaryService,
) -> None:
    if callback_data.student not in viewer.children:
        await query.answer(_("You do not have access to this."), show_alert=True)
        return
    await state.update_data(student=callback_data.student)
    card = next(c for c in await diary.students_of(viewer) if c.id == callback_data.student)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _("Now showing the diary of {who}.").format(
                who=r.whose(card.full_name, card.class_name)
            )
        )
    await query.answer()
