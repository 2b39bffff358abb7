"""The teacher's screens as text: my lessons, a lesson's card, marks, period marks, and the
answers to the text commands, in the user's language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from html import escape

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from core import rules
from core.calendar import WorkTypeView
from core.commands import NameQuery, Refusal
from core.diary import StudentForecast
from core.model import AttendanceKind, MarkValue
from core.teacher import (
    LessonCard,
    LessonItem,
    LessonMark,
    PeriodSheet,
    StudentLine,
    StudentRef,
    TeacherDay,
)
from handlers import render as r

ATT_EXAMPLE = "/att 7А Иванов Петрова"
MARK_EXAMPLE = "/mark 7А КР Иванов 5 Петрова 4"
VALUE_WORDS = "5, 4, 3, 2, 1, зач, незач, н/а, осв"


def lesson_title(x: LessonItem) -> str:
    name = f"{escape(x.class_name)} · {escape(x.subject_name)}"
    if x.subgroup_name:
        name += f" ({escape(x.subgroup_name.split(', ')[-1])})"
    return name


def lesson_when(x: LessonItem) -> str:
    slot = _("lesson {n}").format(n=x.slot)
    if x.starts_at and x.ends_at:
        slot += f", {r.clock(x.starts_at)}–{r.clock(x.ends_at)}"
    parts = [r.day(x.day), slot]
    if x.room:
        parts.append(room(x.room))
    return " · ".join(parts)


def room(name: str) -> str:
    """«каб. 12» for a numbered room; a room with a name («Спортзал») as it is called."""
    if name[:1].isdigit():
        return _("room {room}").format(room=escape(name))
    return escape(name)


def roll_counts(absent: int, late: int) -> list[str]:
    """«absent: 2», «late: 1»; a count of nobody is not shown."""
    parts = []
    if absent:
        parts.append(_("absent: {n}").format(n=absent))
    if late:
        parts.append(_("late: {n}").format(n=late))
    return parts


def lesson_button(x: LessonItem) -> str:
    """A lesson as a button label (plain text): «2. 09:25 7А Математика»."""
    label = f"{x.slot}. {r.clock(x.starts_at)} {x.class_name} {x.subject_name}".replace("  ", " ")
    if x.cancelled:
        label += " — " + r.cancelled()
    elif x.roll is not None and (x.roll.absent or x.roll.late):
        counts = [f"❌{x.roll.absent}"] if x.roll.absent else []
        counts += [f"⏰{x.roll.late}"] if x.roll.late else []
        label += " · " + " ".join(counts)
    return label


def day_title(day: date, today: date) -> str:
    if day == today:
        return _("Today, {day}").format(day=r.day(day))
    if day == today + timedelta(days=1):
        return _("Tomorrow, {day}").format(day=r.day(day))
    return r.long_day(day)


def day_text(d: TeacherDay, today: date) -> str:
    lines = ["<b>" + _("My lessons") + "</b> · " + day_title(d.day, today), ""]
    if d.holiday:
        lines.append(_("Holiday: {name}").format(name=escape(d.holiday)))
    elif not d.lessons:
        lines.append(_("No lessons."))
    for x in d.lessons:
        time = f" {r.clock(x.starts_at)}" if x.starts_at else ""
        line = f"{x.slot}.{time} <b>{lesson_title(x)}</b>"
        if x.cancelled:
            line = f"{x.slot}.{time} <s>{lesson_title(x)}</s> — " + r.cancelled()
        elif x.substitute:
            line += " · " + _("substitution")
        if x.roll is not None and not x.cancelled and (x.roll.absent or x.roll.late):
            line += " · " + ", ".join(roll_counts(x.roll.absent, x.roll.late))
        lines.append(line)
    if d.lessons:
        lines += ["", _("Tap a lesson to take the roll, give marks or set homework.")]
    return "\n".join(lines)


def names(refs: Iterable[StudentRef]) -> str:
    return ", ".join(escape(x.short_name) for x in refs)


def card_head(card: LessonCard) -> list[str]:
    x = card.lesson
    lines = [f"<b>{lesson_title(x)}</b>", lesson_when(x)]
    if x.substitute:
        lines.append(_("You take this lesson for {name}.").format(name=escape(card.teacher_name)))
    elif card.substitute_name and not card.writable:
        lines.append(_("substitute: {name}").format(name=escape(card.substitute_name)))
    return lines


def card_text(card: LessonCard) -> str:
    x = card.lesson
    lines = card_head(card)
    if x.cancelled:
        return "\n".join([*lines, "", _("This lesson is cancelled.")])
    lines.append(
        _("Topic: {topic}").format(topic=escape(x.topic)) if x.topic else _("No topic yet.")
    )
    hw = card.homework
    if hw is not None:
        text = escape(hw.text) + (f" 📎{hw.attachments}" if hw.attachments else "")
        lines.append(
            _("Homework (for {day}): {text}").format(day=r.short_day(hw.due_on), text=text)
        )
    elif rules.graded(x.grade):
        lines.append(_("No homework set."))
    total, absent, late = len(card.lines), card.absent, card.late
    present = _("Present {present} of {total}").format(present=total - len(absent), total=total)
    lines += ["", " · ".join([present, *roll_counts(len(absent), len(late))])]
    if absent:
        lines.append(_("Absent: {names}").format(names=names(s.student for s in absent)))
    if late:
        lines.append(_("Late: {names}").format(names=names(s.student for s in late)))
    given = sum(len(s.marks) for s in card.lines)
    if given:
        lines.append(ngettext("{n} mark given", "{n} marks given", given).format(n=given))
    if card.roll_call_open:
        lines += ["", _("Tap a name: present → ❌ absent → ⏰ late → present.")]
    elif card.writable and x.day != card.today and not card.period_closed:
        lines += ["", _("The roll is taken on the lesson's day.")]
    elif card.writable and not card.started and x.starts_at and not card.period_closed:
        lines += [
            "",
            _("The roll is taken once the lesson begins, at {time}.").format(
                time=r.clock(x.starts_at)
            ),
        ]
    if card.period_closed:
        lines += ["", _("This study period is closed; its records can no longer be changed.")]
    return "\n".join(lines)


def work_type_label(w: WorkTypeView) -> str:
    return _("{work} · weight {w}").format(work=r.work_type(w.code, w.short), w=r.number(w.weight))


def marks_of(marks: Iterable[LessonMark]) -> str:
    """«5 У, 4 КР»."""
    return ", ".join(
        f"{r.mark(m.value)} {r.work_type(m.work_type_code, m.work_type_short)}" for m in marks
    )


def marks_text(card: LessonCard, work: WorkTypeView | None) -> str:
    lines = card_head(card)
    lines.append("")
    if work is None:
        lines.append(_("Choose the work type; its weight counts in the average."))
    else:
        lines.append(
            "<b>" + escape(work_type_label(work)) + "</b> — " + _("tap a student, then the mark.")
        )
    given = [s for s in card.lines if s.marks]
    if given:
        lines += ["", "<b>" + _("Marks in this lesson") + "</b>"]
        for s in given:
            lines.append(f"{escape(s.student.short_name)}: {escape(marks_of(s.marks))}")
    return "\n".join(lines)


def value_text(card: LessonCard, student: StudentRef, work: WorkTypeView, comment: str) -> str:
    lines = [
        f"<b>{escape(student.full_name)}</b> — {escape(work_type_label(work))}",
        lesson_title(card.lesson) + " · " + r.day(card.lesson.day),
    ]
    line = card.line(student.id)
    if line and line.marks:
        lines.append(
            _("Already in this lesson: {marks}").format(marks=escape(marks_of(line.marks)))
        )
    if line and line.kind == AttendanceKind.ABSENT:
        values = ", ".join(r.mark(v) for v in MarkValue if v in rules.MARKS_WHEN_ABSENT)
        lines.append(
            _("Absent from this lesson: the mark can only be {values}.").format(values=values)
        )
    elif line and line.kind == AttendanceKind.LATE:
        lines.append(_("Late for this lesson."))
    lines.append("")
    if comment:
        lines.append(_("Comment: {text}").format(text=escape(comment)))
        lines.append(_("Now choose the mark."))
    else:
        lines.append(_("Choose the mark. To add a comment, first send it as a message."))
    return "\n".join(lines)


def mark_label(value: MarkValue, chosen: MarkValue | None = None) -> str:
    text = r.mark(value)
    return f"• {text} •" if value == chosen else text


def short_of(name: str) -> str:
    """«Петрова А.» from «Петрова Алёна»."""
    parts = name.split()
    return parts[0] + (f" {parts[1][:1]}." if len(parts) > 1 else "") if parts else name


def sheet_text(sheet: PeriodSheet) -> str:
    lines = [
        "<b>" + _("Period marks") + f": {lesson_title(sheet.lesson)}</b>",
        _("{period}: can be given from {opens} to {closes}").format(
            period=r.period(sheet.period.kind, sheet.period.number),
            opens=r.day(sheet.opens_on, False),
            closes=r.day(sheet.closes_on, False),
        ),
        "",
    ]
    for row in sheet.rows:
        fc = row.forecast
        item = f"{escape(short_of(row.student.short_name))} — " + _("average {avg}").format(
            avg=r.average(fc.average)
        )
        if fc.mark is not None:
            item += " → " + _("proposed {mark}").format(mark=fc.mark)
        elif fc.marks_needed:
            item += " · " + _("too few marks")
        if row.final is not None:
            item += " · <b>" + _("set: {mark}").format(mark=r.mark(row.final)) + "</b>"
        lines.append(item)
    if not sheet.rows:
        lines.append(_("Nobody is on the list."))
    lines += ["", _("Tap a student to confirm or change the mark.")]
    return "\n".join(lines)


def refusal_text(refusal: Refusal, command: str) -> str:
    """Why a text command was not understood, and how to write it."""
    example = ATT_EXAMPLE if command == "att" else MARK_EXAMPLE
    token = escape(refusal.token)
    problems = {
        "empty": _("Please write the class and the names."),
        "class": _("«{token}» is not a class: write it as 7А or 10Б.").format(token=token),
        "class_letter": _("In «{token}» please write the class letter in Russian.").format(
            token=token
        ),
        "class_spacing": _("Please write the class without a space, as 7А."),
        "names_missing": _("Please add the surnames."),
        "name": _("«{token}» is not a surname.").format(token=token),
        "value": _("After «{name}» a mark is expected ({values}), not «{token}».").format(
            name=escape(refusal.after), values=VALUE_WORDS, token=token
        ),
        "value_missing": _("«{name}» has no mark ({values}).").format(
            name=escape(refusal.after), values=VALUE_WORDS
        ),
        "work_type": _("«{token}» is not a work type: write it as on paper, КР or У.").format(
            token=token
        ),
        "work_type_missing": _("Please give the work type after the class, as КР or У."),
        "too_long": _("That is too long for one command."),
    }
    problem = problems.get(refusal.code, _("I did not understand the command."))
    return "\n".join(
        [problem, _("Nothing was saved."), _("For example: {example}").format(example=example)]
    )


def unknown_names(queries: Iterable[NameQuery], lesson: LessonItem) -> str:
    return "\n".join(
        [
            _("Not on the list of {lesson}: {names}.").format(
                lesson=lesson_title(lesson), names=", ".join(escape(str(q)) for q in queries)
            ),
            _("Nothing was saved. Please check the surnames and send the command again."),
        ]
    )


def ask_which(query: str, title: str, value: str | None) -> str:
    """``title`` is the lesson's title, already escaped."""
    if value:
        return _("There are several «{name}» in {lesson}. Who gets {mark}?").format(
            name=escape(query), lesson=title, mark=escape(value)
        )
    return _("There are several «{name}» in {lesson}. Which one is absent?").format(
        name=escape(query), lesson=title
    )


