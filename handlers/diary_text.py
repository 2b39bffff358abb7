"""The diary's screens as text: marks with forecasts, finals, absences, homework, timetable."""

from __future__ import annotations

import math
from datetime import date, timedelta
from fractions import Fraction
from html import escape

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from core import diary as dv
from core import grading
from core.calendar import PeriodView
from core.grading import Forecast
from core.model import AbsenceReason, AttendanceKind
from handlers import render as r
from locales import terms


def header(title: str, student: dv.StudentCard) -> str:
    return f"<b>{escape(title)}: {r.whose(student.full_name, student.class_name)}</b>"


def period_line(p: PeriodView) -> str:
    return f"{r.period(p.kind, p.number)}, {r.day(p.starts_on, False)} – {r.day(p.ends_on, False)}"


def forecast_lines(fc: Forecast) -> list[str]:
    """What the period mark will be, and what would change it."""
    if fc.mark is None:
        if fc.marks_needed:
            return [
                ngettext(
                    "{n} more mark is needed for a period mark",
                    "{n} more marks are needed for a period mark",
                    fc.marks_needed,
                ).format(n=fc.marks_needed)
            ]
        return []
    lines = []
    if fc.up is not None:
        lines.append(
            ngettext(
                "{count} more {value} would raise it to {result}",
                "{count} more {value}s would raise it to {result}",
                fc.up.count,
            ).format(count=fc.up.count, value=fc.up.value, result=fc.up.result)
        )
    if fc.down is not None:
        lines.append(
            ngettext(
                "{count} more {value} would lower it to {result}",
                "{count} more {value}s would lower it to {result}",
                fc.down.count,
            ).format(count=fc.down.count, value=fc.down.value, result=fc.down.result)
        )
    return lines


def work(m: dv.MarkView) -> str:
    """The mark's kind of work by its name: «устный ответ», «oral answer»."""
    return r.work_type(m.work_type_code, m.work_type_short, m.work_type_name, tight=False)


def subject_line(s: dv.SubjectMarks) -> list[str]:
    marks = " ".join(r.mark(m.value) for m in s.marks) or "—"
    line = f"<b>{escape(s.subject_name)}</b>: {marks}"
    if s.average is not None:
        line += " — " + _("average {avg}").format(avg=r.average(s.average))
    if s.final is not None:
        line += " · " + _("period mark {mark}").format(mark=r.mark(s.final))
    elif s.forecast.mark is not None:
        line += " · " + _("forecast {mark}").format(mark=s.forecast.mark)
    out = [line]
    if s.final is None:
        out += [f"    {x}" for x in forecast_lines(s.forecast)]
    return out


def marks_text(pm: dv.PeriodMarks, latest: list[dv.MarkView]) -> str:
    lines = [header(_("Marks"), pm.student), period_line(pm.period), ""]
    if latest:
        lines.append("<b>" + _("Latest marks") + "</b>")
        for m in latest:
            item = (
                f"{r.short_day(m.day)} · {escape(m.subject_name)} · <b>{r.mark(m.value)}</b> "
                f"({escape(work(m))})"
            )
            if m.corrected:
                item += " · " + _("corrected")
            if m.comment:
                item += f" — {escape(m.comment)}"
            lines.append(item)
        lines.append("")
    with_marks = [s for s in pm.subjects if s.marks or s.final]
    if with_marks:
        lines.append("<b>" + _("By subject") + "</b>")
        for s in with_marks:
            lines += subject_line(s)
    else:
        lines.append(_("There are no marks in this period yet."))
    return "\n".join(lines)


def subject_text(pm: dv.PeriodMarks, s: dv.SubjectMarks) -> str:
    lines = [
        f"<b>{escape(s.subject_name)}</b> · {r.whose(pm.student.full_name, pm.student.class_name)}",
        period_line(pm.period),
        "",
    ]
    for m in s.marks:
        item = f"{r.day(m.day)} — <b>{r.mark(m.value)}</b> " + _("({work}, weight {w})").format(
            work=escape(work(m)), w=r.number(m.weight)
        )
        if m.comment:
            item += f" — {escape(m.comment)}"
        lines.append(item)
    if not s.marks:
        lines.append(_("No marks yet."))
    lines.append("")
    lines.append(_("Weighted average: {avg}").format(avg=r.average(s.average)))
    if s.final is not None:
        lines.append(_("Period mark: {mark}").format(mark=r.mark(s.final)))
    elif s.forecast.mark is not None:
        lines.append(_("Forecast of the period mark: {mark}").format(mark=s.forecast.mark))
    lines += forecast_lines(s.forecast) if s.final is None else []
    return "\n".join(lines)


