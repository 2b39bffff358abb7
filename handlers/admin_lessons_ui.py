"""The screens of lessons and substitutions in /admin (``handlers.admin_lessons``): their
callback data and how each screen reads. Ids in a callback are hints; the core checks each."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from app.keyboards import inline
from core.access_admin import StaffLine
from core.model import Bell, LessonOrigin, LessonStatus
from core.school_admin import ClassChoices, DayLesson
from handlers.admin import AdminCb
from handlers.render import cancelled, locale

STAFF_PAGE = 20  # teachers on one screen, two to a row
NO_BELLS = tuple(range(1, 9))  # lesson numbers offered when the school has no bells
MOVED_TO = re.compile(r"→ (\d{4}-\d{2}-\d{2})/(\d+)")  # the core's note on a moved lesson

Screen = tuple[str, InlineKeyboardMarkup]
Row = list[tuple[str, CallbackData]]


class DayCb(CallbackData, prefix="ld1"):
    day: int  # date.toordinal()


class ClassDayCb(CallbackData, prefix="lc1"):
    cls: int
    day: int


class LessonAdminCb(CallbackData, prefix="lv1"):
    lesson: int
    # "": the lesson; sub: who stands in; cx: why it is cancelled; nr: without a reason;
    # go: cancel it; rs: restore it
    act: str = ""
    page: int = 0


class SubstituteCb(CallbackData, prefix="lb1"):
    lesson: int
    staff: int  # 0: the timetable's teacher again


class MoveCb(CallbackData, prefix="lm1"):
    lesson: int
    day: int = 0  # 0: choose it
    slot: int = 0  # 0: choose it
    go: bool = False


class ExtraCb(CallbackData, prefix="le1"):
    """An extra lesson being chosen: its number, its subject, a page of teachers."""

    cls: int
    day: int
    slot: int = 0
    subject: int = 0
    page: int = 0


class ExtraTeacherCb(CallbackData, prefix="lt1"):
    """An extra lesson chosen whole: asked to confirm, then (``go``) added."""

    cls: int
    day: int
    slot: int
    subject: int
    teacher: int
    go: bool = False


def short(day: date) -> str:
    """«пн 7 дек.» / «Mon 7 Dec»."""
    return format_date(day, "EEE d MMM", locale=locale())


def day_label(day: date, today: date) -> str:
    if day == today:
        return _("Today, {day}").format(day=short(day))
    if day == today + timedelta(days=1):
        return _("Tomorrow, {day}").format(day=short(day))
    return short(day)


def _pairs(buttons: Sequence[tuple[str, CallbackData]], width: int = 2) -> list[Row]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def _back(data: CallbackData) -> Row:
    return [(_("« Back"), data)]


def _slots(choices: ClassChoices) -> list[tuple[int, str]]:
    """Lesson numbers with their bells' times, or 1..8 for a school without bells."""
    if not choices.bells:
        return [(n, str(n)) for n in NO_BELLS]
    return [(b.slot, f"{b.slot} · {b.starts_at:%H:%M}") for b in choices.bells]


def _bell(bells: Sequence[Bell], slot: int) -> str:
    found = next((b for b in bells if b.slot == slot), None)
    return f" ({found.starts_at:%H:%M}–{found.ends_at:%H:%M})" if found else ""


def _title(x: DayLesson) -> str:
    name = x.subject + (f" ({x.group})" if x.group else "")
    return escape(name)


def lesson_line(x: DayLesson) -> str:
    line = f"{x.lesson.slot}. {_title(x)} — {escape(x.teacher)}"
    if x.substitute:
        line += " → " + _("substitute: {name}").format(name=escape(x.substitute))
    if x.lesson.status == LessonStatus.CANCELLED:
        line = f"<s>{line}</s> ❌ " + cancelled()
    return line


def _note(x: DayLesson) -> str:
    """Why the lesson is cancelled, or where it went."""
    note = x.lesson.note
    moved = MOVED_TO.match(note)
    if moved:
        day = short(date.fromisoformat(moved[1]))
        where = _("moved to {day}, lesson {slot}").format(day=day, slot=moved[2])
        rest = note[moved.end() :].strip()
        return escape(where + (f" ({rest})" if rest else ""))
    return escape(note)


