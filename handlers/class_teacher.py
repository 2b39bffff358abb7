"""The class teacher's /absences: today's and this week's absences in the class with their
reasons; a reason (Б, У, Н) per absence or for a student's whole day; the weekly check of
what still has none (003 reg.2 §2.2.1; 000 §4.4; 004 §5.3.2)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from app import keyboards as kb
from app.keyboards import AbsCb, AbsDayCb, AbsOneCb, AbsStudentCb, inline
from core.access import Viewer
from core.clock import Clock
from core.journal import JournalService
from core.model import AbsenceReason, AttendanceKind
from core.teacher import AbsenceItem, TeacherService, student_days
from handlers import journal_ui as ui
from handlers import render as r
from handlers.finals_ack import AckSheetCb
from handlers.printouts import PaperCb
from locales import terms

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

REASONS = {"s": AbsenceReason.SICK, "e": AbsenceReason.EXCUSED, "u": AbsenceReason.UNEXCUSED}
MAX_DAYS = 120  # how far back the class teacher goes


def letter(reason: AbsenceReason) -> str:
    return terms.reason_letter(_, reason)


def legend() -> str:
    return terms.reason_legend(_)


def reason_buttons(make: Any, current: AbsenceReason | None) -> list[tuple[str, Any]]:
    out = []
    for code, reason in REASONS.items():
        label = letter(reason)
        out.append((f"•{label}•" if reason == current else label, make(code)))
    return out


def day_of(ordinal: int, today: date) -> date:
    try:
        day = date.fromordinal(ordinal)
    except (ValueError, OverflowError):
        return today
    return day if abs((today - day).days) <= MAX_DAYS else today


def item_line(x: AbsenceItem) -> str:
    where = f"{x.slot}. {escape(x.subject_name)}" if x.slot else escape(x.subject_name)
    if x.kind == AttendanceKind.LATE:
        what = _("late")
        if x.minutes_late:
            what += " " + _("{n} min").format(n=x.minutes_late)
    else:
        what = r.reason(x.reason)
    return f"{where} — {what}"


def common_reason(items: list[AbsenceItem]) -> AbsenceReason | None:
    reasons = {x.reason for x in items if x.kind == AttendanceKind.ABSENT}
    return reasons.pop() if len(reasons) == 1 else None


# -- the day -------------------------------------------------------------------------------------


async def render_day(
    target: Message | CallbackQuery,
    viewer: Viewer,
    teacher: TeacherService,
    clock: Clock,
    cls: int,
    day: date,
    note: str | None = None,
) -> None:
    today = clock.today()
    found = await teacher.class_absences(viewer, cls, day, day)
    title = _("Today, {day}").format(day=r.day(day)) if day == today else r.long_day(day)
    lines = [
        "<b>" + _("Absences, {name}").format(name=escape(found.class_name)) + f"</b> · {title}",
        "",
    ]
    rows: list[list[tuple[str, Any]]] = []
    groups = student_days(found.items)
    for _day, student, items in groups:
        lines.append(
            f"<b>{escape(r.named(student.full_name, student.left_on, today))}</b>: "
            + "; ".join(item_line(x) for x in items)
        )
        if any(x.kind == AttendanceKind.ABSENT for x in items):

            def make(code: str, s: int = student.id) -> AbsDayCb:
                return AbsDayCb(cls=cls, student=s, day=day.toordinal(), reason=code)

            name = (
                student.short_name,
                AbsStudentCb(cls=cls, student=student.id, day=day.toordinal()),
            )
            rows.append([name, *reason_buttons(make, common_reason(items))])
    if not groups:
        lines.append(_("Nobody was absent or late."))
    else:
        lines += [
            "",
            legend(),
            _("A letter sets the reason for the whole day; a name opens each lesson."),
        ]
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    rows.append(
        [
            ("◀", AbsCb(cls=cls, day=before.toordinal())),
            (_("Today"), AbsCb(cls=cls, day=today.toordinal())),
            ("▶", AbsCb(cls=cls, day=after.toordinal())),
        ]
    )
    rows.append([(_("📅 Weekly check"), AbsCb(cls=cls, day=day.toordinal(), week=True))])
    rows.append([(_("🏁 Period marks seen by parents"), AckSheetCb(cls=cls))])
    rows.append([(_("🖨 Paper diaries"), PaperCb(cls=cls, action="show"))])
    await ui.show(target, "\n".join(lines), inline(rows), note)


# -- the weekly check ----------------------------------------------------------------------------


async def render_week(
    target: CallbackQuery,
    viewer: Viewer,
    teacher: TeacherService,
    clock: Clock,
    cls: int,
    day: date,
) -> None:
    start = day - timedelta(days=day.weekday())
    end = start + timedelta(days=6)
    found = await teacher.class_absences(viewer, cls, start, end)
    absences = [x for x in found.items if x.kind == AttendanceKind.ABSENT]
    missing = found.unexplained
    late = sum(x.kind == AttendanceKind.LATE for x in found.items)
    lines = [
        "<b>"
        + _("Weekly check, {name}").format(name=escape(found.class_name))
        + "</b> · "
        + _("{start} – {end}").format(start=r.day(start, False), end=r.day(end, False)),
        _("Lessons missed: {total} · late: {late}").format(total=len(absences), late=late),
    ]
    if absences:  # in the same words as the diary and the pushes
        lines.append(terms.reason_counts(_, Counter(x.reason for x in absences)))
    lines.append("")
    rows: list[list[tuple[str, Any]]] = []
    if missing:
        lines.append("<b>" + terms.capital(r.reason(None)) + "</b>")
        buttons = []
        for when, student, items in student_days(missing):
            lines.append(
                f"{r.day(when)} — "
                + escape(r.named(student.full_name, student.left_on, clock.today()))
                + ": "
                + ngettext("{n} lesson", "{n} lessons", len(items)).format(n=len(items))
            )
            buttons.append(
                (
                    f"{r.short_day(when)} {student.short_name}",
                    AbsStudentCb(cls=cls, student=student.id, day=when.toordinal()),
                )
            )
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    elif absences:
        lines.append(_("Every absence has a reason. ✓"))
    else:
        lines.append(_("Nobody was absent this week."))
    rows.append(
        [
            ("◀", AbsCb(cls=cls, day=(start - timedelta(days=7)).toordinal(), week=True)),
            ("▶", AbsCb(cls=cls, day=(start + timedelta(days=7)).toordinal(), week=True)),
        ]
    )
    today = clock.today()
    back = today if start <= today <= end else start
    rows.append([(_("« Day"), AbsCb(cls=cls, day=back.toordinal()))])
    await ui.show(target, "\n".join(lines), inline(rows))


# -- one student's day -------------------------------------------------------------------------


async def render_student(
    target: CallbackQuery,
    viewer: Viewer,
    teacher: TeacherService,
    cls: int,
    student: int,
    day: date,
    note: str | None = None,
) -> None:
    found = await teacher.class_absences(viewer, cls, day, day)
    items = [x for x in found.items if x.student.id == student]
    if not items:
        await ui.show(
            target,
            _("No absences that day."),
            inline([[(_("« Day"), AbsCb(cls=cls, day=day.toordinal()))]]),
            note,
        )
        return
    ref = items[0].student
    lines = [f"<b>{escape(ref.full_name)}</b>, {escape(found.class_name)} · {r.day(day)}", ""]
    lines += [item_line(x) for x in items]
    lines += ["", legend()]
    here = AbsStudentCb(cls=cls, student=student, day=day.toordinal())
    rows: list[list[tuple[str, Any]]] = []
    for x in items:
        if x.kind != AttendanceKind.ABSENT:
            continue

        def one(code: str, record: int = x.id) -> AbsOneCb:
            return AbsOneCb(
                record=record, reason=code, cls=cls, student=student, day=day.toordinal()
            )

        rows.append(
            [(f"{x.slot or ''} {x.subject_name}".strip(), here), *reason_buttons(one, x.reason)]
        )

    def whole(code: str) -> AbsDayCb:
        return AbsDayCb(cls=cls, student=student, day=day.toordinal(), reason=code, back="s")

    if len(rows) > 1:
        rows.append([(_("Whole day"), here), *reason_buttons(whole, common_reason(items))])
    rows.append(
        [
            (_("« Day"), AbsCb(cls=cls, day=day.toordinal())),
            (_("« Week"), AbsCb(cls=cls, day=day.toordinal(), week=True)),
        ]
    )
    await ui.show(target, "\n".join(lines), inline(rows), note)


# -- commands and buttons ----------------------------------------------------------------------


@router.message(Command("absences"))
@router.message(F.text == kb.CLASS_ABSENCES)
async def cmd_absences(
    message: Message, viewer: Viewer, teacher: TeacherService, clock: Clock, state: FSMContext
) -> None:
    await ui.finish(state)
    classes = await teacher.my_classes(viewer) if viewer.staff_id is not None else []
    if not classes:
        await message.answer(_("This is for class teachers."))
        return
    today = clock.today()
    if len(classes) == 1:
        await render_day(message, viewer, teacher, clock, classes[0].id, today)
        return
    rows = [[(c.name, AbsCb(cls=c.id, day=today.toordinal()))] for c in classes]
    await message.answer(_("Which class?"), reply_markup=inline(rows))


@router.callback_query(AbsCb.filter())
async def on_absences(
    query: CallbackQuery,
    callback_data: AbsCb,
    viewer: Viewer,
    teacher: TeacherService,
    clock: Clock,
) -> None:
    day = day_of(callback_data.day, clock.today())
    if callback_data.week:
        await render_week(query, viewer, teacher, clock, callback_data.cls, day)
    else:
        await render_day(query, viewer, teacher, clock, callback_data.cls, day)


@router.callback_query(AbsStudentCb.filter())
async def on_student_day(
    query: CallbackQuery,
    callback_data: AbsStudentCb,
    viewer: Viewer,
    teacher: TeacherService,
    clock: Clock,
) -> None:
    cb = callback_data
    await render_student(query, viewer, teacher, cb.cls, cb.student, day_of(cb.day, clock.today()))


@router.callback_query(AbsDayCb.filter())
async def on_day_reason(
    query: CallbackQuery,
    callback_data: AbsDayCb,
    viewer: Viewer,
    journal: JournalService,
    teacher: TeacherService,
    clock: Clock,
) -> None:
    cb = callback_data
    reason = REASONS.get(cb.reason)
    if reason is None:
        await ui.out_of_date(query)
        return
    day = day_of(cb.day, clock.today())
    await journal.set_day_reason(viewer, cb.student, day, reason)
    if cb.back == "s":
        await render_student(query, viewer, teacher, cb.cls, cb.student, day, _("Saved."))
    else:
        await render_day(query, viewer, teacher, clock, cb.cls, day, _("Saved."))


@router.callback_query(AbsOneCb.filter())
async def on_one_reason(
    query: CallbackQuery,
    callback_data: AbsOneCb,
    viewer: Viewer,
    journal: JournalService,
    teacher: TeacherService,
    clock: Clock,
) -> None:
    cb = callback_data
    reason = REASONS.get(cb.reason)
    if reason is None:
        await ui.out_of_date(query)
        return
    await journal.set_absence_reason(viewer, cb.record, reason)
    day = day_of(cb.day, clock.today())
    await render_student(query, viewer, teacher, cb.cls, cb.student, day, _("Saved."))