TREND_DAYS = 7  # the trend compares today's average with the one a week ago
TREND_STEP = Fraction(1, 20)  # a change of the average below this shows no arrow


def bar(average: Fraction) -> str:
    """The average as five cells, one a point, half up: ▰▰▰▰▱ for 3.5 to 4.49."""
    full = max(0, min(5, math.floor(average + Fraction(1, 2))))
    return "▰" * full + "▱" * (5 - full)


def trend(s: dv.SubjectMarks, today: date) -> str:
    """↗ or ↘: where the average went over the last week; "" when it did not move."""
    before = grading.weighted_average(
        dv.scored(m for m in s.marks if m.day <= today - timedelta(days=TREND_DAYS))
    )
    if before is None or s.average is None or abs(s.average - before) < TREND_STEP:
        return ""
    return " ↗" if s.average > before else " ↘"


def outlook(s: dv.SubjectMarks) -> str:
    if s.final is not None:
        return _("period mark {mark}").format(mark=r.mark(s.final))
    if s.forecast.mark is not None:
        return _("forecast {mark}").format(mark=s.forecast.mark)
    return ngettext(
        "{n} more mark is needed", "{n} more marks are needed", s.forecast.marks_needed
    ).format(n=s.forecast.marks_needed)


def progress_text(pm: dv.PeriodMarks, today: date) -> str:
    """Every subject on one line: its average as a bar and a number, where it went this week,
    and the period mark it heads for; a phone shows it without zooming."""
    lines = [header(_("Progress"), pm.student), period_line(pm.period), ""]
    rated = [s for s in pm.subjects if s.average is not None]
    if not rated:
        lines.append(_("There are no marks in this period yet."))
        return "\n".join(lines)
    for s in rated:
        lines.append(
            f"<code>{bar(s.average)}</code> <b>{r.average(s.average)}</b> "  # type: ignore[arg-type]
            f"{escape(s.subject_name)}{trend(s, today)} · {outlook(s)}"
        )
    unrated = [s.subject_name for s in pm.subjects if s.average is None]
    if unrated:
        lines += ["", _("No marks yet: {subjects}").format(subjects=escape(", ".join(unrated)))]
    lines += ["", _("↗ ↘ — how the average changed over the last week.")]
    lines.append(_("Tap a subject to see its chart."))
    return "\n".join(lines)


def chart_caption(pm: dv.PeriodMarks, s: dv.SubjectMarks) -> str:
    return "\n".join(
        [
            f"<b>{escape(s.subject_name)}</b> · "
            + r.whose(pm.student.full_name, pm.student.class_name),
            period_line(pm.period),
            _("average {avg}").format(avg=r.average(s.average)) + " · " + outlook(s),
        ]
    )


def finals_text(fm: dv.FinalMarks) -> str:
    lines = [header(_("Final marks"), fm.student), escape(fm.year.name), ""]
    shown = 0
    for s in fm.subjects:
        parts = [
            f"{r.period_short(p.kind, p.number)}: {r.mark(v)}"
            for p, v in zip(fm.periods, s.periods, strict=True)
            if v is not None
        ]
        for kind, value in (("year", s.year), ("exam", s.exam), ("final", s.final)):
            if value is not None:
                parts.append(f"{terms.final_label(_, kind)}: {r.mark(value)}")
        if parts:
            shown += 1
            lines.append(f"<b>{escape(s.subject_name)}</b> — " + ", ".join(parts))
    if not shown:
        lines.append(_("No period or year marks have been given yet."))
    return "\n".join(lines)