def absent_saved(card: LessonCard, marked: Iterable[StudentRef]) -> str:
    return "\n".join(
        [
            f"<b>{lesson_title(card.lesson)}</b> · {lesson_when(card.lesson)}",
            _("Marked absent: {names}").format(names=names(marked)),
            _("Absent now: {absent} of {total}").format(
                absent=len(card.absent), total=len(card.lines)
            ),
        ]
    )


def marks_saved(
    card: LessonCard, work: WorkTypeView, given: Iterable[tuple[StudentRef, MarkValue]]
) -> str:
    lines = [
        f"<b>{lesson_title(card.lesson)}</b> · {r.day(card.lesson.day)}",
        _("Marks saved, {work}:").format(work=escape(work_type_label(work))),
    ]
    lines += [f"{escape(s.short_name)} — <b>{r.mark(v)}</b>" for s, v in given]
    return "\n".join(lines)


def mark_change(old: MarkValue, new: MarkValue | None) -> str:
    """«3 → 4», «3 → removed»."""
    if new is None:
        return _("{old} → removed").format(old=r.mark(old))
    return f"{r.mark(old)} → {r.mark(new)}"


def replace_question(card: LessonCard, line: StudentLine, old: LessonMark, new: MarkValue) -> str:
    work = r.work_type(old.work_type_code, old.work_type_short)
    lines = [
        f"<b>{lesson_title(card.lesson)}</b> · {r.day(card.lesson.day)}",
        _("{name} already has {mark} ({work}) for this lesson.").format(
            name=escape(line.student.short_name), mark=r.mark(old.value), work=escape(work)
        ),
    ]
    if old.correctable:
        lines.append(
            _(
                "Replace it with {mark}? That is a correction: with a reason, and the old mark "
                "stays in the history."
            ).format(mark=r.mark(new))
        )
    else:
        lines.append(_("Only the deputy head or the journal administrator can correct it now."))
    return "\n".join(lines)