# --- choosing a day, a class, a lesson -------------------------------------------------------


def days_screen(days: Sequence[date], today: date) -> Screen:
    text = "<b>" + _("Lessons and substitutions") + "</b>\n"
    if days:
        text += _("Which day?")
    else:
        text += _("There are no school days in the coming week.")
    rows = _pairs([(day_label(d, today), DayCb(day=d.toordinal())) for d in days])
    rows.append(_back(AdminCb(menu="top")))
    return text, inline(rows)


def classes_screen(day: date, today: date, classes: Sequence[tuple[int, str]]) -> Screen:
    text = "<b>" + escape(day_label(day, today)) + "</b>\n" + _("Which class?")
    buttons = [(name, ClassDayCb(cls=cid, day=day.toordinal())) for cid, name in classes]
    rows = _pairs(buttons, 4)
    rows.append(_back(AdminCb(menu="les")))
    return text, inline(rows)


def class_day_screen(
    choices: ClassChoices, day: date, today: date, lessons: Sequence[DayLesson]
) -> Screen:
    lines = [f"<b>{escape(choices.cls.name)} · {escape(day_label(day, today))}</b>"]
    lines += [lesson_line(x) for x in lessons] or [_("No lessons.")]
    lines.append(_("Choose a lesson to change it."))
    rows: list[Row] = []
    for x in lessons:
        mark = "❌ " if x.lesson.status == LessonStatus.CANCELLED else ""
        label = f"{mark}{x.lesson.slot}. {x.subject}" + (f" ({x.group})" if x.group else "")
        rows.append([(label, LessonAdminCb(lesson=x.lesson.id))])  # type: ignore[arg-type]
    cls_id = choices.cls.id or 0
    rows.append([(_("➕ Extra lesson"), ExtraCb(cls=cls_id, day=day.toordinal()))])
    rows.append(_back(DayCb(day=day.toordinal())))
    return "\n".join(lines), inline(rows)


def _heading(x: DayLesson, choices: ClassChoices) -> str:
    return _("{cls}, {day}, lesson {slot}").format(
        cls=escape(choices.cls.name), day=short(x.lesson.day), slot=x.lesson.slot
    )


def lesson_screen(x: DayLesson, choices: ClassChoices) -> Screen:
    lesson = x.lesson
    lines = [f"<b>{_heading(x, choices)}</b>{_bell(choices.bells, lesson.slot)}", _title(x)]
    lines.append(_("Teacher: {name}").format(name=escape(x.teacher)))
    if x.substitute:
        lines.append(_("Substitute: {name}").format(name=escape(x.substitute)))
    if lesson.room:
        lines.append(_("Room: {room}").format(room=escape(lesson.room)))
    if lesson.origin == LessonOrigin.EXTRA:
        lines.append(_("An extra lesson."))
    elif lesson.origin == LessonOrigin.MOVED:
        lines.append(_("A lesson moved here from another day or time."))
    lesson_id = lesson.id or 0
    rows: list[Row] = []
    if lesson.status == LessonStatus.CANCELLED:
        note = _note(x)
        lines.append("❌ " + (_("Cancelled: {why}").format(why=note) if note else _("Cancelled.")))
        rows.append([(_("↩️ Restore"), LessonAdminCb(lesson=lesson_id, act="rs"))])
    else:
        rows.append([(_("👤 Substitute"), LessonAdminCb(lesson=lesson_id, act="sub"))])
        rows.append([(_("❌ Cancel the lesson"), LessonAdminCb(lesson=lesson_id, act="cx"))])
        rows.append([(_("➡️ Move"), MoveCb(lesson=lesson_id))])
    rows.append(_back(ClassDayCb(cls=lesson.class_id, day=lesson.day.toordinal())))
    return "\n".join(lines), inline(rows)