def attendance_text(a: dv.AttendanceSummary, recent: int = 15) -> str:
    t = a.totals
    lines = [header(_("Absences"), a.student), period_line(a.period), ""]
    if a.lessons_so_far:
        share = r.number(t.absent * 100 / a.lessons_so_far, "0.#")
        lines.append(
            _("Lessons missed: {absent} of {lessons} ({share} %)").format(
                absent=t.absent, lessons=a.lessons_so_far, share=share
            )
        )
    else:
        lines.append(_("Lessons missed: {absent}").format(absent=t.absent))
    if t.absent:
        counts = {
            AbsenceReason.SICK: t.sick,
            AbsenceReason.EXCUSED: t.excused,
            AbsenceReason.UNEXCUSED: t.unexcused,
            None: t.no_reason,
        }
        lines.append(terms.reason_counts(_, counts, zeros=True))
    lines.append(_("Late: {late}").format(late=t.late))
    missed = [s for s in a.subjects if s.totals.absent or s.totals.late]
    if missed:
        lines += ["", "<b>" + _("By subject") + "</b>"]
        for s in missed:
            item = _("{subject} — missed {absent} of {lessons}").format(
                subject=escape(s.subject_name), absent=s.totals.absent, lessons=s.lessons
            )
            if s.totals.late:
                item += ", " + _("late {n}").format(n=s.totals.late)
            lines.append(item)
    if a.records:
        lines += ["", "<b>" + _("Latest") + "</b>"]
        for rec in list(a.records)[-recent:][::-1]:
            if rec.kind == AttendanceKind.LATE:
                what = _("late")
                if rec.minutes_late:
                    what += " " + _("{n} min").format(n=rec.minutes_late)
            else:
                what = _("absent, {reason}").format(reason=r.reason(rec.reason))
            slot = _("lesson {n}").format(n=rec.slot) if rec.slot else ""
            lines.append(
                f"{r.short_day(rec.day)}, {slot} {escape(rec.subject_name)} — {what}".replace(
                    ",  ", ", "
                )
            )
    return "\n".join(lines)


def range_title(start: date, span: int, today: date) -> str:
    if span > 1:
        end = start + timedelta(days=span - 1)
        return _("{start} – {end}").format(start=r.day(start, False), end=r.day(end, False))
    if start == today:
        return _("Today, {day}").format(day=r.day(start))
    if start == today + timedelta(days=1):
        return _("Tomorrow, {day}").format(day=r.day(start))
    return r.long_day(start)


def homework_text(
    student: dv.StudentCard, items: list[dv.HomeworkView], start: date, span: int, today: date
) -> str:
    lines = [header(_("Homework"), student), range_title(start, span, today), ""]
    if not items:
        lines.append(_("Nothing is set for these days."))
    current = None
    for hw in items:
        if span > 1 and hw.due_on != current:
            current = hw.due_on
            lines.append(f"<b>{r.long_day(hw.due_on)}</b>")
        item = f"<b>{escape(hw.subject_name)}</b>: {escape(hw.text)}"
        if hw.attachments:
            item += f" 📎{len(hw.attachments)}"
        lines.append(item)
        lines.append("    " + _("set on {day}").format(day=r.short_day(hw.set_on)))
    return "\n".join(lines)


def lesson_line(lv: dv.LessonView) -> str:
    times = f"{r.clock(lv.starts_at)}–{r.clock(lv.ends_at)}" if lv.starts_at else ""
    name = escape(lv.subject_name)
    if lv.subgroup_name:
        name += f" ({escape(lv.subgroup_name.split(', ')[-1])})"
    if lv.cancelled:
        return f"{lv.slot}. {times} <s>{name}</s> — " + r.cancelled()
    parts = [f"{lv.slot}. {times} <b>{name}</b>"]
    if lv.room:
        parts.append(_("room {room}").format(room=escape(lv.room)))
    if lv.substitute_short_name:
        parts.append(_("substitute: {name}").format(name=escape(lv.substitute_short_name)))
    else:
        parts.append(escape(lv.teacher_short_name))
    return " · ".join(parts)


def timetable_text(
    student: dv.StudentCard, days: list[dv.DayTimetable], start: date, span: int, today: date
) -> str:
    lines = [header(_("Timetable"), student), range_title(start, span, today)]
    for d in days:
        if span > 1:
            if d.day.weekday() >= 5 and not d.lessons:
                continue
            lines += ["", f"<b>{r.long_day(d.day)}</b>"]
        else:
            lines.append("")
        if d.holiday:
            lines.append(_("Holiday: {name}").format(name=escape(d.holiday)))
        elif not d.lessons:
            lines.append(_("No lessons."))
        lines += [lesson_line(lv) for lv in d.lessons]
    return "\n".join(lines)
