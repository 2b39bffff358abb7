"""The kinds of work a mark is given for (003 reg.2 §2.1.4: each mark column has a work type).

A school that imports no ``work_types`` table gets ``STANDARD``: the usual Russian kinds with
their usual weights, written works flagged so that rule 3's longer window (5 days in grades
2-9, 7 in 10-11) applies to them. Names a school or a OneRoster bundle uses for them are matched
here too (``standard_code``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.tabular import norm_name

MAX_WEIGHT = Decimal(10)


@dataclass(frozen=True, slots=True)
class Standard:
    code: str  # stable: the screens name the standard kinds by it in English
    short: str  # as on paper
    name: str
    weight: str  # a decimal, exact
    written: bool
    also: tuple[str, ...] = ()  # other names schools and gradebooks use for it


STANDARD: tuple[Standard, ...] = (
    Standard(
        "oral",
        "У",
        "Устный ответ",
        "1",
        False,
        (
            "устный",
            "устная работа",
            "ответ на уроке",
            "работа на уроке",
            "oral",
            "participation",
            "classwork",
            "class work",
        ),
    ),
    Standard(
        "test",
        "КР",
        "Контрольная работа",
        "2",
        True,
        ("контрольная", "итоговая работа", "test", "exam", "examination", "final test"),
    ),
    Standard(
        "independent",
        "СР",
        "Самостоятельная работа",
        "1.5",
        True,
        ("самостоятельная", "quiz"),
    ),
    Standard(
        "lab", "ЛР", "Лабораторная работа", "1.5", True, ("лабораторная", "lab", "laboratory")
    ),
    Standard("practical", "ПР", "Практическая работа", "1.5", True, ("практическая", "practical")),
    Standard(
        "homework",
        "Д",
        "Домашняя работа",
        "1",
        True,
        ("домашнее задание", "дз", "homework", "home work", "assignment"),
    ),
    Standard("essay", "Соч", "Сочинение", "2", True, ("essay", "composition")),
    Standard("dictation", "Дикт", "Диктант", "2", True, ("dictation",)),
    Standard("summary", "Изл", "Изложение", "2", True, ("précis", "precis")),
    Standard(
        "check", "ПрР", "Проверочная работа", "1.5", True, ("проверочная", "check-up", "check")
    ),
    Standard("project", "Проект", "Проект", "1.5", False, ("project", "защита проекта")),
)

_BY_NAME: dict[str, str] = {
    norm_name(name): s.code for s in STANDARD for name in (s.name, s.short, s.code, *s.also)
}

YES = frozenset({"yes", "y", "true", "1", "+", "да", "письменная", "written"})
NO = frozenset({"no", "n", "false", "0", "-", "нет", "устная", "oral"})


def standard_code(name: str) -> str | None:
    """The standard kind a name means (Russian or English, any case), if any."""
    return _BY_NAME.get(norm_name(name))


def standard(code: str) -> Standard | None:
    return next((s for s in STANDARD if s.code == code), None)


def parse_weight(text: str) -> str | None:
    """A weight as a school writes it (``1``, ``1.5``, ``1,5``), above 0 and at most 10, as
    an exact decimal text; None when it is not one."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or not 0 < value <= MAX_WEIGHT:
        return None
    return format(value.normalize(), "f")


def parse_flag(text: str) -> bool | None:
    word = norm_name(text)
    if word in YES:
        return True
    if word in NO:
        return False
    return None
