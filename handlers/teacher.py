"""The subject teacher's day: /today, a lesson's card with the roll call, and /att.

A tap on a name is saved at once (present → absent → late → present) and the class teacher
sees it straight away. Only the lesson's teacher or its substitute writes: the core checks
every tap, whatever the button carried.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from app import keyboards as kb
from app.keyboards import (
    CancelInputCb,
    LessonAnswerCb,
    LessonCb,
    PickCb,
    RollCb,
    TodayCb,
    inline,
)
from core.access import Viewer
from core.clock import Clock
from core.commands import Refusal, parse_att
from core.journal import JournalService
from core.journal_remarks import JournalRemarkService
from core.teacher import LessonCard, Purpose, TeacherService
from handlers import journal_control, marks
from handlers import journal_text as t
from handlers import journal_ui as ui
from handlers.live_keyboards import WRITES, live_keyboards

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")
router.callback_query.middleware(live_keyboards)

MAX_DAYS = 60  # how far the day navigation goes either way


# -- my lessons -------------------------------------------------------------------------------


async def render_day(
    target: Message | CallbackQuery,
    viewer: Viewer,
    teacher: TeacherService,
    clock: Clock,
    day: date,
) -> None:
    today = clock.today()
    found = await teacher.my_day(viewer, day)
    rows: list[list[tuple[str, Any]]] = [
        [(t.lesson_button(x), LessonCb(lesson=x.id))] for x in found.lessons
    ]
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    if before.weekday() == 6:  # Sundays have no lessons
        before -= timedelta(days=1)
    if after.weekday() == 6:
        after += timedelta(days=1)
    rows.append(
        [
            ("◀", TodayCb(day=before.toordinal())),
            (_("Today"), TodayCb(day=today.toordinal())),
            ("▶", TodayCb(day=after.toordinal())),
        ]
    )
    await ui.show(target, t.day_text(found, today), inline(rows))


@router.message(Command("today"))
@router.message(F.text == kb.TODAY)
async def cmd_today(
    message: Message,
    viewer: Viewer,
    teacher: TeacherService,
    clock: Clock,
    state: FSMContext,
    journal_remarks: JournalRemarkService,
) -> None:
    await ui.finish(state)
    if await ui.not_for_you(message, viewer):
        return
    await journal_control.open_block(message, viewer, journal_remarks)  # until fixed
    await render_day(message, viewer, teacher, clock, clock.today())


@router.callback_query(TodayCb.filter())
async def on_day(
    query: CallbackQuery,
    callback_data: TodayCb,
    viewer: Viewer,
    teacher: TeacherService,
    clock: Clock,
    state: FSMContext,
) -> None:
    await ui.finish(state)
    today = clock.today()
    try:
        day = date.fromordinal(callback_data.day)
    except (ValueError, OverflowError):
        day = today
    if abs((day - today).days) > MAX_DAYS:
        day = today
    await render_day(query, viewer, teacher, clock, day)


# -- a lesson's card and the roll call --------------------------------------------------------


async def render_card(
    target: Message | CallbackQuery,
    viewer: Viewer,
    teacher: TeacherService,
    lesson: int,
    note: str | None = None,
) -> None:
    card = await teacher.card(viewer, lesson)
    await ui.show(target, t.card_text(card), ui.card_keyboard(card), note)


@router.callback_query(LessonCb.filter(F.view == "c"))
async def on_lesson(
    query: CallbackQuery,
    callback_data: LessonCb,
    viewer: Viewer,
    teacher: TeacherService,
    state: FSMContext,
) -> None:
    await ui.finish(state)
    await render_card(query, viewer, teacher, callback_data.lesson)


@router.callback_query(RollCb.filter(F.student != 0), flags=WRITES)
async def on_roll_call(
    query: CallbackQuery,
    callback_data: RollCb,
    viewer: Viewer,
    journal: JournalService,
    teacher: TeacherService,
) -> None:
    roll = await journal.toggle_attendance(viewer, callback_data.lesson, callback_data.student)
    card = await teacher.card(viewer, callback_data.lesson, roll)
    await ui.show(query, t.card_text(card), ui.card_keyboard(card))


def marked(card: LessonCard) -> list[list[Any]]:
    """Who is marked absent or late, as the question about them keeps it."""
    return [[x.student.id, x.kind.value] for x in card.lines if x.kind is not None]


async def ask_all_present(
    query: CallbackQuery, card: LessonCard, state: FSMContext, clock: Clock, note: str | None
) -> None:
    lesson = card.lesson.id
    await ui.begin(state, ui.Input.confirm, clock, kind="all", lesson=lesson, marked=marked(card))
    markup = inline(
        [
            [(_("✅ Yes, everyone is here"), LessonAnswerCb(lesson=lesson, what="all"))],
            [ui.back_to_card(lesson)],
        ]
    )
    await ui.show(query, t.all_present_question(card), markup, note)


@router.callback_query(RollCb.filter(F.student == 0), flags=WRITES)
async def on_all_present(
    query: CallbackQuery,
    callback_data: RollCb,
    viewer: Viewer,
    journal: JournalService,
    teacher: TeacherService,
    state: FSMContext,
    clock: Clock,
) -> None:
    """«All present» over a taken roll clears absences the parents were told of: asked first."""
    card = await teacher.card(viewer, callback_data.lesson)
    if card.roll_call_open and marked(card):
        await ask_all_present(query, card, state, clock, None)
        return
    roll = await journal.all_present(viewer, callback_data.lesson)  # nothing to lose, or refused
    card = await teacher.card(viewer, callback_data.lesson, roll)
    # on a fresh roll the card does not change: the note is all that shows the tap counted
    await ui.show(query, t.card_text(card), ui.card_keyboard(card), _("Everyone is present."))


@router.callback_query(LessonAnswerCb.filter(F.what == "all"), flags=WRITES)
async def on_all_present_yes(
    query: CallbackQuery,
    callback_data: LessonAnswerCb,
    viewer: Viewer,
    journal: JournalService,
    teacher: TeacherService,
    state: FSMContext,
    clock: Clock,
) -> None:
    data = await ui.answer_of(query, state, clock, "all", callback_data.lesson)
    if data is None:
        return
    card = await teacher.card(viewer, callback_data.lesson)
    if marked(card) != data["marked"]:  # the roll changed since the question: ask anew
        await ask_all_present(query, card, state, clock, _("The roll has changed."))
        return
    roll = await journal.all_present(viewer, callback_data.lesson)
    card = await teacher.card(viewer, callback_data.lesson, roll)
    await ui.show(query, t.card_text(card), ui.card_keyboard(card), _("Everyone is present."))


# -- /att 7А Иванов Петрова ------------------------------------------------------------------


async def save_absent(
    target: Message | CallbackQuery,
    viewer: Viewer,
    journal: JournalService,
    teacher: TeacherService,
    state: FSMContext,
    lesson: int,
    ids: list[int],
) -> None:
    roll = await journal.mark_absent(viewer, lesson, ids)
    card = await teacher.card(viewer, lesson, roll)
    absent = [x.student for x in card.lines if x.student.id in set(ids)]
    markup = inline([[(_("Open the lesson"), LessonCb(lesson=lesson))]])
    await ui.show(target, t.absent_saved(card, absent), markup, state=state, lesson=lesson)


@router.message(Command("att"))
async def cmd_att(
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
    parsed = parse_att(command.args)
    if isinstance(parsed, Refusal):
        await message.answer(t.refusal_text(parsed, "att"))
        return
    (lesson,) = await teacher.command_lessons(viewer, parsed.class_ref, Purpose.ATTENDANCE)
    matches = await teacher.resolve_students(viewer, lesson.id, parsed.names)
    unknown = [m.query for m in matches if not m.candidates]
    if unknown:
        await message.answer(t.unknown_names(unknown, lesson))
        return
    ids = [m.student.id for m in matches if m.student is not None]
    asks = ui.questions(matches)
    if not asks:
        await save_absent(message, viewer, journal, teacher, state, lesson.id, ids)
        return
    data = {"kind": "att", "lesson": lesson.id, "title": t.lesson_title(lesson), "ids": ids}
    await ui.begin(state, ui.Input.pick, clock, **data, asks=asks)
    text, markup = ui.ask_view({**data, "asks": asks})
    await ui.show(message, text, markup, state=state, lesson=lesson.id)


@router.callback_query(PickCb.filter())
async def on_pick(
    query: CallbackQuery,
    callback_data: PickCb,
    viewer: Viewer,
    teacher: TeacherService,
    journal: JournalService,
    state: FSMContext,
    clock: Clock,
) -> None:
    """The answer to «which Иванов?» of a pending /att or /mark."""
    data = await ui.pending(state, clock, ui.Input.pick)
    if (
        data is None
        or data.get("kind") not in {"att", "mark"}
        or data.get("lesson") != callback_data.lesson
        or callback_data.student not in data["asks"][0]["ids"]
    ):
        await query.answer(
            _("This question is out of date; please send the command again."), show_alert=True
        )
        return
    ask = data["asks"].pop(0)
    if data["kind"] == "att":
        data["ids"].append(callback_data.student)
    else:
        data["entries"].append([callback_data.student, ask["value"]])
    if data["asks"]:
        await ui.keep(state, data)
        text, markup = ui.ask_view(data)
        await ui.show(query, text, markup)
        return
    await ui.finish(state)
    if data["kind"] == "att":
        await save_absent(query, viewer, journal, teacher, state, data["lesson"], data["ids"])
    else:
        await marks.save_text_marks(
            query, viewer, teacher, journal, state, data["lesson"], data["wt"], data["entries"]
        )


@router.callback_query(CancelInputCb.filter())
async def on_cancel(
    query: CallbackQuery,
    callback_data: CancelInputCb,
    viewer: Viewer,
    teacher: TeacherService,
    state: FSMContext,
) -> None:
    await ui.finish(state)
    if callback_data.lesson:
        await render_card(query, viewer, teacher, callback_data.lesson, _("Cancelled."))
        return
    await ui.show(query, _("Cancelled. Nothing was saved."))
