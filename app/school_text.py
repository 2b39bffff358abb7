"""The school's days in the reader's language, for the console and the bot alike: what the
lesson planner did, what the school still lacks (``schoolbot status``), a year's turnover."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from html import escape

from babel.dates import format_date

from app.backup_text import drill_lines
from app.import_text import KEPT_WHY
from app.messages import N_
from core.lessons import KeptLesson, Plan
from core.status import SchoolStatus
from core.year import Turnover
from locales import terms

Gettext = Callable[[str], str]

FINDINGS: dict[str, str] = {
    "no_year": N_("No school year contains today: import the calendar."),
    "no_periods": N_("The school year has no study periods: import the calendar."),
    "no_work_types": N_(
        "There are no work types: import the school's, or any roster import gives the standard set."
    ),
    "no_bells": N_("There are no bells: import them with the timetable."),
    "no_timetable": N_("There is no timetable: import it."),
    "no_lessons_ahead": N_("There are no lessons for the next week: make them from the timetable."),
    "no_class_teacher": N_("Classes without a class teacher ({n}): {classes}."),
    "teachers_not_signed_in": N_(
        "Teachers of the timetable with no sign-in and no valid invite code ({n}): {teachers}"
    ),
    "guardian_codes_missing": N_("Classes where some parents have no invite code yet: {classes}."),
    "no_backups": N_(
        "Backups are turned off in the BACKUP_DIRS setting: name two folders on different disks "
        "there (the regulations ask for two media)."
    ),
    "one_backup_place": N_("Backups go to one place only; the regulations ask for two media."),
    "one_backup_medium": N_(
        "The backup places are all on one disk; the regulations ask for two media: put one on "
        "another disk or a mounted folder."
    ),
    "no_backup_key": N_(
        "Backups are not made: BACKUP_KEY is not set or too short (it signs and encrypts them)."
    ),
    "no_drill": N_("No restore drill on record yet; the scheduler runs one every week."),
    "drill_failed": N_("The restore drill of {day} failed ({backup}): {what}"),
    "drill_stale": N_("The last restore drill was on {day} ({backup}); they should run weekly."),
    "period_marks_missing": N_(
        "Period over: {period}; period marks still missing: {missing} (due by {closes})."
    ),
}


def _day(value: date, locale: str) -> str:
    return format_date(value, "d MMMM", locale=locale)


def plan_lines(plan: Plan, _: Gettext, locale: str) -> list[str]:
    lines = [
        _("Lessons from {start} to {end}: made {made}, changed {changed}, removed {removed}, "
          "unchanged {unchanged}.").format(
            start=_day(plan.start, locale),
            end=_day(plan.end, locale),
            made=plan.made,
            changed=plan.changed,
            removed=plan.removed,
            unchanged=plan.unchanged,
        )
    ]  # fmt: skip
    if plan.kept:
        lines.append(_("Kept as they were, because something is written in them:"))
        lines += [kept_line(k, _, locale) for k in plan.kept]
    return lines


def kept_line(kept: KeptLesson, _: Gettext, locale: str) -> str:
    x = kept.lesson
    where = _("{cls}, {day}, lesson {slot} ({subject})").format(
        cls=kept.class_name, day=_day(x.day, locale), slot=x.slot, subject=kept.subject
    )
    why = _(KEPT_WHY[kept.why.value])
    if kept.gone:
        return "• " + _("{where}: {why}; the timetable no longer has it").format(
            where=where, why=why
        )
    return "• " + _("{where}: {why}; the timetable has another lesson there").format(
        where=where, why=why
    )


# A setting's name in a sentence (BACKUP_DIRS): a code, shown as one in the bot.
SETTING = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")


def status_lines(status: SchoolStatus, _: Gettext, locale: str, html: bool = False) -> list[str]:
    """What the school still lacks and the console command that fixes each; with ``html``
    (the bot) the text is escaped and commands and settings are shown as code."""

    def text(line: str) -> str:
        return SETTING.sub(r"<code>\g<0></code>", escape(line)) if html else line

    def code(command: str) -> str:
        return f"<code>{escape(command)}</code>" if html else command

    head = _day(status.today, locale)
    drill = status.drill
    drilled = []
    if drill is not None and drill.ok:
        drilled.append(
            "✅ "
            + text(
                _(
                    "Restore drill of {day}: {backup} restored, every table's row count matches."
                ).format(day=_day(drill.ran_at, locale), backup=drill.backup)
            )
        )
    if not status.findings:
        return [
            text(
                _("{day}: the school is ready to work ({year}).").format(day=head, year=status.year)
            ),
            *drilled,
        ]
    lines = [
        text(_("{day}: what the school still lacks ({year}):").format(day=head, year=status.year))
    ]
    for f in status.findings:
        facts = {k: _day(v, locale) if isinstance(v, date) else v for k, v in f.facts.items()}
        if "kind" in facts and "number" in facts:
            facts["period"] = terms.period(_, locale, str(facts["kind"]), int(facts["number"]))  # type: ignore[call-overload]
        if f.code == "drill_failed" and drill is not None:
            facts["what"] = "; ".join(drill_lines(drill, _))
        mark = "⛔" if f.blocker else "⚠️"
        lines.append(f"{mark} " + text(_(FINDINGS[f.code]).format(**facts)))
        lines.append("   → " + code(f.fix))
    return lines + drilled


def turnover_lines(t: Turnover, _: Gettext) -> list[str]:
    lines = [
        _("School year {year}: {classes} classes go up a grade, {promoted} students with them; "
          "{graduates} graduates leave.").format(
            year=t.year, classes=len(t.classes), promoted=t.promoted, graduates=t.graduates
        )
    ]  # fmt: skip
    if t.classes:
        lines.append(", ".join(f"{a} → {b}" for a, b in t.classes))
    if t.previous:
        lines.append(
            _("{year} is finished: its {n} open periods are closed; it stays readable.").format(
                year=t.previous, n=t.closed_periods
            )
        )
    lines.append(_("Teaching starts when the new timetable is imported."))
    return lines