def marked_already(students: Iterable[StudentRef]) -> str:
    return "\n".join(
        [
            _("Already marked for this work type in this lesson: {names}.").format(
                names=names(students)
            ),
            _("To change a mark, open the lesson: «{marks}» → «{correct}».").format(
                marks=_("📝 Marks"), correct=_("✏️ Correct a mark")
            ),
            _("Nothing was saved."),
        ]
    )


def all_present_question(card: LessonCard) -> str:
    lines = [*card_head(card), "", "<b>" + _("Mark everyone present?") + "</b>"]
    lines.append(_("This clears:"))
    if card.absent:
        lines.append(_("Absent: {names}").format(names=names(s.student for s in card.absent)))
    if card.late:
        lines.append(_("Late: {names}").format(names=names(s.student for s in card.late)))
    return "\n".join(lines)


def finals_question(sheet: PeriodSheet, rows: list[tuple[StudentForecast, MarkValue]]) -> str:
    n = len(rows)
    lines = [
        "<b>" + _("Period marks") + f": {lesson_title(sheet.lesson)}</b>",
        r.period(sheet.period.kind, sheet.period.number),
        "",
        ngettext(
            "Set {n} proposed mark? The student and the parents will see it at once.",
            "Set {n} proposed marks? The students and the parents will see them at once.",
            n,
        ).format(n=n),
        "",
    ]
    lines += [f"{escape(short_of(row.student.short_name))} — {r.mark(v)}" for row, v in rows]
    return "\n".join(lines)