def _staff_rows(
    staff: Sequence[StaffLine],
    page: int,
    pick: Callable[[int], CallbackData],
    turn: Callable[[int], CallbackData],
) -> list[Row]:
    """Two names to a row, ``STAFF_PAGE`` to a screen, with page turns."""
    pages = max(1, -(-len(staff) // STAFF_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = staff[page * STAFF_PAGE : (page + 1) * STAFF_PAGE]
    rows = _pairs([(s.name, pick(s.staff_id)) for s in shown])
    nav: Row = []
    if page > 0:
        nav.append(("◀", turn(page - 1)))
    if page < pages - 1:
        nav.append(("▶", turn(page + 1)))
    if nav:
        rows.append(nav)
    return rows


def substitute_screen(
    x: DayLesson, choices: ClassChoices, staff: Sequence[StaffLine], page: int
) -> Screen:
    lesson = x.lesson
    lesson_id = lesson.id or 0
    text = f"<b>{_heading(x, choices)}</b>\n{_title(x)} — {escape(x.teacher)}\n" + _(
        "Who stands in? A teacher busy at that time cannot be chosen."
    )
    rows: list[Row] = []
    if x.substitute:
        rows.append(
            [(_("↩️ The timetable's teacher again"), SubstituteCb(lesson=lesson_id, staff=0))]
        )
    others = [s for s in staff if s.staff_id not in (lesson.teacher_id, lesson.substitute_id)]
    rows += _staff_rows(
        others,
        page,
        lambda sid: SubstituteCb(lesson=lesson_id, staff=sid),
        lambda p: LessonAdminCb(lesson=lesson_id, act="sub", page=p),
    )
    rows.append(_back(LessonAdminCb(lesson=lesson_id)))
    return text, inline(rows)


# --- cancelling ----------------------------------------------------------------------------------


def reason_screen(x: DayLesson, choices: ClassChoices) -> Screen:
    lesson_id = x.lesson.id or 0
    text = f"<b>{_heading(x, choices)}</b>\n{_title(x)}\n" + _(
        "Why is the lesson cancelled? Please write the reason in a message: parents and "
        "students will see it."
    )
    rows = [
        [(_("Without a reason"), LessonAdminCb(lesson=lesson_id, act="nr"))],
        _back(LessonAdminCb(lesson=lesson_id)),
    ]
    return text, inline(rows)


def cancel_screen(x: DayLesson, choices: ClassChoices, reason: str) -> Screen:
    lesson_id = x.lesson.id or 0
    lines = [
        _("Cancel the lesson? Parents and students will be told."),
        f"<b>{_heading(x, choices)}</b>: {_title(x)}",
        _("Reason: {reason}").format(reason=escape(reason)) if reason else _("Without a reason."),
    ]
    rows = [
        [(_("❌ Yes, cancel the lesson"), LessonAdminCb(lesson=lesson_id, act="go"))],
        _back(LessonAdminCb(lesson=lesson_id)),
    ]
    return "\n".join(lines), inline(rows)


# --- moving ------------------------------------------------------------------------------------


def move_days_screen(
    x: DayLesson, choices: ClassChoices, days: Sequence[date], today: date
) -> Screen:
    lesson_id = x.lesson.id or 0
    text = f"<b>{_heading(x, choices)}</b>\n{_title(x)}\n" + _("Move it to which day?")
    buttons = [(day_label(d, today), MoveCb(lesson=lesson_id, day=d.toordinal())) for d in days]
    rows = _pairs(buttons)
    rows.append(_back(LessonAdminCb(lesson=lesson_id)))
    return text, inline(rows)


def _taken(lessons: Sequence[DayLesson]) -> list[str]:
    """The class's lessons of a day, as a reminder of which numbers are taken."""
    shown = [x for x in lessons if x.lesson.status != LessonStatus.CANCELLED]
    return [f"{x.lesson.slot}. {_title(x)}" for x in shown] or [_("No lessons.")]


def move_slot_screen(
    x: DayLesson, choices: ClassChoices, day: date, today: date, lessons: Sequence[DayLesson]
) -> Screen:
    lesson_id = x.lesson.id or 0
    lines = [f"<b>{_heading(x, choices)}</b>: {_title(x)}"]
    lines.append(_("{cls} on {day}:").format(cls=escape(choices.cls.name), day=short(day)))
    lines += _taken(lessons)
    lines.append(_("Which lesson number?"))
    buttons = [
        (label, MoveCb(lesson=lesson_id, day=day.toordinal(), slot=slot))
        for slot, label in _slots(choices)
        if (day, slot) != (x.lesson.day, x.lesson.slot)
    ]
    rows = _pairs(buttons, 4)
    rows.append(_back(MoveCb(lesson=lesson_id)))
    return "\n".join(lines), inline(rows)


def move_confirm_screen(x: DayLesson, choices: ClassChoices, day: date, slot: int) -> Screen:
    lesson_id = x.lesson.id or 0
    text = "\n".join(
        [
            _("Move the lesson? Parents and students will be told."),
            f"{escape(choices.cls.name)}, {_title(x)}",
            _("from {day}, lesson {slot}").format(day=short(x.lesson.day), slot=x.lesson.slot),
            _("to {day}, lesson {slot}").format(day=short(day), slot=slot)
            + _bell(choices.bells, slot),
        ]
    )
    go = MoveCb(lesson=lesson_id, day=day.toordinal(), slot=slot, go=True)
    rows = [[(_("✅ Move"), go)], _back(MoveCb(lesson=lesson_id, day=day.toordinal()))]
    return text, inline(rows)


# --- an extra lesson ---------------------------------------------------------------------------


def _extra_head(choices: ClassChoices, day: date) -> str:
    head = _("Extra lesson: {cls}, {day}").format(cls=escape(choices.cls.name), day=short(day))
    return f"<b>{head}</b>"


def extra_slot_screen(choices: ClassChoices, day: date, lessons: Sequence[DayLesson]) -> Screen:
    cls_id, ordinal = choices.cls.id or 0, day.toordinal()
    lines = [_extra_head(choices, day), *_taken(lessons), _("Which lesson number?")]
    buttons = [
        (label, ExtraCb(cls=cls_id, day=ordinal, slot=slot)) for slot, label in _slots(choices)
    ]
    rows = _pairs(buttons, 4)
    rows.append(_back(ClassDayCb(cls=cls_id, day=ordinal)))
    return "\n".join(lines), inline(rows)


def extra_subject_screen(choices: ClassChoices, cb: ExtraCb, day: date) -> Screen:
    text = (
        _extra_head(choices, day) + "\n" + _("Lesson {slot}. Which subject?").format(slot=cb.slot)
    )
    buttons = [(s.name, cb.model_copy(update={"subject": s.id})) for s in choices.subjects if s.id]
    rows = _pairs(buttons)
    rows.append(_back(cb.model_copy(update={"slot": 0})))
    return text, inline(rows)


def subject_name(choices: ClassChoices, subject_id: int) -> str:
    return next((s.name for s in choices.subjects if s.id == subject_id), "?")


def extra_teacher_screen(
    choices: ClassChoices, cb: ExtraCb, day: date, staff: Sequence[StaffLine]
) -> Screen:
    text = (
        _extra_head(choices, day)
        + "\n"
        + _("Lesson {slot}: {subject}. Who teaches it?").format(
            slot=cb.slot, subject=escape(subject_name(choices, cb.subject))
        )
    )
    rows = _staff_rows(
        staff,
        cb.page,
        lambda sid: ExtraTeacherCb(
            cls=cb.cls, day=cb.day, slot=cb.slot, subject=cb.subject, teacher=sid
        ),
        lambda p: cb.model_copy(update={"page": p}),
    )
    rows.append(_back(cb.model_copy(update={"subject": 0, "page": 0})))
    return text, inline(rows)


def extra_confirm_screen(
    choices: ClassChoices, cb: ExtraTeacherCb, day: date, teacher: str
) -> Screen:
    lines = [
        _("Add the lesson? Parents and students will be told."),
        _extra_head(choices, day),
        _("Lesson {slot}{bell}: {subject}, {teacher}").format(
            slot=cb.slot,
            bell=_bell(choices.bells, cb.slot),
            subject=escape(subject_name(choices, cb.subject)),
            teacher=escape(teacher),
        ),
    ]
    back = ExtraCb(cls=cb.cls, day=cb.day, slot=cb.slot, subject=cb.subject)
    rows = [[(_("✅ Add the lesson"), cb.model_copy(update={"go": True}))], _back(back)]
    return "\n".join(lines), inline(rows)
