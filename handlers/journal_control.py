"""The deputy's remarks on a teacher's journal (``core.journal_remarks``), in the bot.

The administration, from /admin: class → subject (its teacher; two groups, two teachers:
choose) or the class journal → a recent lesson or the whole period → the text → the date to
fix it by → confirm; and the open remarks by teacher, the overdue marked. The teacher sees
their open remarks above /today and presses «✅ Fixed». Every press is checked by the core
again: a forged id, someone else's remark, a teacher writing a remark are refused.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from app.keyboards import inline
from core.access import Viewer
from core.access_admin import AccessAdminService
from core.clock import Clock
from core.errors import NotFound, RemarkTeacherRefused
from core.journal_remarks import ClassChoice, Draft, JournalRemarkService, RemarkLine
from core.limits import MESSAGE_LIMIT
from core.tabular import parse_date
from handlers import render
from handlers.admin import AdminCb, back_to_menu, end_form
from handlers.journal_ui import TYPED, show

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

KEY = "jr_"  # the form's FSM keys
DUE_BUTTONS = (3, 7, 14)  # days from today: «in 3 days», «a week», «two weeks»
SHOWN = 10  # open remarks above /today, each with its button
LINE = 120  # characters of a remark's text on a list line


class RemarkCb(CallbackData, prefix="jr1"):
    """A remark: open it (a push's button packs it too: ``notifications.buttons``) or mark it
    fixed."""

    remark: int
    action: str = "o"  # o open, f fixed


class RemarkFormCb(CallbackData, prefix="jrw"):
    cls: int = 0
    subject: int = 0
    teacher: int = 0
    scope: str = ""  # l a lesson, p the period, c the class journal (the class teacher)
    lesson: int = 0


class RemarkDueCb(CallbackData, prefix="jrd"):
    days: int


class RemarkSaveCb(CallbackData, prefix="jrs"):
    go: bool


class RemarkForm(StatesGroup):
    text = State()
    due = State()


# -- texts ---------------------------------------------------------------------------------------


def about(x: RemarkLine) -> str:
    """«7А, Математика, урок 3, 1 декабря» / «7А, Математика, II четверть» / «7А, журнал
    класса»."""
    parts = [escape(x.class_name), escape(x.subject) if x.subject else _("the class journal")]
    if x.lesson is not None:
        parts += [_("lesson {slot}").format(slot=x.lesson.slot), render.day(x.lesson.day, False)]
    elif x.period is not None:
        parts.append(render.period(x.period.kind, x.period.number))
    return ", ".join(parts)


def _due(x: RemarkLine) -> str:
    if x.overdue:
        return _("⚠️ overdue: it was due {due}").format(due=render.day(x.remark.due_on, False))
    return _("fix by {due}").format(due=render.day(x.remark.due_on, False))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return escape(text if len(text) <= LINE else text[: LINE - 1] + "…")


def remark_text(x: RemarkLine) -> str:
    head = _("📋 A remark on the journal from {author} to {teacher}").format(
        author=escape(x.author), teacher=escape(x.teacher)
    )
    state = (
        _("✅ Fixed on {day}.").format(day=render.day(x.remark.fixed_at.date(), False))
        if x.remark.fixed_at
        else _due(x)
    )
    return f"{head}\n{about(x)}\n\n{escape(x.remark.text)}\n\n{state}"


async def open_block(
    target: Message, viewer: Viewer, journal_remarks: JournalRemarkService
) -> None:
    """Above /today: the teacher's open remarks, each with «✅ Fixed»; nothing when none."""
    found = await journal_remarks.my_open(viewer)
    if found:
        text, markup = _open_view(found)
        await target.answer(text, reply_markup=markup)


def _open_view(found: list[RemarkLine]) -> tuple[str, Any]:
    if not found:
        return _("📋 All the remarks on your journal are fixed. Thank you!"), None
    lines = [_("📋 Remarks on your journal to fix:")]
    rows = []
    for n, x in enumerate(found[:SHOWN], start=1):
        lines.append(f"{n}. {about(x)}: {_short(x.remark.text)} — {_due(x)}")
        rows.append([(_("✅ Fixed: {n}").format(n=n), RemarkCb(remark=x.remark.id, action="f"))])
    if len(found) > SHOWN:
        lines.append(_("… and {n} more.").format(n=len(found) - SHOWN))
    return "\n".join(lines), inline(rows)


# -- the teacher: open, fixed ----------------------------------------------------------------


@router.callback_query(RemarkCb.filter())
async def on_remark(
    query: CallbackQuery,
    callback_data: RemarkCb,
    viewer: Viewer,
    journal_remarks: JournalRemarkService,
) -> None:
    if callback_data.action == "f":
        done = await journal_remarks.fix(viewer, callback_data.remark)
        if viewer.staff_id == done.remark.teacher_id:
            mine = await journal_remarks.my_open(viewer)
            await show(query, *_open_view(mine), note=_("Marked fixed; the author is told."))
        else:
            await show(query, remark_text(done), note=_("Marked fixed; the author is told."))
        return
    x = await journal_remarks.one(viewer, callback_data.remark)
    rows = []
    if x.remark.fixed_at is None and (viewer.staff_id == x.remark.teacher_id or viewer.administers):
        rows.append([(_("✅ Fixed"), RemarkCb(remark=x.remark.id, action="f"))])
    await show(query, remark_text(x), inline(rows))


# -- the administration: the list and the form -------------------------------------------------


@router.callback_query(AdminCb.filter(F.menu == "jr"))
async def on_menu(
    query: CallbackQuery, viewer: Viewer, journal_remarks: JournalRemarkService
) -> None:
    found = await journal_remarks.all_open(viewer)
    lines = [_("📋 Remarks on the journals. Open ones, by teacher:")]
    teacher = None
    for x in found:
        if x.teacher != teacher:
            teacher = x.teacher
            lines.append(f"\n<b>{escape(teacher)}</b>")
        lines.append(f"• {about(x)}: {_short(x.remark.text)} — {_due(x)}")
    if not found:
        lines.append(_("None: every remark is fixed."))
    rows = [[(_("✍️ Write a remark"), RemarkFormCb())], back_to_menu()]
    await show(query, "\n".join(lines)[:MESSAGE_LIMIT], inline(rows))


@router.callback_query(RemarkFormCb.filter())
async def on_form(
    query: CallbackQuery,
    callback_data: RemarkFormCb,
    viewer: Viewer,
    journal_remarks: JournalRemarkService,
    access_admin: AccessAdminService,
    state: FSMContext,
) -> None:
    cb = callback_data
    await end_form(state, KEY)
    if not cb.cls:
        classes = await access_admin.classes(viewer)
        buttons = [(c.name, RemarkFormCb(cls=c.id)) for c in classes]
        rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
        rows.append([(_("« Back"), AdminCb(menu="jr"))])
        await show(query, _("A remark on which class's journal?"), inline(rows))
        return
    parts = await journal_remarks.class_parts(viewer, cb.cls)
    name = escape(parts.class_name)
    if not cb.subject and cb.scope != "c":
        rows = [[(s.name, RemarkFormCb(cls=cb.cls, subject=s.subject_id))] for s in parts.subjects]
        if parts.class_teacher:
            label = _("📒 The class journal: {teacher}").format(teacher=parts.class_teacher[1])
            rows.append(
                [(label, RemarkFormCb(cls=cb.cls, teacher=parts.class_teacher[0], scope="c"))]
            )
        rows.append([(_("« Back"), RemarkFormCb())])
        await show(
            query, _("{class_name}: about which subject?").format(class_name=name), inline(rows)
        )
        return
    if cb.scope == "c":
        if parts.class_teacher is None or parts.class_teacher[0] != cb.teacher:
            raise RemarkTeacherRefused()
        await _ask_text(query, state, cb, period=parts.period.id if parts.period else 0)
        return
    subject = next((s for s in parts.subjects if s.subject_id == cb.subject), None)
    if subject is None:
        raise NotFound("subject", cb.subject)
    if not cb.teacher and len(subject.teachers) > 1:
        rows = [
            [(who, RemarkFormCb(cls=cb.cls, subject=cb.subject, teacher=staff_id))]
            for staff_id, who in subject.teachers
        ]
        rows.append([(_("« Back"), RemarkFormCb(cls=cb.cls))])
        text = _("{class_name}, {subject}: whose journal?").format(
            class_name=name, subject=escape(subject.name)
        )
        await show(query, text, inline(rows))
        return
    teacher = cb.teacher or subject.teachers[0][0]
    if teacher not in dict(subject.teachers):
        raise RemarkTeacherRefused()
    if not cb.scope:
        await _ask_scope(query, viewer, journal_remarks, cb, teacher, subject.name, parts)
        return
    period = parts.period.id if parts.period and cb.scope == "p" else 0
    await _ask_text(query, state, cb, period=period, teacher=teacher)


async def _ask_scope(
    query: CallbackQuery,
    viewer: Viewer,
    journal_remarks: JournalRemarkService,
    cb: RemarkFormCb,
    teacher: int,
    subject: str,
    parts: ClassChoice,
) -> None:
    """A recent lesson of the teacher's, or the whole period (the subject as a whole in the
    holidays)."""
    lessons = await journal_remarks.recent_lessons(viewer, cb.cls, cb.subject, teacher)
    base = {"cls": cb.cls, "subject": cb.subject, "teacher": teacher}
    rows = [
        [
            (
                _("{day}, lesson {slot}").format(day=render.day(x.day), slot=x.slot),
                RemarkFormCb(**base, scope="l", lesson=x.id),
            )
        ]
        for x in lessons
    ]
    whole = (
        _("For the whole {period}").format(
            period=render.period(parts.period.kind, parts.period.number)
        )
        if parts.period
        else _("The subject as a whole")
    )
    rows.append([(whole, RemarkFormCb(**base, scope="p"))])
    rows.append([(_("« Back"), RemarkFormCb(cls=cb.cls))])
    text = _("{class_name}, {subject}: about a lesson or the whole period?").format(
        class_name=escape(parts.class_name), subject=escape(subject)
    )
    await show(query, text, inline(rows))


async def _ask_text(
    query: CallbackQuery, state: FSMContext, cb: RemarkFormCb, period: int, teacher: int = 0
) -> None:
    draft = {
        "class_id": cb.cls,
        "teacher_id": teacher or cb.teacher,
        "subject_id": cb.subject or None,
        "lesson_id": cb.lesson or None,
        "period_id": period or None,
    }
    await state.set_state(RemarkForm.text)
    await state.update_data(jr_draft=draft)
    await show(query, _("Please write the remark (what to fix in the journal), or /cancel."))


@router.message(StateFilter(RemarkForm), Command("cancel"))
async def cmd_cancel(message: Message, state: FSMContext) -> None:
    await end_form(state, KEY)
    await message.answer(_("Cancelled; nothing was changed."))


@router.message(RemarkForm.text, TYPED)
async def got_text(
    message: Message, viewer: Viewer, journal_remarks: JournalRemarkService, state: FSMContext
) -> None:
    draft = (await state.get_data())["jr_draft"]
    earliest, latest = await journal_remarks.due_window(
        viewer, draft["class_id"], draft["lesson_id"], draft["period_id"]
    )
    await state.update_data(jr_text=message.text or "")
    await state.set_state(RemarkForm.due)
    days = [d for d in DUE_BUTTONS if earliest + timedelta(d) <= latest]
    labels = {3: _("In 3 days"), 7: _("In a week"), 14: _("In two weeks")}
    rows = [[(labels[d], RemarkDueCb(days=d)) for d in days]]
    text = _("By when is it to be fixed? Choose, or write a date as DD.MM (up to {latest}).")
    await message.answer(text.format(latest=render.day(latest, False)), reply_markup=inline(rows))


@router.callback_query(RemarkForm.due, RemarkDueCb.filter())
async def on_due(
    query: CallbackQuery, callback_data: RemarkDueCb, clock: Clock, state: FSMContext
) -> None:
    await _confirm(query, state, clock.today() + timedelta(days=callback_data.days))


@router.message(RemarkForm.due, TYPED)
async def got_due(
    message: Message,
    viewer: Viewer,
    journal_remarks: JournalRemarkService,
    clock: Clock,
    state: FSMContext,
) -> None:
    due = typed_day(message.text or "", clock.today())
    if due is None:
        await message.answer(_("This is not a date: please write it as DD.MM, or /cancel."))
        return
    draft = (await state.get_data())["jr_draft"]
    await journal_remarks.check_due(
        viewer, draft["class_id"], draft["lesson_id"], draft["period_id"], due
    )
    await _confirm(message, state, due)


def typed_day(text: str, today: date) -> date | None:
    """«10.12» (the next such day) or «10.12.2026»."""
    text = text.strip()
    if text.count(".") == 1:
        for year in (today.year, today.year + 1):
            day = parse_date(f"{text}.{year}")
            if day is not None and day >= today - timedelta(days=1):
                return day
        return None
    return parse_date(text)


async def _confirm(target: Message | CallbackQuery, state: FSMContext, due: date) -> None:
    await state.update_data(jr_due=due.isoformat())
    data = await state.get_data()
    text = _("The remark:\n\n{text}\n\nTo fix by {due}. Send it to the teacher?").format(
        text=escape(data.get("jr_text", "")), due=render.day(due, False)
    )
    rows = [[(_("✅ Send"), RemarkSaveCb(go=True)), (_("✖️ Cancel"), RemarkSaveCb(go=False))]]
    await show(target, text, inline(rows))


@router.callback_query(RemarkForm.due, RemarkSaveCb.filter())
async def on_save(
    query: CallbackQuery,
    callback_data: RemarkSaveCb,
    viewer: Viewer,
    journal_remarks: JournalRemarkService,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    if not callback_data.go or "jr_due" not in data:
        await end_form(state, KEY)
        await show(query, _("Cancelled; nothing was changed."), inline([back_to_menu()]))
        return
    draft = Draft(
        **data["jr_draft"], text=data["jr_text"], due_on=date.fromisoformat(data["jr_due"])
    )
    line = await journal_remarks.write(viewer, draft)
    await end_form(state, KEY)
    rows = [
        [(_("✍️ One more"), RemarkFormCb(cls=draft.class_id))],
        [(_("« Back"), AdminCb(menu="jr"))],
    ]
    await show(
        query,
        _("✅ Sent to {teacher}").format(teacher=escape(line.teacher)) + "\n\n" + remark_text(line),
        inline(rows),
    )
