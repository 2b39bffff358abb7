"""What the teacher's handlers share: the conversation states, the pending input kept in the
FSM, and the keyboards of a lesson."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from app.keyboards import (
    CancelInputCb,
    FinalCb,
    LessonCb,
    MarkCb,
    PickCb,
    RollCb,
    TodayCb,
    inline,
)
from core import rules
from core.access import Viewer
from core.clock import Clock
from core.model import AttendanceKind, MarkValue
from core.teacher import LessonCard, NameMatch, StudentLine
from handlers import journal_text as t
from handlers import live_keyboards as live

# A typed answer is taken for this long after the question; later it is ordinary text.
INPUT_TTL_SECONDS = 30 * 60
KEY = "journal"  # the FSM data key of the pending input; the diary keeps its own keys

GRADES = (MarkValue.FIVE, MarkValue.FOUR, MarkValue.THREE, MarkValue.TWO, MarkValue.ONE)
OTHERS = (MarkValue.PASS, MarkValue.FAIL, MarkValue.NOT_ASSESSED, MarkValue.EXEMPT)
FINAL_GRADES = (MarkValue.FIVE, MarkValue.FOUR, MarkValue.THREE, MarkValue.TWO)
ICONS = {AttendanceKind.ABSENT: "❌ ", AttendanceKind.LATE: "⏰ "}


# A form's typed answer: text, not a command (a command leaves the form).
TYPED = F.text & ~F.text.startswith("/")


class Input(StatesGroup):
    pick = State()  # «which Иванов?» / «which lesson?» for /att and /mark
    comment = State()  # a mark's comment before its value is tapped
    reason = State()  # the reason of a correction
    final_reason = State()  # the reason a period mark already set is changed
    topic = State()
    homework = State()
    remark = State()
    confirm = State()  # a question before many records change or the parents are told


async def show(
    target: Message | CallbackQuery,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    note: str | None = None,
    state: FSMContext | None = None,
    lesson: int = 0,
) -> None:
    """A new message for a command or a typed answer; the same message, edited, for a button
    (``note`` is shown briefly). With ``state``, a new message becomes ``lesson``'s live one:
    the buttons of its older messages stop writing (``handlers.live_keyboards``)."""
    if isinstance(target, Message):
        sent = await target.answer(text, reply_markup=markup)
        if state is not None:
            await live.posted(state, lesson, sent)
        return
    message = target.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                raise
        await live.shown(message)
    await target.answer(note)


async def not_for_you(message: Message, viewer: Viewer) -> bool:
    """True, once told, when the sender is not on the school's staff."""
    if viewer.staff_id is not None:
        return False
    await message.answer(_("This is for the school's teachers."))
    return True


async def out_of_date(query: CallbackQuery) -> None:
    await query.answer(
        _("This button is out of date. Please open the lesson again."), show_alert=True
    )


async def answer_of(
    query: CallbackQuery, state: FSMContext, clock: Clock, kind: str, lesson: int
) -> dict[str, Any] | None:
    """The open question ``kind`` about ``lesson``, taken once: a second press finds none and
    is told so."""
    data = await pending(state, clock, Input.confirm)
    if data is None or data.get("kind") != kind or data.get("lesson") != lesson:
        await query.answer(_("This question is already closed."), show_alert=True)
        return None
    await finish(state)
    return data


def ask_view(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    """«Which Иванов?»: the first open question of a pending /att or /mark."""
    ask = data["asks"][0]
    value = mark_value(ask.get("value", ""))
    text = t.ask_which(ask["name"], data["title"], t.mark_label(value) if value else None)
    rows = [
        [(label, PickCb(lesson=data["lesson"], student=sid))]
        for sid, label in zip(ask["ids"], ask["labels"], strict=True)
    ]
    rows.append(cancel_row(0))
    return text, inline(rows)


def mark_value(text: str) -> MarkValue | None:
    try:
        return MarkValue(text)
    except ValueError:
        return None


async def begin(state: FSMContext, step: State, clock: Clock, **data: Any) -> None:
    await state.set_state(step)
    await state.update_data({KEY: {**data, "at": clock.now().timestamp()}})


async def pending(state: FSMContext, clock: Clock, step: State) -> dict[str, Any] | None:
    """The input this step waits for, while it is fresh; None otherwise."""
    if await state.get_state() != step.state:
        return None
    data = (await state.get_data()).get(KEY)
    if not isinstance(data, dict):
        return None
    if clock.now().timestamp() - float(data.get("at", 0)) > INPUT_TTL_SECONDS:
        await finish(state)
        return None
    return data


async def keep(state: FSMContext, data: dict[str, Any]) -> None:
    await state.update_data({KEY: data})


async def finish(state: FSMContext) -> None:
    """Forget a pending input (and only that: the diary's choice of child stays)."""
    if await state.get_state() is not None:
        await state.set_state(None)
    if (await state.get_data()).get(KEY) is not None:
        await state.update_data({KEY: None})


def columns(count: int) -> int:
    return 2 if count <= 40 else 3


def student_label(line: StudentLine) -> str:
    """«❌ Иванов П.»: the name with its attendance."""
    return (ICONS[line.kind] if line.kind else "") + line.student.short_name


def card_keyboard(card: LessonCard) -> InlineKeyboardMarkup:
    lesson = card.lesson.id
    rows: list[list[tuple[str, Any]]] = []
    if card.roll_call_open:
        rows.append([(_("✅ All present"), RollCb(lesson=lesson, student=0))])
        width = columns(len(card.lines))
        buttons = [
            (student_label(x), RollCb(lesson=lesson, student=x.student.id)) for x in card.lines
        ]
        rows += [buttons[i : i + width] for i in range(0, len(buttons), width)]
    actions = []
    if card.marks_open:
        actions.append((_("📝 Marks"), LessonCb(lesson=lesson, view="m")))
    if card.topic_open:
        actions.append((_("📖 Topic"), LessonCb(lesson=lesson, view="t")))
    if card.homework_open:
        actions.append((_("🏠 Homework"), LessonCb(lesson=lesson, view="h")))
    more = []
    if card.remarks_open:
        more.append((_("💬 Remark or praise"), LessonCb(lesson=lesson, view="r")))
    if card.final_period is not None:
        more.append((_("🏁 Period marks"), LessonCb(lesson=lesson, view="f")))
    rows += [actions, more]
    rows.append([(_("« My lessons"), TodayCb(day=card.lesson.day.toordinal()))])
    return inline(rows)


def back_to_card(lesson: int) -> tuple[str, LessonCb]:
    return _("« Lesson"), LessonCb(lesson=lesson, view="c")


def cancel_row(lesson: int) -> list[tuple[str, Any]]:
    return [(_("Cancel"), CancelInputCb(lesson=lesson))]


def students_keyboard(
    card: LessonCard, make: Any, back: tuple[str, Any], extra: list[tuple[str, Any]] | None = None
) -> InlineKeyboardMarkup:
    """The lesson's list as buttons; ``make(line)`` gives each button's label and data."""
    width = columns(len(card.lines))
    buttons = [make(x) for x in card.lines]
    rows = [buttons[i : i + width] for i in range(0, len(buttons), width)]
    if extra:
        rows.append(extra)
    rows.append([back])
    return inline(rows)


def value_rows(
    make: Any, values: tuple[tuple[MarkValue, ...], ...], chosen: MarkValue | None = None
) -> list[list[tuple[str, Any]]]:
    return [[(t.mark_label(v, chosen), make(v)) for v in row] for row in values]


def mark_keyboard(card: LessonCard, wt: int, student: int) -> InlineKeyboardMarkup:
    """The values a student can get: all of them, or «н/а» and «осв» for one marked absent."""
    lesson = card.lesson.id

    def make(v: MarkValue) -> MarkCb:
        return MarkCb(lesson=lesson, wt=wt, student=student, value=v.value)

    line = card.line(student)
    if line is not None and line.kind == AttendanceKind.ABSENT:
        rows = value_rows(make, (tuple(v for v in OTHERS if v in rules.MARKS_WHEN_ABSENT),))
    else:
        rows = value_rows(make, (GRADES, OTHERS))
    rows.append([(_("« Back"), MarkCb(lesson=lesson, wt=wt))])
    return inline(rows)


def final_keyboard(
    lesson: int, period: int, subject: int, student: int, proposed: MarkValue | None
) -> InlineKeyboardMarkup:
    def make(v: MarkValue) -> FinalCb:
        return FinalCb(
            lesson=lesson, period=period, subject=subject, student=student, value=v.value
        )

    rows = value_rows(make, (FINAL_GRADES, OTHERS), proposed)
    rows.append([(_("« Back"), LessonCb(lesson=lesson, view="f"))])
    return inline(rows)


def questions(matches: tuple[NameMatch, ...], values: list[str] | None = None) -> list[dict]:
    """The names that fit several students, each with its candidates (and mark)."""
    found = []
    for i, match in enumerate(matches):
        if len(match.candidates) > 1:
            found.append(
                {
                    "name": str(match.query),
                    "value": values[i] if values else "",
                    "ids": [c.id for c in match.candidates],
                    "labels": [c.full_name for c in match.candidates],
                }
            )
    return found
