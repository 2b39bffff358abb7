"""Small pieces of text shared by the screens: dates, marks, periods and reasons, in the
user's language (Babel for dates and numbers, gettext for words)."""

from __future__ import annotations

from datetime import date, time
from fractions import Fraction
from functools import lru_cache
from html import escape

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from babel.numbers import format_decimal

from core.limits import MESSAGE_LIMIT
from core.model import AbsenceReason, MarkValue, PeriodKind
from locales import terms


def locale() -> str:
    return get_i18n().current_locale


@lru_cache(maxsize=8192)
def _date(value: date, pattern: str, lang: str) -> str:
    # Babel is exact but not fast; a diary screen formats dozens of the same few dates.
    return format_date(value, pattern, locale=lang)


def day(value: date, with_weekday: bool = True) -> str:
    """«пт, 20 ноября» / «Fri, 20 November»."""
    return _date(value, "EEE, d MMMM" if with_weekday else "d MMMM", locale())


def short_day(value: date) -> str:
    return _date(value, "d MMM", locale())


def long_day(value: date) -> str:
    """«Понедельник, 23 ноября» (capitalised, as a heading)."""
    text = _date(value, "EEEE, d MMMM", locale())
    return text[:1].upper() + text[1:]


def clock(value: time | None) -> str:
    return value.strftime("%H:%M") if value else ""


@lru_cache(maxsize=8192)
def _decimal(value: float, pattern: str, lang: str) -> str:
    return format_decimal(value, pattern, locale=lang)


def average(value: Fraction | None) -> str:
    if value is None:
        return "—"
    return _decimal(round(float(value), 2), "0.00", locale())


def number(value: float | Fraction, pattern: str = "0.##") -> str:
    return _decimal(round(float(value), 4), pattern, locale())


def mark(value: MarkValue | None) -> str:
    """«5», «зач», «н/а»; «—» for none (``locales.terms``)."""
    return terms.mark(_, value)


def work_type(code: str, short: str, name: str = "", *, tight: bool = True) -> str:
    """A mark's kind of work in the user's language (``locales.terms``): tight, the school's
    abbreviation (КР, СР …); in running text, its name."""
    return terms.work_type(_, locale(), code, short, name, tight=tight)


def period(kind: PeriodKind, number: int) -> str:
    """«II четверть» / «Quarter 2» (``locales.terms``)."""
    return terms.period(_, locale(), kind, number)


def period_short(kind: PeriodKind, number: int) -> str:
    """«II» / «Q2»: a period on a button (``locales.terms``)."""
    return terms.period_short(_, locale(), kind, number)


def cancelled() -> str:
    """«отменён»: a cancelled lesson, in the words of the pushes (``locales.terms``)."""
    return terms.lesson_change(_, terms.CANCELLATION)


def reason(value: AbsenceReason | None) -> str:
    """The one word for each reason, and for none yet (``locales.terms``)."""
    return terms.reason(_, value)


def named(full_name: str, left_on: date | None, today: date) -> str:
    """A student in a staff list: one who has left is marked so, with the day (not escaped)."""
    if left_on is not None and left_on <= today:
        return _("{name} — left on {day}").format(name=full_name, day=f"{left_on:%d.%m}")
    return full_name


def whose(full_name: str, class_name: str) -> str:
    return f"{escape(full_name)}, {escape(class_name)}"


def split(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split on line breaks so each part fits a message in either messenger; a too-long line
    is cut hard."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts
